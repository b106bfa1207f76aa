#!/bin/bash
# A throwaway Samba AD domain controller on loopback, for tests, the demo and
# benchmarks (recipe and measurements: shared docs/samba-ad-testbed.md).
#
#   samba-ad.sh DIR provision   # new domain in DIR (~5 s): TLS with its own CA,
#                               # Exchange schema attributes, test password policy
#   samba-ad.sh DIR clone SRC   # copy a provisioned (stopped) DIR SRC (~0.05 s)
#   samba-ad.sh DIR start       # start; PID in DIR/samba.pid; returns at once
#   samba-ad.sh DIR wait        # until LDAPS answers a bind (~0.5 s)
#   samba-ad.sh DIR stop        # TERM to our PID only, wait for its process group (~0.1 s)
#   samba-ad.sh DIR kill        # KILL our PID's process group (throwaway DCs)
#   samba-ad.sh DIR up          # provision (or reuse) + start + wait
#   samba-ad.sh DIR env         # print shell variables describing the DC
#   samba-ad.sh DIR allow-plain # accept simple binds over ldap:// (takes
#                               # effect at the next start)
#
# Everything lives under DIR: configuration, databases, sockets, logs, TLS
# material. Nothing is started that DIR/samba.pid does not name. Needs root
# (Samba's DC refuses to run otherwise).
# Env: IP (127.0.0.1; another 127.x must exist on lo, or use a network
# namespace), REALM (EXAMPLE.TEST), DOMAIN (EXAMPLE), ADMINPASS,
# SAMBA_AD_WAIT (seconds `wait` allows, 120), SAMBA_AD_STOP_WAIT (seconds
# `stop` allows before KILL, 30).
#
# Under load (parallel tests, a fuzzer, a 100k template build on 2 cores) a
# DC can take many times its usual ~0.5 s to start and seconds to stop, so
# the waits are bounded by generous wall-clock limits, and each poll by its
# own timeout; an idle machine never waits longer than before. A failing
# step names itself (the ERR trap below).
set -Eeuo pipefail

# Bump when provisioning changes what DIR holds: with-ad.sh then rebuilds its
# templates (comment-only edits of this file do not).
TEMPLATE_FORMAT=1

DIR=${1:?usage: samba-ad.sh DIR provision|clone SRC|start|wait|stop|kill|up|env|allow-plain}
CMD=${2:?usage: samba-ad.sh DIR provision|clone SRC|start|wait|stop|kill|up|env|allow-plain}
DIR=$(realpath -m "$DIR")
WAIT_SECS=${SAMBA_AD_WAIT:-120}
STOP_SECS=${SAMBA_AD_STOP_WAIT:-30}
# A step that fails names itself; a function's own "return 1" has said why.
trap '[[ $BASH_COMMAND == return* ]] ||
    echo "samba-ad: $CMD $DIR: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
IP=${IP:-127.0.0.1}
REALM=${REALM:-EXAMPLE.TEST}
DOMAIN=${DOMAIN:-EXAMPLE}
ADMINPASS=${ADMINPASS:-'Adm1n!Passw0rd'}
CONF=$DIR/etc/smb.conf
BASE_DN=$(echo "${REALM,,}" | sed 's/^/DC=/; s/\./,DC=/g')

global_opt() {	# insert "key = value" right under [global]
	sed -i "s|^\[global\]\$|[global]\n\t$1|" "$CONF"
}

ldap_admin() {	# ldapmodify/ldapadd/ldapsearch over LDAPS as Administrator
	local tool=$1; shift
	LDAPTLS_CACERT=$DIR/tls/ca.pem "$tool" -x -H "ldaps://$IP" \
	    -D "Administrator@$REALM" -w "$ADMINPASS" "$@"
}

provision() {
	[ -e "$DIR/private/sam.ldb" ] && { echo "samba-ad: $DIR is already provisioned" >&2; return 1; }
	command -v samba-tool >/dev/null || { echo "samba-ad: samba-tool not installed (scripts/deps.sh)" >&2; return 77; }
	mkdir -p "$DIR/etc" "$DIR/run" "$DIR/log" "$DIR/tls"
	: > "$CONF"	# empty config: nothing leaks in from the system smb.conf
	samba-tool domain provision -q -s "$CONF" --targetdir="$DIR" \
	    --realm="$REALM" --domain="$DOMAIN" --server-role=dc --dns-backend=NONE \
	    --adminpass="$ADMINPASS" --host-name=dc1 --host-ip="$IP" \
	    --option="interfaces = $IP" \
	    --option="bind interfaces only = yes" \
	    --option="server services = -s3fs -nbt -wrepl -winbindd -ntp_signd -dnsupdate -dns -kcc" \
	    --option="pid directory = $DIR/run" \
	    --option="ncalrpc dir = $DIR/run/ncalrpc" \
	    --option="winbindd socket directory = $DIR/run/winbindd" \
	    --option="ntp signd socket directory = $DIR/run/ntp_signd" \
	    --option="log file = $DIR/log/samba.log" >"$DIR/log/provision.log" 2>&1
	# Our own CA and a server certificate naming the loopback address, so
	# clients verify ldaps://$IP (Samba's own names only DC1.<realm>).
	( cd "$DIR/tls"
	  umask 077
	  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
	      -subj "/CN=adsync test AD CA" 2>/dev/null
	  openssl req -newkey rsa:2048 -nodes -keyout key.pem -out req.csr \
	      -subj "/CN=dc1.${REALM,,}" 2>/dev/null
	  printf 'subjectAltName=IP:%s,DNS:dc1.%s,DNS:localhost\n' "$IP" "${REALM,,}" > ext.cnf
	  openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	      -out cert.pem -days 3650 -extfile ext.cnf 2>/dev/null
	  chmod 644 ca.pem cert.pem; rm -f req.csr ext.cnf )
	global_opt "tls cafile = $DIR/tls/ca.pem"
	global_opt "tls certfile = $DIR/tls/cert.pem"
	global_opt "tls keyfile = $DIR/tls/key.pem"
	# Exchange attributes (mailNickname, targetAddress) are added over LDAP,
	# which Samba allows only with schema updates switched on.
	global_opt "dsdb:schema update allowed = true"
	# Test-friendly policy: repeated changes allowed; complexity stays ON
	# because Samba's check password script runs only while it is on.
	samba-tool domain passwordsettings set -s "$CONF" --min-pwd-age=0 \
	    --max-pwd-age=0 --history-length=0 --complexity=on >/dev/null
	start
	wait_ready >/dev/null
	schema_exchange
	stop >/dev/null
}

# True when both Exchange attributes exist and Mail-Recipient may hold them.
schema_present() {
	local n m
	n=$(ldap_admin ldapsearch -LLL -o nettimeout=10 \
	    -b "CN=Schema,CN=Configuration,$BASE_DN" -s one \
	    '(|(lDAPDisplayName=mailNickname)(lDAPDisplayName=targetAddress))' \
	    lDAPDisplayName 2>/dev/null | grep -c '^lDAPDisplayName:') || true
	m=$(ldap_admin ldapsearch -LLL -o nettimeout=10 \
	    -b "CN=Mail-Recipient,CN=Schema,CN=Configuration,$BASE_DN" -s base \
	    '(objectClass=*)' mayContain 2>/dev/null |
	    grep -ciE '^mayContain: (mailNickname|targetAddress)$') || true
	[ "${n:-0}" = 2 ] && [ "${m:-0}" = 2 ]
}

# The schema change is the one write to a DC that has just started. Under
# load it has been seen to fail; it is retried (with -c, so what a first
# try applied does not stop the second) until the schema is in place.
schema_exchange() {
	local try
	: > "$DIR/log/schema.log"
	for try in 1 2 3; do
		schema_ldif | ldap_admin ldapmodify -c >>"$DIR/log/schema.log" 2>&1 || true
		schema_present && return 0
		echo "samba-ad: the Exchange schema is not in place after try $try" \
		    "(log: $DIR/log/schema.log)" >&2
		sleep "$try"
	done
	return 1
}

schema_ldif() {
	cat <<LDIF
dn: CN=ms-Exch-Mail-Nickname,CN=Schema,CN=Configuration,$BASE_DN
changetype: add
objectClass: attributeSchema
cn: ms-Exch-Mail-Nickname
lDAPDisplayName: mailNickname
attributeID: 1.2.840.113556.1.2.447
attributeSyntax: 2.5.5.12
oMSyntax: 64
isSingleValued: TRUE
searchFlags: 5

dn: CN=ms-Exch-Target-Address,CN=Schema,CN=Configuration,$BASE_DN
changetype: add
objectClass: attributeSchema
cn: ms-Exch-Target-Address
lDAPDisplayName: targetAddress
attributeID: 1.2.840.113556.1.2.352
attributeSyntax: 2.5.5.12
oMSyntax: 64
isSingleValued: TRUE
searchFlags: 1

dn:
changetype: modify
add: schemaUpdateNow
schemaUpdateNow: 1
-

dn: CN=Mail-Recipient,CN=Schema,CN=Configuration,$BASE_DN
changetype: modify
add: mayContain
mayContain: mailNickname
mayContain: targetAddress
-

dn:
changetype: modify
add: schemaUpdateNow
schemaUpdateNow: 1
-
LDIF
}

clone() {	# DIR clone SRC: copy a provisioned, stopped instance
	local src
	src=$(realpath -m "${1:?clone needs SRC}")
	[ -e "$src/private/sam.ldb" ] || { echo "samba-ad: $src is not provisioned" >&2; return 1; }
	[ ! -e "$src/samba.pid" ] || ! kill -0 "$(cat "$src/samba.pid")" 2>/dev/null ||
	    { echo "samba-ad: $src is running; stop it before cloning" >&2; return 1; }
	rm -rf "$DIR"
	cp -a "$src" "$DIR"
	rm -f "$DIR/samba.pid"
	# The provisioned path appears only in smb.conf (measured: docs §2). Take
	# it from smb.conf itself, so a template that was moved clones correctly.
	local old
	old=$(sed -n 's|^[[:space:]]*private dir = \(.*\)/private$|\1|p' "$DIR/etc/smb.conf")
	[ -n "$old" ] || old=$src
	sed -i "s|$old|$DIR|g" "$DIR/etc/smb.conf"
}

allow_plain() {	# simple binds over plain ldap:// (Samba refuses them by default)
	grep -q 'ldap server require strong auth' "$CONF" ||
	    global_opt "ldap server require strong auth = no"
}

start() {
	# setsid: own session and process group; -F: no daemonising, so $! is
	# samba's own PID; -l: early log lines stay under $DIR.
	setsid samba -F -M single -s "$CONF" -l "$DIR/log" \
	    </dev/null >"$DIR/log/stdout.log" 2>&1 &
	echo $! > "$DIR/samba.pid"
}

samba_log_tail() {
	local f
	for f in "$DIR/log/samba.log" "$DIR/log/log.samba" "$DIR/log/stdout.log"; do
		[ -s "$f" ] && { echo "--- $f:" >&2; tail -20 "$f" >&2; }
	done
	return 0
}

# Until an LDAPS search as Administrator answers: polled every 0.1 s, each
# try bounded (a DC that accepts but does not answer yet cannot hang us),
# the whole wait bounded by SAMBA_AD_WAIT seconds of wall clock.
wait_ready() {
	local t0 pid tries=0 err=""
	t0=$(date +%s.%N)
	pid=$(cat "$DIR/samba.pid")
	while :; do
		tries=$((tries + 1))
		if err=$(timeout 20 env LDAPTLS_CACERT="$DIR/tls/ca.pem" ldapsearch \
		    -o nettimeout=5 -x -H "ldaps://$IP" -D "Administrator@$REALM" \
		    -w "$ADMINPASS" -b '' -s base dn 2>&1 >/dev/null); then
			echo "ready after $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t0}") s"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "samba-ad: samba (PID $pid) exited before answering" >&2
			samba_log_tail
			return 1
		fi
		if awk "BEGIN{exit !($(date +%s.%N) - $t0 >= $WAIT_SECS)}"; then
			echo "samba-ad: $DIR: no LDAPS answer within $WAIT_SECS s" \
			    "($tries tries; last: ${err:-no message}); samba" \
			    "(PID $pid) is still running; raise SAMBA_AD_WAIT on a" \
			    "loaded machine" >&2
			samba_log_tail
			return 1
		fi
		sleep 0.1
	done
}

group_alive() {	# any live (non-zombie) process in process group $1?
	# Zombies are ignored: they hold no ports or files, and PID 1 (not us)
	# reaps them, which can take a second.
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {f = 1} END {exit !f}'
}

stop() {
	local pid
	[ -s "$DIR/samba.pid" ] || return 0
	pid=$(cat "$DIR/samba.pid")
	kill -TERM "$pid" 2>/dev/null || true
	# Until nothing is left in its process group; a loaded machine may need
	# seconds (a TERM during a commit lets the commit finish).
	for _ in $(seq 1 $((STOP_SECS * 10))); do
		if ! group_alive "$pid"; then
			rm -f "$DIR/samba.pid"
			echo stopped
			return 0
		fi
		sleep 0.1
	done
	echo "samba-ad: still running after $STOP_SECS s; KILL group $pid" >&2
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$DIR/samba.pid"
}

kill_now() {	# SIGKILL our PID's process group at once: for throwaway instances
	local pid
	[ -s "$DIR/samba.pid" ] || return 0
	pid=$(cat "$DIR/samba.pid")
	# setsid made samba a group leader: its group id is its PID.
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		group_alive "$pid" || break
		sleep 0.05
	done
	rm -f "$DIR/samba.pid"
}

case "$CMD" in
provision) provision ;;
clone) clone "${3:-}" ;;
start) start ;;
wait) wait_ready ;;
stop) stop ;;
kill) kill_now ;;
up) [ -e "$DIR/private/sam.ldb" ] || provision; start; wait_ready ;;
allow-plain) allow_plain ;;
env)
	cat <<ENV
AD_URI=ldaps://$IP
AD_IP=$IP
AD_REALM=$REALM
AD_DOMAIN=$DOMAIN
AD_BASE_DN=$BASE_DN
AD_ADMIN_DN=CN=Administrator,CN=Users,$BASE_DN
AD_ADMIN_UPN=Administrator@$REALM
AD_CA=$DIR/tls/ca.pem
AD_CONF=$CONF
ENV
	;;
*) echo "usage: samba-ad.sh DIR provision|clone SRC|start|wait|stop|kill|up|env|allow-plain" >&2; exit 2 ;;
esac

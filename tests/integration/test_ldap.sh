#!/bin/bash
# Integration tests of the LDAP source (src/ldap) and `adsync ad dump|watch`
# against a real Samba AD DC on loopback.
#
#   test_ldap.sh ADSYNC_BIN SRCDIR CASE
#
# CASE: dump_sample, dump_5k, ranges, dirsync, usn, failover, errors,
# notify. Each case runs inside tests/testbed/with-ad.sh (a private network
# namespace with a fresh DC, stopped by PID at the end). While with-ad.sh
# is missing (it lands separately), an equivalent fallback below clones or
# provisions a DC with samba-ad.sh inside `unshare -n`.
#
# Exits 77 (skipped) without root or Samba. Every process started here is
# stopped by its PID.
set -euo pipefail

ADSYNC=${1:?usage: test_ldap.sh ADSYNC_BIN SRCDIR CASE}
SRCDIR=${2:?usage: test_ldap.sh ADSYNC_BIN SRCDIR CASE}
CASE=${3:?usage: test_ldap.sh ADSYNC_BIN SRCDIR CASE}
TESTBED=$SRCDIR/tests/testbed
# The secrets audit (tests/audit): audit_secret, audit_keep.
AUDIT_HOME=$SRCDIR/tests/audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- getting a DC ----------------------------------------------------
if [ -z "${AD_URI:-}" ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (Samba's DC runs as root)"
	command -v samba >/dev/null 2>&1 || skip "samba not installed"
	command -v ldapmodify >/dev/null 2>&1 || skip "ldap-utils not installed"
	ORG=none
	[ "$CASE" = dump_sample ] && ORG=sample
	[ "$CASE" = dirsync_objsec ] && ORG=sample
	# with-ad.sh loads a generated directory offline (much faster than
	# ldapadd) once gen-org exists; else the case generates its own.
	[ "$CASE" = dump_5k ] && [ -x "$TESTBED/gen-org" ] && ORG=gen:4950
	if [ -x "$TESTBED/with-ad.sh" ]; then
		exec "$TESTBED/with-ad.sh" --org "$ORG" -- "$0" "$@"
	fi
	# Fallback until with-ad.sh exists: our own namespace and DC.
	exec unshare -n "$0" "$@" --fallback-inner
fi

STARTED_PID=
if [ "${4:-}" = --fallback-inner ]; then
	ip link set lo up
	FB=$(mktemp -d /tmp/test_ldap.XXXXXX)
	cleanup_fb() {
		[ -n "$STARTED_PID" ] && kill -TERM "$STARTED_PID" 2>/dev/null || true
		"$TESTBED/samba-ad.sh" "$FB/dc" stop >/dev/null 2>&1 || true
		rm -rf "$FB"
	}
	trap cleanup_fb EXIT
	if [ -n "${ADSYNC_AD_TEMPLATE:-}" ] && [ -e "$ADSYNC_AD_TEMPLATE/private/sam.ldb" ]; then
		"$TESTBED/samba-ad.sh" "$FB/dc" clone "$ADSYNC_AD_TEMPLATE" >/dev/null
	else
		"$TESTBED/samba-ad.sh" "$FB/dc" provision >/dev/null || skip "cannot provision a DC"
	fi
	"$TESTBED/samba-ad.sh" "$FB/dc" start >/dev/null
	"$TESTBED/samba-ad.sh" "$FB/dc" wait >/dev/null
	AD_DIR=$FB/dc
	AD_SAMBA_AD=$TESTBED/samba-ad.sh
	AD_URI=ldaps://127.0.0.1
	AD_BASE_DN=DC=example,DC=test
	AD_ADMIN_DN=CN=Administrator,CN=Users,DC=example,DC=test
	AD_CA=$FB/dc/tls/ca.pem
	umask 077
	printf '%s' 'Adm1n!Passw0rd' > "$FB/admin.pw"
	AD_ADMIN_PASSWORD_FILE=$FB/admin.pw
	AD_BIND_DN=Administrator@EXAMPLE.TEST
	AD_BIND_PASSWORD_FILE=$FB/admin.pw
	umask 022
fi
: "${AD_BIND_DN:=${AD_BIND_UPN:-}}"

W=$(mktemp -d /tmp/test_ldap_w.XXXXXX)
cleanup() {
	[ -n "$STARTED_PID" ] && kill -TERM "$STARTED_PID" 2>/dev/null || true
	[ -n "$STARTED_PID" ] && wait "$STARTED_PID" 2>/dev/null || true
	audit_keep ldap "$W"
	rm -rf "$W"
	[ "${4:-}" = --fallback-inner ] && cleanup_fb
	return 0
}
trap 'cleanup "$@"' EXIT

export LDAPTLS_CACERT=$AD_CA
# ldap tools use the whole file as the password: no trailing newline.
( umask 077; tr -d '\n' < "$AD_ADMIN_PASSWORD_FILE" > "$W/admin.pw" )
ADMIN=(-x -H "$AD_URI" -D "$AD_ADMIN_DN" -y "$W/admin.pw")
# ldapmodify as the administrator (-y reads the password from its file).
admin_modify() { ldapmodify "${ADMIN[@]}" "$@" >/dev/null; }
admin_search() { ldapsearch "${ADMIN[@]}" -LLL -o ldif-wrap=no -E pr=500/noprompt "$@"; }

# adsync.conf for this DC; extra "key = value" lines as arguments.
write_conf() {
	{
		echo "[ad]"
		echo "uri = ${URI_LIST:-$AD_URI}"
		echo "base_dn = $AD_BASE_DN"
		echo "bind_dn = $AD_BIND_DN"
		echo "bind_password_file = $AD_BIND_PASSWORD_FILE"
		echo "ca_file = $AD_CA"
		for l in "$@"; do echo "$l"; done
	} > "$W/adsync.conf"
}

OU=OU=T$$,$AD_BASE_DN
make_ou() {
	printf 'dn: %s\nchangetype: add\nobjectClass: organizationalUnit\n\n' "$OU" |
	    admin_modify
}

# Compares `ad dump --json` ($1) with what ldapsearch sees: every object,
# every attribute of the model, member lists whole (GUIDs included).
check_dump() {
	admin_search -b "$AD_BASE_DN" \
	    '(|(&(objectCategory=person)(objectClass=user))(objectClass=contact)(objectClass=group))' \
	    '*' objectGUID > "$W/ref.ldif"
	python3 - "$1" "$W/ref.ldif" <<'PY'
import base64, json, sys, uuid
dump = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    dump[o["objectGUID"]] = o
ref = {}
cur = None
def flush():
    if cur is not None:
        g = str(uuid.UUID(bytes_le=cur["objectGUID"][0]))
        ref[g] = cur
for raw in open(sys.argv[2], "rb").read().decode("utf-8").split("\n"):
    if raw == "":
        flush(); cur = None; continue
    if raw.startswith("#"):
        continue
    k, sep, v = raw.partition(":")
    if v.startswith(":"):
        val = base64.b64decode(v[1:].strip())
        if k != "objectGUID" and k != "objectSid":
            try: val = val.decode("utf-8")
            except UnicodeDecodeError: pass
    else:
        val = v[1:] if v.startswith(" ") else v
    if k == "dn":
        cur = {"dn": val}
        continue
    cur.setdefault(k.split(";")[0] if k.startswith("member;") else k, []).append(val)
flush()
attrs = ["mail", "displayName", "sn", "givenName", "generationQualifier",
    "initials", "o", "sAMAccountName", "userPrincipalName", "cn",
    "telephoneNumber", "pager", "homePhone", "mobile",
    "facsimileTelephoneNumber", "otherFacsimileTelephoneNumber",
    "streetAddress", "l", "st", "postalCode", "co", "title", "employeeID",
    "employeeType", "company", "department", "physicalDeliveryOfficeName",
    "proxyAddresses", "otherMailbox", "mailNickname", "targetAddress"]
bad = 0
if set(dump) != set(ref):
    print("objects differ: only in dump %s, only in ldapsearch %s" %
        (sorted(set(dump) - set(ref))[:5], sorted(set(ref) - set(dump))[:5]))
    bad += 1
nonascii = 0
for g, r in ref.items():
    d = dump.get(g)
    if d is None:
        continue
    if d["dn"] != r["dn"]:
        print("%s: dn %r != %r" % (g, d["dn"], r["dn"])); bad += 1
    for a in attrs:
        want = r.get(a, [])
        got = d.get(a, [])
        if isinstance(got, str):
            got = [got]
        if sorted(want) != sorted(got):
            print("%s %s: %r != %r" % (r["dn"], a, got, want)); bad += 1
        nonascii += sum(1 for x in got if any(ord(c) > 127 for c in x))
    wm = sorted(x.lower() for x in r.get("member", []))
    gm = sorted(m["dn"].lower() for m in d.get("member", []))
    if wm != gm:
        print("%s member: %d values != %d" % (r["dn"], len(gm), len(wm))); bad += 1
    if any("objectGUID" not in m for m in d.get("member", [])):
        print("%s: a member without GUID" % r["dn"]); bad += 1
    if "objectSid" not in d and d["objectClass"] != "contact":
        print("%s: no objectSid" % r["dn"]); bad += 1
print("compared %d objects, %d non-ASCII values, %d problems" %
    (len(ref), nonascii, bad))
sys.exit(1 if bad else 0)
PY
}

# ---- the cases -------------------------------------------------------

case_dump_sample() {
	make_ou
	# Our own objects on top of whatever sample org the DC has: non-ASCII,
	# multi-valued proxyAddresses, a contact, nested groups.
	cat > "$W/org.ldif" <<EOF
dn: CN=Zoë Ångström,$OU
changetype: add
objectClass: user
sAMAccountName: zoe.a$$
userPrincipalName: zoe.a$$@example.test
givenName: Zoë
sn: Ångström
displayName: Zoë Ångström (Straße 5, 東京)
mail: zoe$$@example.test
proxyAddresses: SMTP:zoe$$@example.test
proxyAddresses: smtp:z.angstrom$$@example.test
proxyAddresses: X500:/o=Example/cn=zoe
telephoneNumber: +49 30 1234567
title: Directrice générale
department: Édition
company: Ünïcödé GmbH
streetAddress: Königstraße 1
l: München
postalCode: 80331
co: Deutschland
mailNickname: zoe$$
otherMailbox: zoe.other$$@example.test

dn: CN=Ext Contact,$OU
changetype: add
objectClass: contact
displayName: Ext Contact
mail: ext$$@partner.example
targetAddress: SMTP:ext$$@partner.example
proxyAddresses: SMTP:ext$$@partner.example

dn: CN=Inner Group,$OU
changetype: add
objectClass: group
groupType: 8
mail: inner$$@example.test
member: CN=Zoë Ångström,$OU
member: CN=Ext Contact,$OU

dn: CN=Outer Group,$OU
changetype: add
objectClass: group
member: CN=Inner Group,$OU
member: CN=Zoë Ångström,$OU
EOF
	admin_modify -f "$W/org.ldif"
	write_conf "range_size = 3" "page_size = 7"
	"$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/dump.json" ||
	    fail "ad dump failed"
	check_dump "$W/dump.json" || fail "dump differs from ldapsearch"
	grep -q '"displayName":"Zoë Ångström (Straße 5, 東京)"' "$W/dump.json" ||
	    fail "non-ASCII value not intact"
	grep -q '"objectClass":"contact"' "$W/dump.json" || fail "no contact"
	# Text form: one block per object.
	"$ADSYNC" -c "$W/adsync.conf" ad dump > "$W/dump.txt" || fail "text dump"
	[ "$(grep -c '^objectGUID: ' "$W/dump.txt")" = "$(wc -l < "$W/dump.json")" ] ||
	    fail "text and JSON dumps differ in count"
	grep -q "^displayName: Zoë Ångström" "$W/dump.txt" || fail "text dump value"
	echo "dump_sample: $(wc -l < "$W/dump.json") objects"
}

# Generates N users and, unless $2 is "nogroups", groups of 100 members
# (LDIF on stdout).
gen_users() {
	local n=$1 i g
	for ((i = 0; i < n; i++)); do
		printf 'dn: CN=User %05d,%s\nchangetype: add\nobjectClass: user\nsAMAccountName: gu%05d\nmail: gu%05d@example.test\nproxyAddresses: SMTP:gu%05d@example.test\ndisplayName: Gen Üser %05d\ntitle: Tester\n\n' \
		    "$i" "$OU" "$i" "$i" "$i" "$i"
	done
	[ "${2:-}" = nogroups ] && return 0
	for ((g = 0; g * 100 < n; g++)); do
		printf 'dn: CN=Gen Group %03d,%s\nchangetype: add\nobjectClass: group\n' "$g" "$OU"
		for ((i = g * 100; i < n && i < g * 100 + 100; i++)); do
			printf 'member: CN=User %05d,%s\n' "$i" "$OU"
		done
		printf '\n'
	done
}

case_dump_5k() {
	local t0 t1 before
	write_conf
	"$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/before.json" 2>/dev/null ||
	    fail "ad dump failed"
	before=$(wc -l < "$W/before.json")
	if [ "$before" -lt 5000 ]; then
		make_ou
		gen_users 4950 > "$W/gen.ldif"	# + 50 groups = 5000 objects
		t0=$(date +%s.%N)
		admin_modify -f "$W/gen.ldif"
		t1=$(date +%s.%N)
		echo "loaded 5000 objects in $(awk "BEGIN{print $t1 - $t0}") s"
	fi
	write_conf "page_size = 1000"
	/usr/bin/time -f '%e s, max RSS %M kB' -o "$W/time" \
	    "$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/dump.json" 2> "$W/err" ||
	    { cat "$W/err"; fail "ad dump failed"; }
	echo "dump_5k: $(wc -l < "$W/dump.json") objects in $(cat "$W/time")"
	grep -q "5000 objects read" "$W/err" || fail "no progress line"
	[ "$(wc -l < "$W/dump.json")" -ge 5000 ] || fail "objects missing"
	check_dump "$W/dump.json" || fail "dump differs from ldapsearch"
}

case_ranges() {
	make_ou
	{ gen_users 3000 nogroups
	  printf 'dn: CN=Big Group,%s\nchangetype: add\nobjectClass: group\n' "$OU"
	  for ((i = 0; i < 3000; i++)); do printf 'member: CN=User %05d,%s\n' "$i" "$OU"; done
	  printf '\n'; } > "$W/big.ldif"
	admin_modify -f "$W/big.ldif"
	write_conf "range_size = 1000"
	"$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/dump.json" || fail "ad dump failed"
	n=$(python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o["dn"].startswith("CN=Big Group,"):
        ms = o["member"]
        assert len(set(m["objectGUID"] for m in ms)) == len(ms)
        print(len(ms))' "$W/dump.json")
	[ "$n" = 3000 ] || fail "Big Group has $n members, wanted 3000"
	# A range size that does not divide the count, and one of 1.
	write_conf "range_size = 1499"
	"$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/dump2.json" || fail "ad dump failed"
	check_dump "$W/dump2.json" || fail "dump differs from ldapsearch"
	echo "ranges: 3000 members read whole with range_size 1000 and 1499"
}

# Runs `ad watch` in the background ($STARTED_PID), output in $W/watch.out.
start_watch() {
	"$ADSYNC" -c "$W/adsync.conf" ${WATCH_OPTS:-} ad watch > "$W/watch.out" \
	    2> "$W/watch.err" &
	STARTED_PID=$!
	for _ in $(seq 1 100); do
		grep -q "watching" "$W/watch.err" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$W/watch.err"; fail "ad watch did not start"
}

stop_watch() {
	kill -TERM "$STARTED_PID"
	local rc=0
	wait "$STARTED_PID" || rc=$?
	STARTED_PID=
	[ $rc = 0 ] || { cat "$W/watch.err"; fail "ad watch exited $rc"; }
}

# Waits until `ad watch` printed a line matching all the patterns.
wait_line() {
	local i p ok
	for i in $(seq 1 150); do
		while IFS= read -r line; do
			ok=1
			for p in "$@"; do
				case $line in *"$p"*) ;; *) ok=0 ;; esac
			done
			[ $ok = 1 ] && return 0
		done < "$W/watch.out"
		sleep 0.1
	done
	echo "--- watch output:"; cat "$W/watch.out"; cat "$W/watch.err"
	fail "no change line with: $*"
}

# incremental_case MODE WHO: WHO "svc" binds as the service account,
# "admin" as Administrator. Samba 4.17 hides tombstones from accounts that
# are not administrators, even with "Replicating Directory Changes" (real
# AD returns them to DirSync with that right, and to Show Deleted searches
# with List Contents on CN=Deleted Objects), so deletions are checked as
# the administrator and everything else as the service account too.
incremental_case() {
	local mode=$1 who=$2
	make_ou
	if [ "$who" = admin ]; then
		AD_BIND_DN=$AD_ADMIN_DN
		AD_BIND_PASSWORD_FILE=$W/admin.pw
	elif [ "$who" = user ]; then
		# An ordinary user of the sample org, without the replication
		# right: DirSync must fall back to OBJECT_SECURITY.
		AD_BIND_DN=alice@${AD_REALM:-EXAMPLE.TEST}
		( umask 077; printf '%s' 'Sample-Passw0rd!' > "$W/user.pw" )
		audit_secret ldap/user_password 'Sample-Passw0rd!'
		AD_BIND_PASSWORD_FILE=$W/user.pw
		WATCH_OPTS=-v
	fi
	printf 'dn: OU=Other,%s\nchangetype: add\nobjectClass: organizationalUnit\n\n' "$OU" | admin_modify
	printf 'dn: CN=Old User,%s\nchangetype: add\nobjectClass: user\nsAMAccountName: old%s\nmail: old@example.test\n\ndn: CN=Team,%s\nchangetype: add\nobjectClass: group\nmember: CN=Old User,%s\n\n' \
	    "$OU" "$$" "$OU" "$OU" | admin_modify
	write_conf "incremental = $mode" "notify = false" "poll_interval = 1"
	start_watch
	grep -q "$( [ "$mode" = usn ] && echo 'uSN polling' || echo DirSync)" "$W/watch.err" ||
	    fail "not using $mode"
	# Changes to objects that are not users, contacts or groups (a computer,
	# an OU) are dropped by the reader: change reads filter on the uSN or
	# (objectClass=*) only (docs/ldap.md). Checked at the end.
	printf 'dn: CN=Box,%s\nchangetype: add\nobjectClass: computer\nsAMAccountName: box%s$\n\ndn: OU=Other,%s\nchangetype: modify\nreplace: description\ndescription: changed\n-\n\n' "$OU" "$$" "$OU" | admin_modify
	# add
	printf 'dn: CN=New User,%s\nchangetype: add\nobjectClass: user\nsAMAccountName: new%s\nmail: new@example.test\n\n' "$OU" "$$" | admin_modify
	wait_line '"change":"add"' '"dn":"CN=New User,'
	# modify
	printf 'dn: CN=New User,%s\nchangetype: modify\nreplace: mail\nmail: renamed@example.test\n-\n\n' "$OU" | admin_modify
	wait_line '"dn":"CN=New User,' '"mail":"renamed@example.test"'
	# membership add and remove, in one modify
	printf 'dn: CN=Team,%s\nchangetype: modify\nadd: member\nmember: CN=New User,%s\n-\ndelete: member\nmember: CN=Old User,%s\n-\n\n' "$OU" "$OU" "$OU" | admin_modify
	if [ "$mode" = dirsync ]; then
		wait_line '"dn":"CN=Team,' '"member_added":[{"objectGUID"' 'CN=New User,' '"member_removed":[{"objectGUID"' 'CN=Old User,'
	else
		wait_line '"change":"modify"' '"dn":"CN=Team,' '"member":[{"objectGUID"' 'CN=New User,'
		! grep '"dn":"CN=Team,' "$W/watch.out" | tail -1 | grep -q 'CN=Old User' ||
		    fail "uSN read still lists the removed member"
	fi
	guid=$(grep -m1 '"dn":"CN=New User,' "$W/watch.out" | sed 's/.*"objectGUID":"\([^"]*\)".*/\1/')
	# rename, then move: the same objectGUID with the new DN
	printf 'dn: CN=New User,%s\nchangetype: modrdn\nnewrdn: CN=Renamed User\ndeleteoldrdn: 1\n\n' "$OU" | admin_modify
	wait_line "\"objectGUID\":\"$guid\"" '"dn":"CN=Renamed User,'
	printf 'dn: CN=Renamed User,%s\nchangetype: modrdn\nnewrdn: CN=Renamed User\ndeleteoldrdn: 1\nnewsuperior: OU=Other,%s\n\n' "$OU" "$OU" | admin_modify
	wait_line "\"objectGUID\":\"$guid\"" "\"dn\":\"CN=Renamed User,OU=Other,"
	! grep -E '"dn":"(CN=Box|OU=Other),' "$W/watch.out" ||
	    fail "a computer or an OU was reported"
	if [ "$who" != admin ]; then
		stop_watch
		if [ "$who" = user ]; then
			grep -q "retrying with it" "$W/watch.err" ||
			    fail "DirSync did not fall back to OBJECT_SECURITY"
		fi
		echo "$mode as $AD_BIND_DN: add, modify, member add/remove, rename, move seen"
		return 0
	fi
	# delete: a tombstone with the same objectGUID
	printf 'dn: CN=Renamed User,OU=Other,%s\nchangetype: delete\n\n' "$OU" | admin_modify
	wait_line "\"objectGUID\":\"$guid\"" '"change":"delete"' '"isDeleted":true'
	stop_watch
	echo "$mode: add, modify, member add/remove, rename, move, delete seen"
}

case_dirsync() { incremental_case dirsync admin; }
case_dirsync_svc() { incremental_case dirsync svc; }
case_dirsync_objsec() { incremental_case dirsync user; }
case_usn() { incremental_case usn admin; }
case_usn_svc() { incremental_case usn svc; }

case_failover() {
	# Nothing listens on 127.0.0.2 inside the namespace.
	URI_LIST="ldaps://127.0.0.2 $AD_URI" write_conf "connect_retries = 0"
	"$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/dump.json" 2> "$W/err" ||
	    { cat "$W/err"; fail "no failover to the working URI"; }
	[ -s "$W/dump.json" ] || fail "empty dump after failover"
	# Reconnect: the DC stops and starts under a running `ad watch`.
	make_ou
	URI_LIST="ldaps://127.0.0.2 $AD_URI" write_conf "notify = false" \
	    "poll_interval = 1" "connect_retries = 1" "network_timeout = 2"
	start_watch
	"$AD_SAMBA_AD" "$AD_DIR" stop >/dev/null
	sleep 2
	"$AD_SAMBA_AD" "$AD_DIR" start >/dev/null
	"$AD_SAMBA_AD" "$AD_DIR" wait >/dev/null
	printf 'dn: CN=After Restart,%s\nchangetype: add\nobjectClass: user\nsAMAccountName: ar%s\n\n' "$OU" "$$" | admin_modify
	wait_line '"dn":"CN=After Restart,'
	stop_watch
	grep -q "trying again" "$W/watch.err" || fail "the outage was not noticed"
	echo "failover: dead URI skipped; reconnected after a DC restart"
}

case_errors() {
	# A CA that did not sign the DC's certificate.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/bad.key" \
	    -out "$W/bad-ca.pem" -days 2 -subj "/CN=not the AD CA" 2>/dev/null
	write_conf
	sed -i "s|^ca_file = .*|ca_file = $W/bad-ca.pem|" "$W/adsync.conf"
	if "$ADSYNC" -c "$W/adsync.conf" ad dump > "$W/out" 2> "$W/err"; then
		fail "bad CA accepted"
	fi
	cat "$W/err"
	grep -q "TLS failed.*ca_file ($W/bad-ca.pem)" "$W/err" || fail "bad CA message"
	[ ! -s "$W/out" ] || fail "output despite the failure"
	# A wrong password.
	umask 077; printf 'wrong-Passw0rd' > "$W/bad.pw"; umask 022
	audit_secret ldap/wrong_password 'wrong-Passw0rd'
	write_conf
	sed -i "s|^bind_password_file = .*|bind_password_file = $W/bad.pw|" "$W/adsync.conf"
	if "$ADSYNC" -c "$W/adsync.conf" ad dump > "$W/out" 2> "$W/err"; then
		fail "bad password accepted"
	fi
	cat "$W/err"
	grep -q "invalid credentials (AD data 52e) for bind_dn $AD_BIND_DN" "$W/err" ||
	    fail "bad password message"
	# Nothing reachable: every URI named with its error.
	URI_LIST="ldaps://127.0.0.2 ldaps://127.0.0.3:6360" write_conf "connect_retries = 0"
	if "$ADSYNC" -c "$W/adsync.conf" ad dump > "$W/out" 2> "$W/err"; then
		fail "unreachable DCs accepted"
	fi
	cat "$W/err"
	grep -q "ldaps://127.0.0.2: cannot connect.*ldaps://127.0.0.3:6360: cannot connect" "$W/err" ||
	    fail "unreachable message"
	# Plain ldap:// without StartTLS is refused by the configuration.
	URI_LIST="ldap://127.0.0.1" write_conf
	if "$ADSYNC" -c "$W/adsync.conf" ad dump 2> "$W/err"; then
		fail "plain LDAP accepted"
	fi
	grep -q "unencrypted" "$W/err" || fail "plain LDAP message"
	# StartTLS works and is verified.
	URI_LIST="ldap://127.0.0.1" write_conf "starttls = true"
	"$ADSYNC" -c "$W/adsync.conf" ad dump --json > "$W/out" 2> "$W/err" ||
	    { cat "$W/err"; fail "StartTLS read failed"; }
	echo "errors: bad CA, bad password, unreachable, plain LDAP; StartTLS OK"
}

case_notify() {
	make_ou
	write_conf "notify = true" "poll_interval = 300"
	start_watch
	grep -q "notification" "$W/watch.err" || fail "no notification"
	local best=99 i t0 t1 lat
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		printf 'dn: CN=Notified %s,%s\nchangetype: add\nobjectClass: user\nsAMAccountName: nt%s%s\n\n' "$i" "$OU" "$i" "$$" | admin_modify
		for _ in $(seq 1 1000); do
			grep -q "\"dn\":\"CN=Notified $i," "$W/watch.out" && break
			sleep 0.005
		done
		t1=$(date +%s.%N)
		grep -q "\"dn\":\"CN=Notified $i," "$W/watch.out" || fail "change $i not seen"
		lat=$(awk "BEGIN{printf \"%.3f\", $t1 - $t0}")
		echo "notify: change $i seen $lat s after ldapmodify started"
	done
	stop_watch
}

"case_$CASE"

#!/usr/bin/env bash
# The inside of `make demo` (scripts/demo.sh). Run by tests/testbed/with-ad.sh
# in the private network namespace of a throwaway Samba AD DC holding the
# sample organisation, with the AD_* variables exported (docs/testbed.md):
#   demo-inside.sh BUILD_DIR SRC_DIR
# Starts rsemu over TLS (its own CA) with a scaled Rackspace throttle, writes
# BUILD_DIR/demo/adsync.conf, and shows adsync check --connect and plan;
# then starts adsync daemon (log BUILD_DIR/demo/daemon.log) and shows its
# first cycle (status, alerts, history), an AD change by ldapmodify that
# the daemon carries to the API by itself (timed), sync --now, and the
# changed mailbox through adsync api. Then an interactive shell when stdin
# is a terminal and DEMO_SECONDS is unset, else it waits for DEMO_SECONDS
# seconds (or until TERM: with-ad.sh sends it on Ctrl-C). On exit it stops
# what it started by PID: the shell, the daemon (TERM, and waits for it to
# finish its requests in flight), then rsemu; with-ad.sh stops the DC.
# Output for people, headings before each step; the CTest
# tests/integration/test_demo.sh checks its key lines.
# Functions run by traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail
build=${1:?usage: demo-inside.sh BUILD_DIR SRC_DIR}
src=${2:?usage: demo-inside.sh BUILD_DIR SRC_DIR}
: "${AD_URI:?run by tests/testbed/with-ad.sh (scripts/demo.sh)}"
demo=$build/demo
bin=$build/src/cli
adsync=$bin/adsync
rsemu=$build/emulator/rsemu
RSEMU_PORT=${RSEMU_PORT:-8443}
ADMIN_PORT=${ADMIN_PORT:-8444}
CONF=$demo/adsync.conf
EMU_ADMIN=http://127.0.0.1:$ADMIN_PORT
USER_KEY=demoUserKey0000000001
EXG="CN=Hosted Exchange Users,OU=Groups,$AD_BASE_DN"
RSG="CN=Rackspace Email Users,OU=Groups,$AD_BASE_DN"
USER_DN="CN=Alice Anderson,OU=People,$AD_BASE_DN"
USER_MAILBOX=example.com/ex/mailboxes/alice.anderson
NEW_TITLE="Chief Demo Officer"
# The Rackspace throttle (60 GET, 30 writes, 2 domain writes per key and
# minute) with a shorter window: the same counts per THROTTLE_WINDOW
# seconds. rsemu enforces it (403 "Exceeded request limits" beyond), adsync
# paces itself to it (throttle_window in adsync.conf).
THROTTLE_WINDOW=2
export LDAPTLS_CACERT=$AD_CA LDAPTLS_REQCERT=demand

# The console inside the namespace; scripts/demo.sh bridges the host's
# 127.0.0.1:$WEB_PORT to it through the UNIX socket $demo/console.sock.
WEB_PORT=${WEB_PORT:-8080}
rsemu_pid=""
bridge_pid=""
daemon_pid=""
cmd_pid=""
shell_pid=""
sleep_pid=""
stop() {
	# Kill first, talk afterwards, and never stop half-way: with the
	# terminal gone (hang-up) or a closed pipe, echo fails, and set -e
	# would end this function before rsemu is stopped.
	trap - EXIT INT TERM HUP
	trap '' PIPE
	set +e
	# An interactive bash ignores TERM; HUP makes it exit.
	[ -z "$shell_pid" ] || kill -HUP "$shell_pid" 2>/dev/null
	# The daemon first, and rsemu only once it has exited: on TERM it
	# finishes the requests in flight, which need the API.
	[ -z "$daemon_pid" ] || kill -TERM "$daemon_pid" 2>/dev/null
	[ -z "$cmd_pid" ] || kill -TERM "$cmd_pid" 2>/dev/null
	[ -z "$sleep_pid" ] || kill -TERM "$sleep_pid" 2>/dev/null
	[ -z "$bridge_pid" ] || kill -TERM "$bridge_pid" 2>/dev/null
	[ -z "$bridge_pid" ] || wait "$bridge_pid" 2>/dev/null
	rm -f "$demo/console.sock"
	[ -z "$daemon_pid" ] || wait "$daemon_pid" 2>/dev/null
	[ -z "$rsemu_pid" ] || kill -TERM "$rsemu_pid" 2>/dev/null
	[ -z "$shell_pid" ] || wait "$shell_pid" 2>/dev/null
	[ -z "$cmd_pid" ] || wait "$cmd_pid" 2>/dev/null
	[ -z "$sleep_pid" ] || wait "$sleep_pid" 2>/dev/null
	[ -z "$rsemu_pid" ] || wait "$rsemu_pid" 2>/dev/null
	{
		echo
		[ -z "$daemon_pid" ] || echo "demo: stopped adsync daemon (pid $daemon_pid)"
		[ -z "$rsemu_pid" ] || echo "demo: stopped rsemu (pid $rsemu_pid); with-ad.sh stops the DC"
	} 2>/dev/null
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.2f\", $(now) - $1}"; }
T_START=$(now)

heading() { printf '\n== %s\n' "$*"; }
# show CMD...: prints "$ CMD" with adsync and its -c shortened.
show() {
	local a out=()
	for a in "$@"; do
		case $a in
		"$adsync") out+=(adsync) ;;
		*) out+=("$(printf '%q' "$a")") ;;
		esac
	done
	echo "\$ ${out[*]}"
}
die() { echo "demo: $*" >&2; exit 1; }

# A run: stdout in $demo/out/NAME.out, stderr appended to $demo/adsync.log
# (the dev build's sanitizers report there), status in RC, time in SECS.
RC=0
SECS=0
NAME=
ad_run() {	# NAME ARGS...: adsync -c $CONF ARGS
	local name=$1 t
	shift
	NAME=$name
	t=$(now)
	echo "--- adsync $* ($(date -u +%H:%M:%S))" >> "$demo/adsync.log"
	RC=0
	# In the background, so that a TERM (Ctrl-C) is handled at once.
	"$adsync" -c "$CONF" "$@" > "$demo/out/$name.out" 2> "$demo/out/$name.err" &
	cmd_pid=$!
	wait "$cmd_pid" || RC=$?
	cmd_pid=""
	SECS=$(since "$t")
	cat "$demo/out/$name.err" >> "$demo/adsync.log"
}
# Fails the demo (stderr shown) unless RC is one of the arguments.
want_rc() {
	local r
	for r in "$@"; do [ "$RC" = "$r" ] && return 0; done
	sed 's/^/  /' "$demo/out/$NAME.err" >&2
	die "unexpected exit $RC of the step above (logs in $demo)"
}
# The parts of a plan or sync output: operations, alerts, the last line.
ops() { awk '/^(error|warning) /{exit} {print}' "$1" | sed '$!b; /^[0-9]* to create/d; /^run [0-9]/d'; }
alerts() { grep -E '^(error|warning) ' "$1" || true; }
lastline() { tail -n 1 "$1"; }

# ---- rsemu and adsync.conf -----------------------------------------------
rm -rf "$demo"
mkdir -p "$demo/out"
"$src/tests/testbed/mkcert.sh" "$demo/tls" >/dev/null 2>&1 || die "mkcert.sh failed"
(
	umask 077
	head -c 24 /dev/urandom | base64 > "$demo/rsemu-secret.key"
	cp "$demo/rsemu-secret.key" "$demo/rackspace-secret.key"
)

# Both domains hold both services, as in the sync tests; example.net is an
# accepted domain of example.com, so alice@example.net may be an alternate
# address of alice.anderson@example.com (sync_proxy_addresses). setsid (no
# fork here: we are not a group leader, so the PID stays rsemu's) keeps the
# terminal's Ctrl-C from stopping rsemu under a sync in progress, which
# would then retry for a minute: rsemu stops when we TERM it.
setsid "$rsemu" --listen "127.0.0.1:$RSEMU_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
    --tls-cert "$demo/tls/server.pem" --tls-key "$demo/tls/server.key" \
    --state "$demo/rsemu.db" --account 100042 --user-key "$USER_KEY" \
    --secret-key-file "$demo/rsemu-secret.key" \
    --domain example.com:both --domain example.net:both \
    --accepted-domain example.com:example.net \
    --throttle "get=60,write=30,domain=2,altdomain=2,window=$THROTTLE_WINDOW" \
    --ready-file "$demo/rsemu.ready" 2>"$demo/rsemu.log" &
rsemu_pid=$!
for _ in $(seq 1 200); do
	[ -s "$demo/rsemu.ready" ] && break
	kill -0 "$rsemu_pid" 2>/dev/null || { cat "$demo/rsemu.log" >&2; rsemu_pid=""; die "rsemu failed to start"; }
	sleep 0.05
done
[ -s "$demo/rsemu.ready" ] || die "rsemu not ready after 10 s ($demo/rsemu.log)"

cat > "$CONF" <<CONF
; adsync configuration generated by make demo (scripts/demo-inside.sh): the
; throwaway Samba AD DC of tests/testbed/with-ad.sh and the local rsemu.
; Valid while the demo runs: the DC's password file and CA go with it.
[ad]
uri = $AD_URI
base_dn = $AD_BASE_DN
bind_dn = $AD_BIND_DN
bind_password_file = $AD_BIND_PASSWORD_FILE
ca_file = $AD_CA

[rackspace]
api_url = https://127.0.0.1:$RSEMU_PORT/v1
customer = me
user_key = $USER_KEY
secret_key_file = $demo/rackspace-secret.key
ca_file = $demo/tls/ca.pem
; The real limits per window, as rsemu enforces them; only the window is
; shorter than Rackspace's 60 s.
reads_per_minute = 60
writes_per_minute = 30
domain_writes_per_minute = 2
throttle_window = $THROTTLE_WINDOW

[sync]
exchange_group = $EXG
rackspace_email_group = $RSG
domains = example.com example.net
sync_proxy_addresses = true
state_dir = $demo/state

[daemon]
; The local web console (registration, settings, Sync Now, history,
; alerts, objects, password hooks; /metrics and /healthz).
web_listen = 127.0.0.1:$WEB_PORT
CONF

# The console's password: random, in a 0600 file (never printed).
( umask 077; openssl rand -base64 18 > "$demo/console-password" )
"$adsync" -c "$CONF" web passwd < "$demo/console-password" > /dev/null ||
    die "adsync web passwd failed"
# The bridge for scripts/demo.sh: the socket file is reachable from the
# host's network namespace, the namespace's loopback is not.
rm -f "$demo/console.sock"
if command -v socat >/dev/null; then
	socat UNIX-LISTEN:"$demo/console.sock",fork,mode=600 \
	    TCP:127.0.0.1:"$WEB_PORT" 2>/dev/null &
	bridge_pid=$!
fi

cat <<TXT
== adsync demo ====================================================
Samba AD DC    $AD_URI, $AD_REALM, sample organisation (pid $(cat "$AD_DIR/samba.pid" 2>/dev/null || echo '?'))
               in a private network namespace; instance $AD_DIR
rsemu          https://127.0.0.1:$RSEMU_PORT/v1 (TLS, CA $demo/tls/ca.pem), pid $rsemu_pid
               admin $EMU_ADMIN/_emu/state; account 100042,
               example.com and example.net (Exchange and Rackspace Email)
throttle       on, $((60 / THROTTLE_WINDOW))x faster: Rackspace's limits per key (60 GET, 30 writes,
               2 domain writes) per $THROTTLE_WINDOW s window instead of 60 s. rsemu enforces
               them (403 "Exceeded request limits"), adsync paces itself to them
               (throttle_window = $THROTTLE_WINDOW): the first sync takes seconds, not the
               minute or more it would take at the real rate.
configuration  $CONF
console        http://127.0.0.1:$WEB_PORT/ from a browser on this host (bridged out of the
               namespace); the password is in $demo/console-password
"adsync" below is $adsync -c $CONF
TXT

# ---- 1. check --connect ----------------------------------------------------
heading "1. adsync check --connect: the file, the secret files, a bind to AD over LDAPS, the API's domains"
ad_run check check --connect
show "$adsync" check --connect
cat "$demo/out/check.out"
echo "(exit $RC, $SECS s)"
want_rc 0

# ---- 2. plan ---------------------------------------------------------------
heading "2. adsync plan: what a first sync would do (reads AD, asks the API, changes nothing)"
ad_run plan plan
show "$adsync" plan
want_rc 0
ops "$demo/out/plan.out" > "$demo/out/plan.ops"
head -n 6 "$demo/out/plan.ops"
n=$(wc -l < "$demo/out/plan.ops")
[ "$n" -le 6 ] || echo "... ($((n - 6)) more operations; the whole plan is in $demo/out/plan.out)"
echo "alerts (the sample organisation's deliberately broken objects):"
alerts "$demo/out/plan.out" | sed 's/^/  /'
lastline "$demo/out/plan.out"
echo "(exit $RC, $SECS s)"

# ---- 3. the daemon ---------------------------------------------------------
heading "3. adsync daemon: runs on; its first cycle applies the plan, paced by the throttle"
# setsid (as for rsemu): the terminal's Ctrl-C must not stop the daemon
# behind our back; stop() TERMs it, then rsemu. --allow-root: the demo runs
# as root in its namespace; an installed adsync runs as the adsync user.
echo "\$ adsync daemon --allow-root 2>$demo/daemon.log &"
t=$(now)
setsid "$adsync" -c "$CONF" daemon --allow-root 2> "$demo/daemon.log" < /dev/null > /dev/null &
daemon_pid=$!
echo "daemon pid $daemon_pid, log $demo/daemon.log, control socket $demo/state/ctl.sock"
# What `adsync status --json` says, on one line (nothing while the daemon
# does not answer yet). Its stderr goes to $demo/out/status-poll.err, where
# a sanitizer would report.
status_json() {
	"$adsync" -c "$CONF" status --json 2>> "$demo/out/status-poll.err" || true
}
# The daemon's cycles so far (empty while it does not answer).
cycles() {
	local j
	j=$(status_json)
	[[ $j =~ \"cycles\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
	return 0
}
# Microseconds since the epoch, without a fork.
usecs() { echo "${EPOCHREALTIME/./}"; }
# wait_cycles N SECONDS [settled]: until the daemon has ended N cycles, and
# with "settled" also is idle with no cycle queued, polling every 0.1 s;
# 1 if not within SECONDS.
wait_cycles() {
	local j end=$(($(usecs) + $2 * 1000000))
	while :; do
		kill -0 "$daemon_pid" 2>/dev/null || {
			sed 's/^/  /' "$demo/daemon.log" >&2
			daemon_pid=""
			die "adsync daemon exited (log above, $demo/daemon.log)"
		}
		j=$(status_json)
		if [[ $j =~ \"cycles\":\ *([0-9]+) ]] &&
		    [ "${BASH_REMATCH[1]}" -ge "$1" ]; then
			[ "${3:-}" != settled ] && return 0
			[[ $j =~ \"state\":\ *\"idle\" ]] &&
			    [[ $j =~ \"pending\":\ *false ]] && return 0
		fi
		[ "$(usecs)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
echo "(waiting for the first cycle to end: adsync status --json, \"cycles\" >= 1)"
wait_cycles 1 60 || die "the daemon's first cycle did not end in 60 s ($demo/daemon.log)"
echo "(first cycle ended $(since "$t") s after the start)"
# A cycle queued behind the first (see step 4) ends in a moment: wait for
# it, so that what follows starts from a quiet daemon.
wait_cycles 1 15 settled || true
echo
ad_run status1 status
show "$adsync" status
want_rc 0
cat "$demo/out/status1.out"
# What the throttle did: rsemu's counters (every run so far, writes only
# from the daemon's first cycle).
curl -sf -o "$demo/out/stats.json" "$EMU_ADMIN/_emu/stats" || echo '{}' > "$demo/out/stats.json"
python3 - "$demo/out/stats.json" "$THROTTLE_WINDOW" <<'PY' || true
import json, sys
s = json.load(open(sys.argv[1]))
win = int(sys.argv[2])
writes = sum(n for m, st in s.get("by_method_status", {}).items() if m != "GET"
             for n in st.values())
waits = max(0, -(-writes // 30) - 1)	# full windows to wait for, at least
print("rsemu: %s API requests so far (%d writes), %s refused by the throttle: adsync"
      % (s.get("requests", "?"), writes, s.get("throttled", "?")))
print("kept to 30 writes per %d s window and waited for the next one; with the real"
      % win)
print("60 s window this first cycle would take at least %d s." % (waits * 60))
PY

# ---- 4. alerts and history -------------------------------------------------
heading "4. adsync alerts and adsync history: what the daemon knows (from its state)"
ad_run alerts alerts
show "$adsync" alerts
want_rc 0
head -n 9 "$demo/out/alerts.out"
n=$(grep -cE '^(error|warning) ' "$demo/out/alerts.out" || true)
[ "$(wc -l < "$demo/out/alerts.out")" -le 9 ] ||
    echo "... ($n open alerts in all: the sample organisation's deliberately broken objects)"
ad_run history history
show "$adsync" history
want_rc 0
cat "$demo/out/history.out"
if grep -qE '^run 2 .* change ' "$demo/out/history.out"; then
	echo "(run 1 (start) is the first sync: the plan above, applied. A \"change\" run"
	echo "right after it: once change notification is up, the daemon reads what changed"
	echo "before it was listening; here nothing.)"
fi

# ---- 5. an AD change, and nothing else -------------------------------------
heading "5. ldapmodify as Administrator: a new title for Alice Anderson; the daemon carries it over"
ldif="dn: $USER_DN
changetype: modify
replace: title
title: $NEW_TITLE
-
"
c0=$(cycles)
show ldapmodify -x -H "$AD_URI" -D "$AD_ADMIN_UPN" -y "$AD_ADMIN_PASSWORD_FILE"
printf '%s' "$ldif" | sed 's/^/  /'
t=$(now)
printf '%s\n' "$ldif" | ldapmodify -x -H "$AD_URI" -D "$AD_ADMIN_UPN" -y "$AD_ADMIN_PASSWORD_FILE" \
    > "$demo/out/ldapmodify.out" || die "ldapmodify failed"
sed '/^$/d' "$demo/out/ldapmodify.out"
echo "(waiting for the new title in rsemu's state: $EMU_ADMIN/_emu/state)"
# rsemu's admin state, not adsync api: the admin API is outside the
# throttle, so polling it takes nothing from the daemon's share.
arrived=""
end=$(($(usecs) + 15000000))
while :; do
	if curl -sf "$EMU_ADMIN/_emu/state" 2>/dev/null | grep -qF "\"$NEW_TITLE\""; then
		arrived=$(since "$t")
		break
	fi
	[ "$(usecs)" -lt "$end" ] || break
	sleep 0.05
done
[ -n "$arrived" ] || die "the change did not reach the service in 15 s ($demo/daemon.log)"
echo "the change reached the service in $arrived s, without any command"
# The cycle that carried it: shown once it has ended and been recorded.
wait_cycles $((${c0:-1} + 1)) 15 settled || true
echo
ad_run status2 status
show "$adsync" status
want_rc 0
cat "$demo/out/status2.out"

# ---- 6. sync --now ---------------------------------------------------------
heading "6. adsync sync --now: asks the daemon for a cycle now and prints its result (exit 2: objects with errors)"
ad_run syncnow sync --now
show "$adsync" sync --now
want_rc 0 2
cat "$demo/out/syncnow.out"
echo "(exit $RC, $SECS s)"

# ---- 7. the result ---------------------------------------------------------
heading "7. the mailbox as the API shows it now"
ad_run get api GET "/customers/me/domains/$USER_MAILBOX"
show "$adsync" api GET "/customers/me/domains/$USER_MAILBOX"
want_rc 0
cat "$demo/out/get.out"

echo
echo "demo: all steps done in $(since "$T_START") s"

# ---- then: a shell, or wait ------------------------------------------------
# The shell's start file: self-contained (it reads the AD_* variables from
# AD_ENV), so `nsenter -t PID -n bash --rcfile FILE -i` gets the same shell
# from another terminal.
{
	echo "# bash start file of make demo (scripts/demo-inside.sh)"
	echo "set -a; . $(printf '%q' "$AD_ENV"); set +a"
	printf 'export ADSYNC_CONF=%q\n' "$CONF"
	printf 'export RSEMU_ADMIN=%q\n' "$EMU_ADMIN"
	printf 'export LDAPTLS_CACERT=%q LDAPTLS_REQCERT=demand\n' "$AD_CA"
	# shellcheck disable=SC2016 # $PATH: expanded by the shell
	printf 'PATH=%q:$PATH\n' "$bin"
	printf 'HISTFILE=%q\n' "$demo/bash_history"
	cat <<'RC'
PS1='adsync-demo$ '
# adsync with the demo's configuration unless -c is given.
adsync() {
	case "${1:-}" in
	-c | -c?*) command adsync "$@" ;;
	*) command adsync -c "$ADSYNC_CONF" "$@" ;;
	esac
}
# With job control, Ctrl-C in a running command (adsync ad watch) reaches
# that command only; at the prompt it reaches the shell: leave, which stops
# the demo.
trap 'echo; exit 0' INT
RC
} > "$demo/bashrc"

cheats() {
	cat <<TXT

== try it ==========================================================
  adsync daemon is running (pid $daemon_pid): change AD and watch the change
  arrive, e.g. a new title for Bob Baker as Administrator (LDIF lines must
  not be indented):
ldapmodify -x -H "\$AD_URI" -D "\$AD_ADMIN_UPN" -y "\$AD_ADMIN_PASSWORD_FILE" <<EOF
dn: CN=Bob Baker,OU=People,$AD_BASE_DN
changetype: modify
replace: title
title: Demo Team Lead
EOF
  adsync status              the daemon: the last cycle (the change), the next one
  adsync api GET /customers/me/domains/example.com/ex/mailboxes/bob.baker
  adsync history             the daemon's runs, newest first
  adsync alerts              the open alerts (the sample's broken objects)
  adsync sync --now          a cycle now, and its result (exit 2: those objects)
  tail -f $demo/daemon.log
TXT
	# Only what this build has: explain is still to come (issue 6).
	if "$adsync" help explain > /dev/null 2>&1; then
		echo "  adsync explain ADDRESS     how adsync got to an address: the object, its rules"
	else
		echo "  (coming: adsync explain ADDRESS, how adsync got to an address)"
	fi
	cat <<TXT
  adsync ad watch            AD changes as they arrive (Ctrl-C stops it)
  curl -s \$RSEMU_ADMIN/_emu/state | python3 -m json.tool | less
  curl -s \$RSEMU_ADMIN/_emu/requests | python3 -m json.tool | less
  man -l $src/docs/man/adsync.8      (also adsync.conf.5, rsemu.1)
  (adsync plan and sync --once need the state to themselves: they refuse
  while the daemon runs)
TXT
}

cheats
if [ -t 0 ] && [ -z "${DEMO_SECONDS:-}" ]; then
	echo "  exit, Ctrl-D, or Ctrl-C at the prompt: stop everything"
	echo
	# In the background, so that our TERM trap runs at once (with-ad.sh
	# sends TERM when it is stopped). The interactive bash takes over the
	# terminal with its own process group (job control) and gives it back
	# when it exits. A background child of a script starts with SIGINT
	# ignored, and bash cannot trap a signal ignored at its start: env
	# restores the default first, so the start file's INT trap works.
	env --default-signal=INT bash --rcfile "$demo/bashrc" -i <&0 &
	shell_pid=$!
	wait "$shell_pid" || true
	shell_pid=""
else
	echo
	echo "the daemon, rsemu and the DC keep running; to try the above from another"
	echo "terminal: nsenter -t $$ -n bash --rcfile $demo/bashrc -i"
	if [ -n "${DEMO_SECONDS:-}" ]; then
		echo "stopping in $DEMO_SECONDS s (DEMO_SECONDS), or press Ctrl-C"
		sleep "$DEMO_SECONDS" &
	else
		echo "press Ctrl-C to stop"
		sleep infinity &
	fi
	sleep_pid=$!
	wait "$sleep_pid" || true
	sleep_pid=""
fi
exit 0

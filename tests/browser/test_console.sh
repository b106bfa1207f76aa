#!/bin/bash
# The web console in headless Chromium (issue 8; docs/testing-sync.md,
# "Browser tests"):
#   test_console.sh ADSYNC RSEMU SRCDIR BUILD_DIR
#
# `adsync daemon` starts from a configuration with no API keys, no AD
# connection and no groups, its console on 127.0.0.1:<free port>; the
# administrator's password is set with `adsync web passwd`. Then
# console.spec.mjs (playwright-core driving Debian's chromium) does the set-up
# and the daily work in the browser (see its header), with screenshots in
# BUILD_DIR/browser-shots/NN-name.png. Around it, from the shell with curl:
# /healthz, a wrong Host refused (421), /metrics open on loopback and accepted
# by the strict parser (tests/integration/promparse.py), and with the
# browser's session cookie: a POST without the CSRF token, with a wrong one,
# and with a foreign Origin refused (403) with no run started, while the same
# POST with the token starts one. Finally SIGTERM stops the daemon cleanly.
#
# The Samba DC, rsemu and the check helpers come from
# tests/integration/sync_env.sh (sample organisation; it re-executes this
# script under tests/testbed/with-ad.sh, in a network namespace). The node
# packages are installed before that, outside the namespace
# (tests/browser/npm-install.sh). Exit 77 (skip) without node or chromium,
# or from sync_env.sh / with-ad.sh without root or Samba.
# Functions called through check, wait_for and the trap look unreachable
# (SC2317).
# shellcheck disable=SC2317
# shellcheck disable=SC2034  # read by sync_env.sh
SYNC_ORG=sample
BUILD=${4:?usage: test_console.sh ADSYNC RSEMU SRCDIR BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -z "${AD_URI:-}" ]; then
	for _t in node npm; do
		command -v "$_t" >/dev/null 2>&1 ||
		    { echo "SKIP: $_t is not installed (scripts/deps.sh)"; exit 77; }
	done
	[ -x "$CHROMIUM" ] ||
	    { echo "SKIP: no chromium at $CHROMIUM (scripts/deps.sh)"; exit 77; }
	# The namespace has no network: the packages come first.
	"$HERE/npm-install.sh" "$BUILD" || { echo "FAIL: npm-install.sh"; exit 1; }
fi
# shellcheck source=tests/integration/sync_env.sh
. "$3/tests/integration/sync_env.sh" "$@"

BUILD=$(cd "$BUILD" && pwd)
SHOTS=$BUILD/browser-shots
PROMPARSE=$SRCDIR/tests/integration/promparse.py
mkdir -p "$SHOTS"
rm -f "$SHOTS"/[0-9][0-9]-*.png

# ---- the daemon's configuration: nothing set up ------------------------
WEB_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$WEB_PORT
CONF=$W/console.conf
CONF_MARKER="# console test: this comment must survive the console's edits"
cat > "$CONF" <<EOF
# adsync.conf of the console's browser test (tests/browser/test_console.sh).
$CONF_MARKER
# The API keys, the AD connection and the groups are set in the browser.
[ad]
bind_password_file = $W/ad-bind.pw
# Notifications off: each change of the test reaches rsemu because the
# browser asked for it (Sync Now, Approve), never by itself.
notify = false
connect_retries = 0
network_timeout = 5
timeout = 30

[rackspace]
api_url = https://$RS_LISTEN/v1
customer = me
user_key =
secret_key_file = $W/console-rs-secret.key
ca_file = $W/tls/ca.pem
user_agent = $SYNC_UA
reads_per_minute = 1000
writes_per_minute = 1000
domain_writes_per_minute = 100
throttle_window = 1
timeout = 10
connect_timeout = 5
max_retries = 2

[sync]
state_dir = $W/cstate
interval = 3600

[daemon]
web_listen = 127.0.0.1:$WEB_PORT
hook_listen =
EOF
CONSOLE_PASSWORD="console-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
audit_secret console/password "$CONSOLE_PASSWORD"	# the secrets audit (tests/audit)

echo "=== the console password"
printf '%s\n' "$CONSOLE_PASSWORD" | "$ADSYNC" -c "$CONF" web passwd > "$W/passwd.out" 2>&1
expect "adsync web passwd" "$?" 0
cat "$W/passwd.out"
check "the password file is 0600" test "$(stat -c %a "$W/cstate/web.passwd" 2>/dev/null)" = 600
check_not "the password is not in the file" grep -qF "$CONSOLE_PASSWORD" "$W/cstate/web.passwd"

echo "=== start"
DPID=
NODE_PID=
# The browser too (by PID; Playwright ends its Chromium when node ends),
# then sync_env.sh's cleanup, which exits with the status it finds in $?.
console_cleanup() {
	local rc=$?
	if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
		kill -TERM "$NODE_PID" 2>/dev/null
		wait "$NODE_PID" 2>/dev/null
	fi
	(exit "$rc")
	sync_cleanup
}
trap console_cleanup EXIT
"$ADSYNC" -c "$CONF" -v daemon --allow-root > "$W/daemon.out" 2> "$W/daemon.err" &
DPID=$!
BG_PID=$DPID	# killed by sync_cleanup if the test dies
healthz() { curl -sf -o "$W/healthz.json" "$URL/healthz"; }
if ! wait_for "the console answers" 20 healthz; then
	tail -n 30 "$W/daemon.err"
	finish
fi
check "it logged where it listens" grep -qF "console: listening on $URL/" "$W/daemon.err"

# http METHOD PATH [CURL ARGS...]: the status code; body in $W/body,
# headers in $W/headers.
http() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$W/body" -D "$W/headers" -w '%{http_code}' -X "$m" "$@" "$URL$p"
}
healthz_is() {	# STATUS: /healthz says it (200, JSON)
	[ "$(http GET /healthz)" = 200 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["status"] == sys.argv[2] else "healthz: %s" % d)' "$W/body" "$1"
}
metrics_ok() {	# OUT: /metrics without a session, parsed strictly
	[ "$(http GET /metrics)" = 200 ] || { echo "     /metrics: HTTP $(http GET /metrics)"; return 1; }
	grep -qi '^content-type: text/plain; version=0.0.4' "$W/headers" ||
	    { echo "     /metrics: $(grep -i '^content-type' "$W/headers")"; return 1; }
	cp "$W/body" "$1"
	python3 "$PROMPARSE" "$1"
}
q() {	# FILE EXPR: a Python expression over a parsed exposition
	python3 - "$PROMPARSE" "$1" "$2" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import promparse
from promparse import value, total, samples
f = promparse.parse(open(sys.argv[2], "rb").read())
r = eval(sys.argv[3])
print(int(r) if isinstance(r, float) and r.is_integer() else r)
PY
}

echo "=== before the set-up, from the shell"
check "/healthz: 200, JSON, status setup" healthz_is setup
expect "wrong Host: 421" "$(http GET /login -H "Host: evil.example:$WEB_PORT")" 421
check "wrong Host: the page says why" grep -q "answers only under the address it listens on" "$W/body"
expect "wrong Host, right port, DNS-rebinding style name: 421" \
    "$(http GET /healthz -H "Host: attacker.example.com:$WEB_PORT")" 421
expect "Host localhost:PORT is accepted" "$(http GET /login -H "Host: localhost:$WEB_PORT")" 200
expect "no session: / sends to /login" "$(http GET /)" 303
check "no session: the Location is /login" grep -qi '^location: /login' "$W/headers"
expect "no session: POST /sync is refused" "$(http POST /sync --data 'csrf=x')" 401
check "/metrics before the set-up: 200, accepted by promparse" metrics_ok "$W/m0.prom"

echo "=== the browser"
export CONSOLE_URL=$URL CONSOLE_PASSWORD CONF CONF_MARKER EXG RSG PEOPLE EMU_ADMIN SHOTS CHROMIUM
export RS_USER_KEY=$RS_KEY RS_SECRET_FILE=$W/rsemu-secret.key
export RS_SECRET_KEY_FILE=$W/console-rs-secret.key
export AD_URI AD_BASE_DN AD_BIND_DN AD_BIND_PASSWORD_FILE AD_CA AD_ADMIN_DN AD_ADMIN_PASSWORD_FILE
export SAMPLE_EX_COM SAMPLE_RS_COM SAMPLE_RS_NET
export BROWSER_MODULES=$BUILD/browser COOKIE_OUT=$W/cookie
node "$HERE/console.spec.mjs" > "$W/browser.log" 2>&1 &
NODE_PID=$!
wait "$NODE_PID"
NODE_RC=$?
NODE_PID=
cat "$W/browser.log"
# Its checks are counted here too (one line each).
CHECKS=$((CHECKS + $(grep -c '^ok   ' "$W/browser.log")))
expect "the browser's checks" "$NODE_RC" 0
sanitizer_check "$W/daemon.err" "adsync daemon (after the browser)"

echo "=== with the browser's session, from the shell"
SID=$(cat "$W/cookie" 2>/dev/null)
if [ -z "$SID" ]; then
	fail "no session cookie from the browser; the session checks are skipped"
else
	CK="Cookie: adsync_session=$SID"
	cycles() { "$ADSYNC" -c "$CONF" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["cycles"] if d["state"] == "idle" and not d["pending"] else "busy")'; }
	runs() { "$ADSYNC" -c "$CONF" history -n 1000 --json | wc -l; }
	expect "the session opens the dashboard" "$(http GET / -H "$CK")" 200
	TOKEN=$(grep -o 'name="csrf" value="[^"]*"' "$W/body" | head -n 1 | sed 's/.*value="//; s/"$//')
	check "the dashboard carries the CSRF token" test -n "$TOKEN"
	C0=$(cycles)
	R0=$(runs)
	echo "cycles $C0, runs $R0"
	expect "POST /sync without the CSRF token: 403" "$(http POST /sync -H "$CK" --data 'full=1')" 403
	check "403: the page says nothing was done" grep -q "Nothing was done" "$W/body"
	expect "POST /sync with an empty body: 403" "$(http POST /sync -H "$CK")" 403
	OTHER=$(printf '%s' "$TOKEN" | tr 'A-Za-z0-9' 'B-Za-zA0-9')
	expect "POST /sync with another token: 403" \
	    "$(http POST /sync -H "$CK" --data "csrf=$OTHER")" 403
	expect "POST /approve without the token: 403" "$(http POST /approve -H "$CK" --data 'run=1')" 403
	expect "POST /setup/settings without the token: 403" \
	    "$(http POST /setup/settings -H "$CK" --data 'max_deletes=0&interval=5')" 403
	expect "POST /sync with the token but another site's Origin: 403" \
	    "$(http POST /sync -H "$CK" -H 'Origin: http://evil.example' --data "csrf=$TOKEN")" 403
	expect "POST /sync with the token, wrong Host: 421" \
	    "$(http POST /sync -H "$CK" -H "Host: evil.example:$WEB_PORT" --data "csrf=$TOKEN")" 421
	sleep 2
	expect "refused POSTs: no cycle ran" "$(cycles)" "$C0"
	expect "refused POSTs: no run recorded" "$(runs)" "$R0"
	check "refused POSTs: the settings file unchanged" grep -q '^max_deletes = 2$' "$CONF"
	check "the daemon logged the refusal" grep -q 'POST /sync from 127.0.0.1 refused: no valid CSRF token' "$W/daemon.err"
	# The control: the same request with the token is done.
	expect "POST /sync with the token: 303" "$(http POST /sync -H "$CK" --data "csrf=$TOKEN")" 303
	check "it redirects to the dashboard with a note" grep -qi '^location: /?msg=' "$W/headers"
	cycles_after() { local c; c=$(cycles); [ "$c" != busy ] && [ "$c" -gt "$C0" ]; }
	wait_for "the accepted POST ran a cycle" 30 cycles_after
fi

echo "=== /metrics and /healthz after the syncs"
check "/healthz: 200, JSON, status ok" healthz_is ok
if check "/metrics: 200 without a session, accepted by promparse" metrics_ok "$W/m1.prom"; then
	expect "adsync_up" "$(q "$W/m1.prom" 'value(f, "adsync_up")')" 1
	check "adsync_cycles_total counts the browser's cycles" \
	    test "$(q "$W/m1.prom" 'total(f, "adsync_cycles_total")')" -ge 6
	check "adsync_objects: the sample's objects" \
	    test "$(q "$W/m1.prom" 'total(f, "adsync_objects")')" -ge 40
	expect "adsync_sync_running (idle)" "$(q "$W/m1.prom" 'value(f, "adsync_sync_running")')" 0
fi
# shellcheck disable=SC2016  # the script's own arguments
check "no secret in the daemon's log" bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$4"' _ \
    "$CONSOLE_PASSWORD" "$(tr -d '\n' < "$W/rsemu-secret.key")" "$(cat "$AD_BIND_PASSWORD_FILE")" "$W/daemon.err"

echo "=== SIGTERM"
kill -TERM "$DPID"
wait "$DPID"
expect "daemon exit status" "$?" 0
# shellcheck disable=SC2034  # read by sync_cleanup
BG_PID=
check_not "the console no longer answers" curl -sf -o /dev/null "$URL/healthz"
sanitizer_check "$W/daemon.err" "adsync daemon"
grep -E 'warn|error' "$W/daemon.err" | head -n 20
echo "screenshots: $SHOTS"
ls "$SHOTS"
finish

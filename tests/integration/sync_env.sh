# shellcheck shell=bash
# Variables and functions here are for the sourcing test scripts.
# shellcheck disable=SC2034,SC2120,SC2119
#
# The environment of the sync engine's end-to-end tests (test_sync_*.sh,
# tests/integration/sync.cmake, docs/testing-sync.md). Sourced, never run:
#
#   SYNC_ORG=sample   # optional: sample (default), none or gen:N
#   . "$(dirname "$0")/sync_env.sh" "$@"   # args: ADSYNC RSEMU SRCDIR
#
# Outside a with-ad.sh namespace it re-executes the test under
# tests/testbed/with-ad.sh (a fresh Samba DC in a private network namespace,
# AD_* variables). Inside, it makes a temp dir $W, a throwaway CA and a
# server certificate (mkcert.sh), starts rsemu over TLS on ephemeral
# loopback ports with the domains example.com and example.net (both
# services), and writes $CONF (adsync.conf: AD over LDAPS as svc-adsync
# verified with $AD_CA, rsemu verified with our CA, state in $W/state) and
# the secret files (0600). Everything it starts is stopped by PID on exit;
# KEEP_SYNC=1 keeps $W. Exit 77 (skip) when a tool is missing, or from
# with-ad.sh when not root or Samba is missing; a missing `adsync sync` is
# a failure, not a skip.
#
# adsync:
#   adsync_run ARGS...      adsync -c $CONF ARGS; stdout $W/out, stderr
#                           $W/err, status $RC; both echoed to the log
#   adsync_bg ARGS...       the same in the background: $BG_PID, output in
#                           $W/bg.out / $W/bg.err; bg_wait sets $BG_RC
#   summary_get KEY         a key of the {"summary":...} line in $W/out
#   json_ops                the op lines of a --json plan in $W/out as
#                           "OP SERVICE KIND ADDRESS"
#   alert_has NAME STR...   an alert of $W/out holds every STR (any case);
#                           alert_re NAME ERE; no_alert NAME STR
#   conf_set SECTION KEY VALUE   edits $CONF
# rsemu:
#   rsemu_start [ARGS...]   (re)starts rsemu with extra arguments; its state
#                           ($W/rsemu.db) survives restarts; rsemu_stop
#   rsemu_get PATH          signed GET of /customers/me/domains/PATH through
#                           `adsync api` (user agent $PROBE_UA, which the
#                           request-log helpers leave out)
#   rsemu_api METHOD PATH [FIELD=VALUE...] | rsemu_api --body JSON ...
#                           any signed request through `adsync api`
#   emu_state               rsemu's whole state (admin API); then
#   st_names DOMAIN KIND    names of KIND (ex rs contact dl), lower case
#   st_field DOMAIN KIND NAME FIELD   one field (contactInfo lifted;
#                           "<null>" for null, "<absent>" when no object)
#   st_members DOMAIN LIST  member addresses of a list, lower case
#   st_addresses DOMAIN NAME   an EX mailbox's addresses, lower case
#   req_mark                remember the request log's position
#   emu_requests            the API requests since the mark (not the
#                           probe's) to $W/reqs.txt, one "METHOD PATH STATUS"
#                           line each, PATH %-decoded, lower case, relative
#                           to /v1/customers/me/domains/; show_reqs prints
#                           them with the bodies of the writes
#   req_count ERE, req_writes   count / list (non-GET) those lines
#   req_body METHOD PATH    the decoded body of that request (JSON)
#   emu_faults JSON         replaces rsemu's faults (admin API)
# AD, as the administrator over LDAPS:
#   ldap_modify (LDIF on stdin), ldap_search ARGS (ldapsearch -LLL)
#   ad_member GROUP-CN add|delete DN...   ad_set DN ATTR [VALUE...]
#   ad_delete DN            ad_guid DN (objectGUID as text)
# Checks (each prints "ok" or "FAIL"; finish exits 1 if any failed):
#   check NAME CMD...   check_not NAME CMD...   expect NAME GOT WANT
#   expect_ge NAME GOT MIN   expect_rc NAME WANT (of the last adsync_run)
#   expect_out NAME FIXED-STRING (in $W/out or $W/err)  not_out NAME STRING
#   expect_names NAME DOMAIN KIND "WANT..." ["TOLERATED..."]
#   sample_mailboxes_as_expected   the sample org's mailbox sets
#   wait_for NAME SECONDS CMD...   polls CMD until it succeeds (pass/fail)
#   finish                  prints the result and the time, exits 0 or 1
# Every adsync and rsemu log is also checked for sanitizer reports.

set -uo pipefail

ADSYNC=${1:?usage: test_sync_THEME.sh ADSYNC RSEMU SRCDIR}
RSEMU=${2:?usage: test_sync_THEME.sh ADSYNC RSEMU SRCDIR}
SRCDIR=${3:?usage: test_sync_THEME.sh ADSYNC RSEMU SRCDIR}
TESTBED=$SRCDIR/tests/testbed
# The secrets audit (tests/audit): audit_secret, audit_keep.
AUDIT_HOME=$SRCDIR/tests/audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"

sync_skip() { echo "SKIP: $*"; exit 77; }

for _t in curl openssl python3 ldapmodify ldapsearch; do
	command -v "$_t" >/dev/null 2>&1 || sync_skip "$_t is not installed (scripts/deps.sh)"
done
[ -x "$RSEMU" ] || sync_skip "rsemu not built ($RSEMU)"

if [ -z "${AD_URI:-}" ]; then
	# A fresh DC in a private network namespace; with-ad.sh exits 77 when
	# not root or Samba is missing.
	exec "$TESTBED/with-ad.sh" --org "${SYNC_ORG:-sample}" -- "$0" "$@"
fi

if ! "$ADSYNC" help sync >/dev/null 2>&1 || ! "$ADSYNC" help plan >/dev/null 2>&1; then
	# Not a skip: the engine is what these tests test.
	echo "FAIL: $ADSYNC has no \`sync\`/\`plan\` command" >&2
	exit 1
fi

# The interpreter itself, not a version-manager shim (pyenv's costs
# ~150 ms a call, and the checks call python often).
PY=$(python3 -c 'import sys; print(sys.executable)') || PY=python3
python3() { "$PY" "$@"; }

export LDAPTLS_CACERT=$AD_CA LDAPTLS_REQCERT=demand
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

W=$(mktemp -d "${TMPDIR:-/tmp}/sync-e2e.XXXXXX")
CONF=$W/adsync.conf
PROBE_CONF=$W/probe.conf
PROBE_UA="adsync-e2e-probe/1"
SYNC_UA="adsync-e2e/1"
RS_KEY=e2eUserKey0001
RS_ACCOUNT=100042
EXG="CN=Hosted Exchange Users,OU=Groups,$AD_BASE_DN"
RSG="CN=Rackspace Email Users,OU=Groups,$AD_BASE_DN"
PEOPLE="OU=People,$AD_BASE_DN"
GROUPS_OU="OU=Groups,$AD_BASE_DN"
CONTACTS="OU=Contacts,$AD_BASE_DN"
RSEMU_PID=
BG_PID=
BG_RC=
RC=
REQ_MARK=0
FAILS=0
CHECKS=0
SYNC_T0=$(date +%s.%N)

sync_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
		kill -KILL "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	audit_sync_keep
	rsemu_stop
	if [ -n "${KEEP_SYNC:-}" ]; then
		echo "kept $W (KEEP_SYNC)"
	else
		rm -rf "$W"
	fi
	exit "$rc"
}
# For the secrets audit (tests/audit, under CTest only): rsemu's whole
# state and request log, the daemon's queue key, then $W (logs, configs,
# state, spool; not the secret files) to BUILD/audit/TEST/work.
audit_sync_keep() {
	[ -n "${ADSYNC_AUDIT_DIR:-}" ] || return 0
	if [ -n "$RSEMU_PID" ] && kill -0 "$RSEMU_PID" 2>/dev/null; then
		curl -sf -o "$W/emu-state.json" "$EMU_ADMIN/_emu/state"
		curl -sf -o "$W/emu-requests.json" "$EMU_ADMIN/_emu/requests?since=0&limit=200000"
	fi
	if [ -f "$W/state/pki/queue.key" ]; then
		audit_secret_file sync_env/queue_key "$W/state/pki/queue.key"
		audit_secret_hex sync_env/queue_key_raw \
		    "$(base64 -d < "$W/state/pki/queue.key" 2>/dev/null | od -An -v -tx1 | tr -d ' \n')"
	fi
	audit_keep work "$W"
}
trap sync_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- checks ----------------------------------------------------------
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() {	# check NAME CMD...: CMD must succeed
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
check_not() {	# check_not NAME CMD...: CMD must fail
	local name=$1
	shift
	if "$@"; then fail "$name"; else pass "$name"; fi
}
expect() {	# expect NAME GOT WANT
	if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: got '$2', want '$3'"; fi
}
expect_ge() {	# expect_ge NAME GOT MIN: GOT is a number >= MIN
	if [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ]; then pass "$1: $2"; else
		fail "$1: got '$2', want at least $3"; fi
}
alive() { kill -0 "$1" 2>/dev/null; }
# wait_for NAME SECONDS CMD...: polls CMD every 0.1 s; pass/fail. On a
# failure it calls wait_for_diag when the test defines one (what to show).
wait_for() {
	local name=$1 secs=$2 i t0 t1
	shift 2
	t0=$(date +%s.%N)
	for i in $(seq 1 $((secs * 10))); do
		if "$@" >/dev/null 2>&1; then
			t1=$(date +%s.%N)
			pass "$name ($(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s)"
			return 0
		fi
		sleep 0.1
	done
	fail "$name (not within $secs s)"
	if declare -F wait_for_diag >/dev/null; then wait_for_diag; fi
	return 1
}
expect_rc() {	# expect_rc NAME WANT: the last adsync_run's status
	if [ "$RC" = "$2" ]; then pass "$1: exit $RC"; else
		fail "$1: exit $RC, want $2"; fi
}
expect_out() {	# expect_out NAME FIXED: in the last adsync_run's output
	if grep -qF -- "$2" "$W/out" "$W/err"; then pass "$1"; else
		fail "$1: no \"$2\" in the output"; fi
}
not_out() {
	if grep -qF -- "$2" "$W/out" "$W/err"; then
		fail "$1: \"$2\" in the output: $(grep -hF -- "$2" "$W/out" "$W/err" | head -3)"
	else pass "$1"; fi
}
finish() {
	local t
	sanitizer_check "$W/rsemu.log" rsemu
	t=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $SYNC_T0}")
	if [ "$FAILS" = 0 ]; then
		echo "PASS: $CHECKS checks in $t s"
		exit 0
	fi
	echo "FAILED: $FAILS of $CHECKS checks ($t s)"
	exit 1
}
sanitizer_check() {	# FILE WHO
	if [ -f "$1" ] && grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$1"; then
		fail "$2: sanitizer report"
		grep -A30 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$1" | head -60
	fi
}

# ---- TLS, secrets ----------------------------------------------------
"$TESTBED/mkcert.sh" "$W/tls" >/dev/null 2>&1 || sync_skip "mkcert.sh failed (openssl)"
(
	umask 077
	head -c 24 /dev/urandom | base64 > "$W/rsemu-secret.key"
	cp "$W/rsemu-secret.key" "$W/rs-secret.key"
)
audit_secret sync_env/rs_secret "$(tr -d '\n' < "$W/rsemu-secret.key")"

# ---- rsemu -----------------------------------------------------------
rsemu_stop() {
	[ -n "$RSEMU_PID" ] || return 0
	kill -TERM "$RSEMU_PID" 2>/dev/null
	wait "$RSEMU_PID" 2>/dev/null
	RSEMU_PID=
}

# rsemu_start [ARGS...]: extra rsemu arguments (--mailbox-limit,
# --latency-ms, --accepted-domain, ...). Rewrites api_url in both configs.
rsemu_start() {
	local i
	rsemu_stop
	rm -f "$W/rsemu.ready"
	"$RSEMU" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	    --tls-cert "$W/tls/server.pem" --tls-key "$W/tls/server.key" \
	    --state "$W/rsemu.db" --account "$RS_ACCOUNT" --user-key "$RS_KEY" \
	    --secret-key-file "$W/rsemu-secret.key" \
	    --domain example.com:both --domain example.net:both \
	    --throttle off --threads 4 "$@" \
	    --ready-file "$W/rsemu.ready" 2>>"$W/rsemu.log" &
	RSEMU_PID=$!
	for i in $(seq 1 200); do
		[ -s "$W/rsemu.ready" ] && break
		if ! kill -0 "$RSEMU_PID" 2>/dev/null; then
			cat "$W/rsemu.log"
			RSEMU_PID=
			echo "FAIL: rsemu died at start"
			exit 1
		fi
		sleep 0.05
	done
	[ -s "$W/rsemu.ready" ] || { echo "FAIL: rsemu not ready after $i tries"; exit 1; }
	RS_LISTEN=$(sed -n 's/^listen=//p' "$W/rsemu.ready")
	EMU_ADMIN=http://$(sed -n 's/^admin=//p' "$W/rsemu.ready")
	if [ -f "$CONF" ]; then
		conf_set rackspace api_url "https://$RS_LISTEN/v1"
		conf_set_file "$PROBE_CONF" rackspace api_url "https://$RS_LISTEN/v1"
	fi
	REQ_MARK=0
}

# ---- configuration ---------------------------------------------------
conf_set_file() {	# FILE SECTION KEY VALUE: sets (or adds) KEY in [SECTION]
	awk -v sec="[$2]" -v key="$3" -v val="$4" '
	    /^\[/ {
		if (insec && !done) { print key " = " val; done = 1 }
		insec = ($0 == sec)
	    }
	    insec && $1 == key { if (!done) print key " = " val; done = 1; next }
	    { print }
	    END {
		if (!done) { if (!insec) print sec; print key " = " val }
	    }' "$1" > "$1.new" && mv "$1.new" "$1"
}
conf_set() { conf_set_file "$CONF" "$@"; }

write_conf() {
	cat > "$CONF" <<EOF
# adsync.conf of a sync end-to-end test (tests/integration/sync_env.sh)
[ad]
uri = $AD_URI
base_dn = $AD_BASE_DN
bind_dn = $AD_BIND_DN
bind_password_file = $AD_BIND_PASSWORD_FILE
ca_file = $AD_CA
connect_retries = 0
network_timeout = 5
timeout = 30

[rackspace]
api_url = https://$RS_LISTEN/v1
customer = me
user_key = $RS_KEY
secret_key_file = $W/rs-secret.key
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
exchange_group = $EXG
rackspace_email_group = $RSG
domains = example.com example.net
sync_proxy_addresses = false
state_dir = $W/state
max_deletes = 500
max_delete_percent = 100
EOF
	# The probe: same account, its own user agent (left out of emu_requests).
	sed -e "s|^user_agent = .*|user_agent = $PROBE_UA|" \
	    -e "s|^state_dir = .*|state_dir = $W/probe-state|" "$CONF" > "$PROBE_CONF"
}

# ---- adsync ----------------------------------------------------------
adsync_run() {
	local t0 t1
	t0=$(date +%s.%N)
	"$ADSYNC" -c "$CONF" "$@" > "$W/out" 2> "$W/err"
	RC=$?
	t1=$(date +%s.%N)
	echo "--- adsync $* -> exit $RC ($(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s)"
	head -n 150 "$W/out"
	[ "$(wc -l < "$W/out")" -le 150 ] || echo "... ($(wc -l < "$W/out") lines)"
	sed 's/^/stderr: /' "$W/err" | head -n 60
	cat "$W/out" "$W/err" >> "$W/adsync.log"
	sanitizer_check "$W/err" "adsync $1"
	return 0
}
adsync_bg() {
	"$ADSYNC" -c "$CONF" "$@" > "$W/bg.out" 2> "$W/bg.err" &
	BG_PID=$!
}
bg_wait() {
	BG_RC=
	[ -n "$BG_PID" ] || return 0
	wait "$BG_PID"
	BG_RC=$?
	BG_PID=
	echo "--- background adsync -> exit $BG_RC"
	head -n 80 "$W/bg.out"
	sed 's/^/stderr: /' "$W/bg.err" | head -n 40
	sanitizer_check "$W/bg.err" "background adsync"
}

# The summary object of `sync --once --json` in $W/out, as KEY=VALUE lines.
summary() {
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    if "summary" in o:
        for k, v in o["summary"].items():
            print("%s=%s" % (k, json.dumps(v) if not isinstance(v, str) else v))
' "$W/out"
}
summary_get() { summary | sed -n "s/^$1=//p"; }

# Lines of a --json output ($W/out) that are operations (have "op").
json_ops() {
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    if "op" in o:
        print("%s %s %s %s" % (o["op"], o.get("service"), o.get("kind"),
            (o.get("address") or "").lower()))
' "$W/out"
}
# ---- rsemu: API through adsync, admin API ----------------------------
rsemu_get() { "$ADSYNC" -c "$PROBE_CONF" api GET "/customers/me/domains/$1"; }
rsemu_api() { "$ADSYNC" -c "$PROBE_CONF" api "$@"; }

emu_state() {
	curl -sf -o "$W/state.json" "$EMU_ADMIN/_emu/state" ||
	    { echo "FAIL: rsemu state unreadable"; return 1; }
	python3 "$W/q.py" flat "$W/state.json" > "$W/state.flat"
}
emu_faults() {
	curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
	    --data-raw "$1" "$EMU_ADMIN/_emu/faults"
}

cat > "$W/q.py" <<'PY'
# Queries on rsemu's admin JSON (sync_env.sh). Request paths are shown
# %-decoded and in lower case, relative to /v1/customers/me/domains/.
import json, sys
from urllib.parse import unquote

KEYS = {"ex": "exMailboxes", "rs": "rsMailboxes", "contact": "contacts",
        "dl": "distributionLists"}

def objname(o):
    return (o.get("name") or o.get("CommonName") or "").lower()

cmd = sys.argv[1]
if cmd == "reqs":
    # reqs LOG SINCE PROBE_UA TXT JSON
    log = json.load(open(sys.argv[2], encoding="utf-8"))
    since, probe = int(sys.argv[3]), sys.argv[4]
    pre = "/v1/customers/me/domains/"
    sel = [r for r in log["requests"] if r["id"] > since and r.get("user_agent") != probe]
    with open(sys.argv[5], "w", encoding="utf-8") as t:
        for r in sel:
            p = unquote(r["path"])
            p = p[len(pre):] if p.startswith(pre) else p
            q = "?" + r["query"] if r.get("query") else ""
            t.write("%s %s%s %s\n" % (r["method"], p.lower(), q, r["status"]))
    with open(sys.argv[5] + ".bodies", "w", encoding="utf-8") as t:
        for r in sel:
            if r["method"] != "GET":
                b = json.dumps(r["body"], ensure_ascii=False, sort_keys=True)
                t.write("  %s %s %s\n" % (r["method"], unquote(r["path"])[len(pre):], b[:300]))
    json.dump(sel, open(sys.argv[6], "w", encoding="utf-8"), ensure_ascii=False)
    print(log["last_id"])
elif cmd == "body":
    # body JSON METHOD PATH: bodies of matching requests, one per line
    sel = json.load(open(sys.argv[2], encoding="utf-8"))
    pre = "/v1/customers/me/domains/"
    for r in sel:
        p = unquote(r["path"])
        p = p[len(pre):] if p.startswith(pre) else p
        if r["method"] == sys.argv[3] and p.lower() == sys.argv[4].lower():
            print(json.dumps(r["body"], ensure_ascii=False, sort_keys=True))
elif cmd == "flat":
    # flat STATE: one line per fact, tab-separated, for st_* (awk):
    #   DOMAIN KIND NAME @ 1            the object exists
    #   DOMAIN KIND NAME f:FIELD VALUE  a field (contactInfo lifted)
    #   DOMAIN dl NAME m: ADDRESS        a list member
    #   DOMAIN ex NAME a: ADDRESS        an Exchange mailbox's address
    state = json.load(open(sys.argv[2], encoding="utf-8"))
    def val(v):
        if v is None:
            return "<null>"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False, sort_keys=True)
        return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    for acct in state["accounts"]:
        for d in acct["domains"]:
            dn = d["name"].lower()
            for kind, key in KEYS.items():
                for o in d.get(key) or []:
                    n = objname(o)
                    print("%s\t%s\t%s\t@\t1" % (dn, kind, n))
                    flat = dict(o.get("contactInfo") or {})
                    flat.update({k: v for k, v in o.items() if k != "contactInfo"})
                    for k, v in flat.items():
                        print("%s\t%s\t%s\tf:%s\t%s" % (dn, kind, n, k, val(v)))
                    if kind == "dl":
                        for r in (o.get("Members") or {}).get("Recipients") or []:
                            print("%s\tdl\t%s\tm:\t%s" % (dn, n, r["Value"].lower()))
                    if kind == "ex":
                        for x in o.get("emailAddressList") or []:
                            print("%s\tex\t%s\ta:\t%s" % (dn, n, x["address"].lower()))
PY
# st_*: queries on the last emu_state (through $W/state.flat).
st_q() {	# DOMAIN KIND NAME TAG: the values of TAG lines, sorted
	awk -F'\t' -v d="${1,,}" -v k="$2" -v n="${3,,}" -v t="$4" \
	    '$1 == d && $2 == k && $3 == n && $4 == t { print $5 }' "$W/state.flat" | sort
}
st_has() { [ -n "$(st_q "$1" "$2" "$3" @)" ]; }
st_names() {	# DOMAIN KIND: names, lower case, sorted
	awk -F'\t' -v d="${1,,}" -v k="$2" '$1 == d && $2 == k && $4 == "@" { print $3 }' \
	    "$W/state.flat" | sort
}
st_field() {	# DOMAIN KIND NAME FIELD: "<absent>" without the object
	local v
	st_has "$1" "$2" "$3" || { echo "<absent>"; return 0; }
	v=$(awk -F'\t' -v d="${1,,}" -v k="$2" -v n="${3,,}" -v t="f:$4" \
	    '$1 == d && $2 == k && $3 == n && $4 == t { print $5; f = 1 } END { exit !f }' \
	    "$W/state.flat") || v="<nofield>"
	printf '%s\n' "$v"
}
st_members() {	# DOMAIN LIST: member addresses, lower case
	st_has "$1" dl "$2" || { echo "<absent>"; return 0; }
	st_q "$1" dl "$2" m:
}
st_addresses() {	# DOMAIN NAME: an Exchange mailbox's addresses, lower case
	st_has "$1" ex "$2" || { echo "<absent>"; return 0; }
	st_q "$1" ex "$2" a:
}

req_mark() {
	curl -sf -o "$W/reqlog.json" "$EMU_ADMIN/_emu/requests?since=$REQ_MARK&limit=200000" ||
	    { echo "FAIL: rsemu request log unreadable"; return 1; }
	REQ_MARK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_id"])' "$W/reqlog.json")
}
emu_requests() {
	curl -sf -o "$W/reqlog.json" "$EMU_ADMIN/_emu/requests?since=$REQ_MARK&limit=200000" ||
	    { echo "FAIL: rsemu request log unreadable"; return 1; }
	python3 "$W/q.py" reqs "$W/reqlog.json" "$REQ_MARK" "$PROBE_UA" \
	    "$W/reqs.txt" "$W/reqs.json" > /dev/null
}
req_count() { grep -cE -- "$1" "$W/reqs.txt"; }
req_writes() { grep -v '^GET ' "$W/reqs.txt"; }
req_body() { python3 "$W/q.py" body "$W/reqs.json" "$1" "$2"; }
show_reqs() {	# the requests of the last emu_requests, for the log
	echo "--- rsemu requests since mark $REQ_MARK: $(wc -l < "$W/reqs.txt")"
	head -n "${1:-80}" "$W/reqs.txt"
	if [ -s "$W/reqs.txt.bodies" ]; then
		echo "--- their bodies (writes):"
		head -n "${1:-80}" "$W/reqs.txt.bodies"
	fi
}

# words LIST...: the words of whitespace-separated lists, one per line.
# shellcheck disable=SC2086,SC2048
words() { [ $# = 0 ] || printf '%s\n' $*; }

# expect_names NAME DOMAIN KIND "WANT..." ["TOLERATED..."]: the names of
# KIND in DOMAIN (emu_state first) are exactly WANT, plus any of TOLERATED.
expect_names() {
	local got want tol
	got=$(st_names "$2" "$3" | grep -vxF -f <(words "${5:-}"; echo) | tr '\n' ' ')
	want=$(words "$4" | sort | tr '\n' ' ')
	got=${got% }
	want=${want% }
	tol=${5:+ (tolerated: $5)}
	if [ "$got" = "$want" ]; then pass "$1"; else
		fail "$1: $2 $3 names differ$tol"
		echo "     missing: $(comm -23 <(words "$want") <(words "$got") | tr '\n' ' ')"
		echo "     extra:   $(comm -13 <(words "$want") <(words "$got") | tr '\n' ' ')"
	fi
}

# Alerts of the last --json run ($W/out) as "LEVEL<TAB>DN<TAB>MESSAGE"
# lines in $W/alerts.txt.
alerts_load() {
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if line.startswith("{"):
        o = json.loads(line)
        if "alert" in o:
            print("%s\t%s\t%s" % (o["alert"], o.get("dn", ""), o.get("message", "")))
' "$W/out" > "$W/alerts.txt"
}
alert_has() {	# NAME STRING...: one alert holds every STRING (any case)
	local name=$1
	shift
	alerts_load
	if python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().lower().splitlines()
want = [w.lower() for w in sys.argv[2:]]
sys.exit(0 if any(all(w in l for w in want) for l in lines) else 1)
' "$W/alerts.txt" "$@"; then pass "$name"; else
		fail "$name: no alert with all of: $*"
	fi
}
alert_re() {	# NAME ERE: one alert matches ERE (any case)
	alerts_load
	if grep -qiE -- "$2" "$W/alerts.txt"; then pass "$1"; else
		fail "$1: no alert matching /$2/"; fi
}
no_alert() {	# NAME STRING: no alert holds STRING (any case)
	alerts_load
	if grep -qiF -- "$2" "$W/alerts.txt"; then
		fail "$1: $(grep -iF -- "$2" "$W/alerts.txt" | head -2)"
	else pass "$1"; fi
}

# What the sample organisation (tests/testbed/sample-org.ldif) should give
# with both groups and domains example.com example.net. dora and derek are
# disabled in AD: their mailboxes are created disabled.
SAMPLE_EX_COM="alice.anderson bob.baker carol.chen david.dunn erin.evans
 frank.fischer grace.green heidi.hoffmann ivan.ivanov judy.jones renee.dubois
 juergen.grossmann soren.kjaergaard hanako.nihon jose.munoz mallory.moore
 niaj.nguyen olivia.obrien peggy.park rupert.russell sybil.schmidt
 trent.taylor max.mixedcase paula dora.disabled"
SAMPLE_RS_COM="uma.underwood victor.vance wendy.white xavier.xu
 zach.zimmerman amelie.laurent lars.larsen maria.nunez kenji.nihon
 gretchen.weiss tom.thumb ursula.ulrich walter.white derek.dormant"
SAMPLE_RS_NET="bjorn.hansen quinn.quigley yvonne.young"
SAMPLE_DL_COM="announce engineering managers sales"
# sample_objects_as_expected: every mailbox set of the sample (emu_state
# first); the contacts are checked by the callers (GUID names).
sample_mailboxes_as_expected() {
	expect_names "Exchange mailboxes in example.com" example.com ex "$SAMPLE_EX_COM"
	expect_names "no Exchange mailbox in example.net" example.net ex ""
	expect_names "Rackspace Email mailboxes in example.com" example.com rs "$SAMPLE_RS_COM"
	expect_names "Rackspace Email mailboxes in example.net" example.net rs "$SAMPLE_RS_NET"
}

# ---- AD as the administrator -----------------------------------------
ADMIN_LDAP=(-x -H "$AD_URI" -D "$AD_ADMIN_DN" -y "$AD_ADMIN_PASSWORD_FILE")
ldap_modify() { ldapmodify "${ADMIN_LDAP[@]}" > /dev/null; }
ldap_search() { ldapsearch "${ADMIN_LDAP[@]}" -LLL -o ldif-wrap=no "$@"; }
ad_member() {	# GROUP-CN add|delete MEMBER-DN...
	local g=$1 op=$2 m
	shift 2
	{
		printf 'dn: CN=%s,%s\nchangetype: modify\n%s: member\n' "$g" "$GROUPS_OU" "$op"
		for m in "$@"; do printf 'member: %s\n' "$m"; done
		printf -- '-\n\n'
	} | ldap_modify
}
ad_set() {	# DN ATTR VALUE...: replaces ATTR (no VALUE: deletes it)
	local dn=$1 a=$2 v
	shift 2
	{
		printf 'dn: %s\nchangetype: modify\nreplace: %s\n' "$dn" "$a"
		for v in "$@"; do printf '%s: %s\n' "$a" "$v"; done
		printf -- '-\n\n'
	} | ldap_modify
}
ad_delete() { printf 'dn: %s\nchangetype: delete\n\n' "$1" | ldap_modify; }
ad_guid() {	# DN: objectGUID in its text form (lower case)
	ldap_search -b "$1" -s base '(objectClass=*)' objectGUID |
	    python3 -c '
import base64, sys, uuid
for l in sys.stdin:
    if l.startswith("objectGUID:: "):
        print(uuid.UUID(bytes_le=base64.b64decode(l[13:].strip())))'
}

rsemu_start
write_conf
echo "sync_env: rsemu https://$RS_LISTEN (admin $EMU_ADMIN), AD $AD_URI ($AD_ORG), work dir $W"

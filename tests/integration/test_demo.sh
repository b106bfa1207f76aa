#!/bin/bash
# Smoke test of `make demo` (tests/integration/demo.cmake):
#   test_demo.sh SRCDIR BUILD_DIR
# Runs scripts/demo.sh BUILD_DIR with DEMO_SECONDS=1 and stdin from
# /dev/null (so no interactive shell), as root with the Samba testbed, and
# checks its output: check --connect OK, the plan's summary, then the
# daemon: its first cycle (run 1 in adsync history) creates what the plan
# said, paced by the throttle (it takes more than one window, nothing
# refused), status and alerts answer, the ldapmodify of Alice's title
# reaches the service by itself within 15 s, sync --now exits 2 (the
# sample's broken objects), the API shows the new title, and the cheat
# sheet lists the daemon's commands; then that nothing it started is still
# running (the daemon, rsemu, the DC's process group, the demo's scripts)
# and that no sanitizer reported anything (adsync's runs, the daemon,
# rsemu). Exit 77 (skip) when demo.sh says a prerequisite is missing (not
# root, no Samba).
set -uo pipefail
SRC=${1:?usage: test_demo.sh SRCDIR BUILD_DIR}
BUILD=${2:?usage: test_demo.sh SRCDIR BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
OUT=$(mktemp "${TMPDIR:-/tmp}/demo-test.XXXXXX")
# The secrets audit (tests/audit): the demo's API secret and console
# password, and its directory (logs, configuration, state).
AUDIT_HOME=$SRC/tests/audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"
# shellcheck disable=SC2317  # run by the trap
audit_demo() {
	audit_secret_file demo/rs_secret "$BUILD/demo/rackspace-secret.key"
	audit_secret_file demo/console_password "$BUILD/demo/console-password"
	audit_keep demo "$BUILD/demo"
}
trap 'audit_demo; rm -f "$OUT"' EXIT
FAILS=0
CHECKS=0
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
# has NAME ERE: a line of the demo's output matches ERE.
has() { if grep -qE -- "$2" "$OUT"; then pass "$1"; else fail "$1: no line matching /$2/"; fi; }
# The lines of step N: from its heading "== N." to the next heading.
step() { sed -n "/^== $1\\./,/^== /p" "$OUT"; }

t0=$(date +%s.%N)
# The console's bridge on a free port of this host, not 8080: tests
# never take a fixed port of the host's namespace.
WEB_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export WEB_PORT
DEMO_SECONDS=1 timeout -k 10 120 "$SRC/scripts/demo.sh" "$BUILD" </dev/null >"$OUT" 2>&1
rc=$?
secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")
cat "$OUT"
echo "--- scripts/demo.sh exit $rc after $secs s"
if [ "$rc" = 77 ]; then
	echo "SKIP: a prerequisite of the demo is missing (see above)"
	exit 77
fi

if [ "$rc" = 0 ]; then pass "demo.sh exit 0 ($secs s)"; else fail "demo.sh exit $rc"; fi
has "check --connect: configuration OK" "^$BUILD/demo/adsync.conf: configuration OK$"

# ---- plan ---------------------------------------------------------------------------
plan=$(step 2 | grep -E '^[0-9]+ to create, ' | head -n 1)
creates=$(printf '%s' "$plan" | sed -n 's/^\([0-9]*\) to create, .*/\1/p')
if [ -n "$creates" ] && [ "$creates" -gt 0 ]; then pass "plan summary: $plan"; else
	fail "plan summary with creates: got '$plan'"; fi

# ---- the daemon's first cycle ------------------------------------------------------
has "daemon started in the background" "^\\\$ adsync daemon --allow-root 2>$BUILD/demo/daemon.log &\$"
# More writes than one window allows: the cycle must have waited for the next.
s1=$(step 3 | sed -n 's/^(first cycle ended \([0-9.]*\) s after the start)$/\1/p' | head -n 1)
if [ -n "$s1" ] && awk "BEGIN{exit !($s1 >= 1.5)}"; then
	pass "throttle in force: the first cycle ended after $s1 s"; else
	fail "throttle in force: the first cycle ended after '$s1' s, want at least 1.5"; fi
st=$(step 3 | grep -E '^last cycle: run [0-9]+ \((start|change)\), (partial|ok), ' | head -n 1)
if [ -n "$st" ] && step 3 | grep -qE '^change notification: on$' &&
    step 3 | grep -qE '^started: .*; cycles: [1-9][0-9]*$'; then
	pass "adsync status: $st"; else
	fail "adsync status: no cycle, or notification not on, in step 3"; fi
# adsync status shows the last cycle, which may already be the "change"
# cycle that follows the start (change notification came up meanwhile):
# run 1's counts are read from adsync history.
run1=$(step 4 | grep -E '^run 1 ' | head -n 1)
if [[ $run1 =~ \ start\ +partial\ +${creates:-x}\ created, ]]; then
	pass "first cycle (start) created the plan's $creates: $run1"; else
	fail "first cycle (start) creates the plan's $creates: got '$run1'"; fi
has "throttle said, nothing refused" '^rsemu: [0-9]+ API requests so far \([0-9]+ writes\), 0 refused by the throttle'
has "scaled throttle said" '^throttle +on, 30x faster: '
has "scaled window said" ' per 2 s window instead of 60 s'
if step 4 | grep -qE '^error \[(ex|rs|--)\] CN=' &&
    step 4 | grep -qE '^\.\.\. \([0-9]+ open alerts in all'; then
	pass "adsync alerts: the sample's broken objects"; else
	fail "adsync alerts: no alert, or no count, in step 4"; fi

# ---- ldapmodify: the daemon carries it over -----------------------------------------
has "ldapmodify as Administrator" '^modifying entry "CN=Alice Anderson,OU=People,'
got=$(step 5 | sed -n 's/^the change reached the service in \([0-9.]*\) s, without any command$/\1/p')
if [ -n "$got" ] && awk "BEGIN{exit !($got < 15)}"; then
	pass "the change reached the service in $got s"; else
	fail "the change reached the service: got '$got' s, want a time under 15"; fi
if step 5 | grep -qE '^last cycle: run [0-9]+ \(change\), partial, ' &&
    step 5 | grep -qE '^  0 created, 1 updated, 0 enabled, 0 disabled, 0 deleted, '; then
	pass "adsync status after the change: a change cycle, one update"; else
	fail "adsync status after the change: no change cycle with exactly one update"; fi

# ---- sync --now ---------------------------------------------------------------------
if step 6 | grep -qE '^cycle: run [0-9]+ \(now\), partial, ' &&
    step 6 | grep -qE '^\(exit 2, [0-9.]+ s\)$'; then
	pass "sync --now: a cycle, exit 2 (the sample's broken objects) shown"; else
	fail "sync --now: no cycle or no exit 2 in step 6"; fi
has "the API shows the new title" '^ +"jobTitle": "Chief Demo Officer",$'

# ---- the cheat sheet ------------------------------------------------------------------
for c in 'adsync status ' 'adsync history ' 'adsync alerts ' 'adsync sync --now ' \
    'adsync api GET /customers/me/domains/' 'ldapmodify -x ' "tail -f $BUILD/demo/daemon.log"; do
	if sed -n '/^== try it/,$p' "$OUT" | grep -qF -- "$c"; then pass "try it: $c"; else
		fail "try it: no '$c'"; fi
done
# explain: listed as a command when this build has it, else as coming.
if "$BUILD/src/cli/adsync" help explain >/dev/null 2>&1; then
	has "try it: adsync explain" '^  adsync explain ADDRESS '
else
	has "try it: adsync explain coming" '^  \(coming: adsync explain ADDRESS'
fi
has "waited DEMO_SECONDS without a terminal" '^stopping in 1 s \(DEMO_SECONDS\)'
has "the daemon stopped" '^demo: stopped adsync daemon \(pid [0-9]+\)$'

# ---- nothing left running ---------------------------------------------------------
dc=$(sed -n 's/.*sample organisation (pid \([0-9]*\)).*/\1/p' "$OUT" | head -n 1)
rs=$(sed -n 's/^rsemu .*, pid \([0-9]*\)$/\1/p' "$OUT" | head -n 1)
dm=$(sed -n 's/^daemon pid \([0-9]*\), log .*/\1/p' "$OUT" | head -n 1)
leftovers() {
	[ -z "$rs" ] || ! kill -0 "$rs" 2>/dev/null || echo "rsemu $rs"
	[ -z "$dm" ] || ! kill -0 "$dm" 2>/dev/null || echo "adsync daemon $dm"
	# The demo's own daemon (its configuration): other tests of this
	# build run daemons of their own at the same time (ctest -j).
	pgrep -af -- "^$BUILD/src/cli/adsync -c $BUILD/demo/adsync\.conf daemon" || true
	[ -z "$dc" ] || pgrep -g "$dc" | sed 's/^/samba group member /'
	pgrep -af -- "$BUILD/demo/|demo-inside\\.sh $BUILD " || true
}
if [ -n "$dc" ] && [ -n "$rs" ] && [ -n "$dm" ]; then
	pass "PIDs shown (DC $dc, rsemu $rs, daemon $dm)"; else
	fail "PIDs shown: DC '$dc', rsemu '$rs', daemon '$dm'"; fi
left=""
for _ in $(seq 1 50); do	# with-ad.sh's watchdog may take a moment
	left=$(leftovers)
	[ -n "$left" ] || break
	sleep 0.1
done
if [ -z "$left" ]; then pass "nothing left running"; else
	fail "left running:"; printf '%s\n' "$left" | sed 's/^/     /'; fi

# ---- sanitizers (dev build) -------------------------------------------------------
for f in "$BUILD/demo/adsync.log" "$BUILD/demo/daemon.log" "$BUILD/demo/rsemu.log" \
    "$BUILD/demo/out/status-poll.err"; do
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$f" 2>/dev/null; then
		fail "sanitizer report in $f"
		grep -A30 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$f" | head -60
	else pass "no sanitizer report in ${f##*/}"; fi
done

if [ "$FAILS" = 0 ]; then
	echo "PASS: $CHECKS checks in $secs s"
	exit 0
fi
echo "FAILED: $FAILS of $CHECKS checks"
exit 1

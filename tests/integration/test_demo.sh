#!/bin/bash
# Smoke test of `make demo` (tests/integration/demo.cmake):
#   test_demo.sh SRCDIR BUILD_DIR
# Runs scripts/demo.sh BUILD_DIR with DEMO_SECONDS=1 and stdin from
# /dev/null (so no interactive shell), as root with the Samba testbed, and
# checks its output: check --connect OK, the plan and sync summaries (the
# first sync creates what the plan said, the second has nothing to do, and
# after the ldapmodify the plan and the third sync hold exactly one update),
# the throttle in force, the changed title through adsync api; then that
# nothing it started is still running (rsemu, the DC's process group, the
# demo's scripts) and that no sanitizer reported anything. Exit 77 (skip)
# when demo.sh says a prerequisite is missing (not root, no Samba).
set -uo pipefail
SRC=${1:?usage: test_demo.sh SRCDIR BUILD_DIR}
BUILD=${2:?usage: test_demo.sh SRCDIR BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
OUT=$(mktemp "${TMPDIR:-/tmp}/demo-test.XXXXXX")
trap 'rm -f "$OUT"' EXIT
FAILS=0
CHECKS=0
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
# has NAME ERE: a line of the demo's output matches ERE.
has() { if grep -qE -- "$2" "$OUT"; then pass "$1"; else fail "$1: no line matching /$2/"; fi; }
# The lines of step N: from its heading "== N." to the next heading.
step() { sed -n "/^== $1\\./,/^== /p" "$OUT"; }

t0=$(date +%s.%N)
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

# ---- plan and the first sync ------------------------------------------------
plan=$(step 2 | grep -E '^[0-9]+ to create, ' | head -n 1)
creates=$(printf '%s' "$plan" | sed -n 's/^\([0-9]*\) to create, .*/\1/p')
if [ -n "$creates" ] && [ "$creates" -gt 0 ]; then pass "plan summary: $plan"; else
	fail "plan summary with creates: got '$plan'"; fi
sync1=$(step 3 | grep -E '^run 1 ' | head -n 1)
if [[ $sync1 =~ ^run\ 1\ [a-z]+:\ ${creates:-x}\ created, ]]; then pass "first sync: $sync1"; else
	fail "first sync creates the plan's $creates: got '$sync1'"; fi
if step 3 | grep -qE '^\(exit 2, [0-9.]+ s\)$'; then
	pass "first sync exit 2 (the sample's broken objects), the demo went on"; else
	fail "first sync: no exit 2 shown"; fi
# More writes than one window allows: the run must have waited for the next.
s1=$(step 3 | sed -n 's/^(exit [0-9]*, \([0-9.]*\) s)$/\1/p' | head -n 1)
if [ -n "$s1" ] && awk "BEGIN{exit !($s1 >= 1.5)}"; then
	pass "throttle in force: the first sync took $s1 s"; else
	fail "throttle in force: the first sync took '$s1' s, want at least 1.5"; fi
has "throttle said, nothing refused" '^rsemu: [0-9]+ API requests so far \([0-9]+ writes\), 0 refused by the throttle'
has "scaled throttle said" '^throttle +on, 30x faster: '
has "scaled window said" ' per 2 s window instead of 60 s'

# ---- second sync: nothing to do -------------------------------------------------
has "second sync: nothing to do" \
    '^run 2 [a-z]+: 0 created, 0 updated, 0 enabled, 0 disabled, 0 deleted, [0-9]+ errors \(0 API calls'

# ---- ldapmodify, plan, third sync: exactly one update ----------------------------
has "ldapmodify as Administrator" '^modifying entry "CN=Alice Anderson,OU=People,'
ops=$(step 5 | grep -cE '^(create|adopt|update|enable|disable|delete|address-|members-)')
upd=$(step 5 | grep -cE "^update +ex/mailbox +alice\\.anderson@example\\.com .*jobTitle: 'Account Manager' -> 'Chief Demo Officer'")
if [ "$ops" = 1 ] && [ "$upd" = 1 ]; then pass "plan after ldapmodify: one op, alice's jobTitle"; else
	fail "plan after ldapmodify: $ops ops, $upd the expected update"; fi
has "plan summary after ldapmodify" \
    '^0 to create, 0 to adopt, 1 to update, 0 to enable, 0 to disable, 0 to delete, 0 address changes, 0 membership changes;'
has "third sync: exactly one update" \
    '^run 3 [a-z]+: 0 created, 1 updated, 0 enabled, 0 disabled, 0 deleted, [0-9]+ errors \(1 API calls'
has "the API shows the new title" '^ +"jobTitle": "Chief Demo Officer",$'
has "waited DEMO_SECONDS without a terminal" '^stopping in 1 s \(DEMO_SECONDS\)'

# ---- nothing left running ---------------------------------------------------------
dc=$(sed -n 's/.*sample organisation (pid \([0-9]*\)).*/\1/p' "$OUT" | head -n 1)
rs=$(sed -n 's/^rsemu .*, pid \([0-9]*\)$/\1/p' "$OUT" | head -n 1)
leftovers() {
	[ -z "$rs" ] || ! kill -0 "$rs" 2>/dev/null || echo "rsemu $rs"
	[ -z "$dc" ] || pgrep -g "$dc" | sed 's/^/samba group member /'
	pgrep -af -- "$BUILD/demo/|demo-inside\\.sh $BUILD " || true
}
if [ -n "$dc" ] && [ -n "$rs" ]; then pass "PIDs shown (DC $dc, rsemu $rs)"; else
	fail "PIDs shown: DC '$dc', rsemu '$rs'"; fi
left=""
for _ in $(seq 1 50); do	# with-ad.sh's watchdog may take a moment
	left=$(leftovers)
	[ -n "$left" ] || break
	sleep 0.1
done
if [ -z "$left" ]; then pass "nothing left running"; else
	fail "left running:"; printf '     %s\n' "$left"; fi

# ---- sanitizers (dev build) -------------------------------------------------------
for f in "$BUILD/demo/adsync.log" "$BUILD/demo/rsemu.log"; do
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

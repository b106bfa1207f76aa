#!/bin/bash
# The long versions of the chaos tests (`make chaos`; docs/testing-sync.md
# "Chaos"):
#   tests/chaos/run.sh BUILD [CASE...]
# CASE: kill_initial kill_delta kill_password faults restart guard (default:
# all, in this order). Each runs with CHAOS_LONG=1: 200 kills per kill case
# (CHAOS_KILLS), 5 rounds of faults (300 changes each), 10 rounds of
# restarts and of the guard (CHAOS_ROUNDS). About 45 minutes on two cores. The
# seed of each is printed (CHAOS_SEED=N reproduces it); each test's output
# goes to BUILD/chaos/CASE.log. Exit status: 0 when every case passed (or
# was skipped: 77 without root or Samba), 1 otherwise.
set -uo pipefail
build=${1:?usage: tests/chaos/run.sh BUILD [CASE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "$build" && pwd)
adsync=$build/src/cli/adsync
rsemu=$build/emulator/rsemu
pwhook=$build/hooks/samba/adsync-pwhook
for b in "$adsync" "$rsemu" "$pwhook"; do
	[ -x "$b" ] || { echo "chaos: $b is not built (make)" >&2; exit 1; }
done
export ADSYNC_AD_TEMPLATE=${ADSYNC_AD_TEMPLATE:-$build/testbed/template}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export CHAOS_LONG=1
[ $# -gt 0 ] || set -- kill_initial kill_delta kill_password faults restart guard
mkdir -p "$build/chaos"

failed=()
summary=()
for c in "$@"; do
	case $c in
	kill_initial) cmd=("$here/test_chaos_kill.sh" "$adsync" "$rsemu" "$src" initial) ;;
	kill_delta) cmd=("$here/test_chaos_kill.sh" "$adsync" "$rsemu" "$src" delta) ;;
	kill_password) cmd=("$here/test_chaos_kill.sh" "$adsync" "$rsemu" "$src" password "$pwhook") ;;
	faults | restart | guard) cmd=("$here/test_chaos_$c.sh" "$adsync" "$rsemu" "$src") ;;
	*) echo "chaos: unknown case $c" >&2; exit 2 ;;
	esac
	log=$build/chaos/$c.log
	echo "chaos: $c (log $log)"
	t0=$(date +%s)
	"${cmd[@]}" > "$log" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	seed=$(sed -n 's/^chaos: seed \([0-9]*\) .*/\1/p' "$log" | head -1)
	last=$(grep -E '^(PASS|FAILED|SKIP)' "$log" | tail -1)
	summary+=("$(printf '%-14s %5d s  seed %-6s %s' "$c" "$t" "${seed:-?}" "${last:-exit $rc}")")
	echo "  ${summary[-1]}"
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		failed+=("$c")
		grep '^FAIL' "$log" | head -10 | sed 's/^/    /'
	fi
done
echo "chaos: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "chaos: FAILED: ${failed[*]}"
	exit 1
fi
echo "chaos: all passed"

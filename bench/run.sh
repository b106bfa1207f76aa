#!/usr/bin/env bash
# Benchmarks, run by `make bench` on a release build:
#   bench/run.sh BUILD_DIR [ARGS...]
#   BENCH="ad rsemu" bench/run.sh BUILD_DIR     # a subset, in that order
#   BENCH_SIZES=10000 BENCH_REPEAT=2 bench/run.sh BUILD_DIR   # a quick run
# Runs each bench script bench/NAME.sh (every one but this file, by name,
# unless BENCH lists some) as `bench/NAME.sh BUILD_DIR ARGS...`,
# BENCH_REPEAT times (default 3) in rounds (every bench once, then again),
# so that a passing disturbance of the machine lands in one run of each, not
# in every run of one. Each script prints a Markdown table on stdout, which
# run.sh shows and keeps in BUILD_DIR/bench/NAME.md (the last run's), and
# writes its figures to BUILD_DIR/bench/NAME.json; run.sh keeps every
# run's table and figures as BUILD_DIR/bench/runs/R/NAME.{md,json}, with
# NAME.meta.json (status, seconds, start, commit, machine, BENCH_*
# settings). At the end bench/report.py BUILD_DIR turns the runs into
# bench/report.md and bench/report.json in the source tree (median and
# spread of each figure, its target, met or missed and why);
# BENCH_REPORT=0 skips that. `bench/report.py BUILD_DIR` alone rewrites the
# report from the runs kept.
#
# BENCH_SIZES (default "10000 100000") is exported for the scale benches
# (ad, daemon, sync; each has its own BENCH_NAME_SIZES that wins over it);
# pwsync and web keep their own sizes. The first run at 100,000 builds the
# gen:100000 AD template (about 20 minutes, 3 GB of RAM, cached after).
#
# Today: ad (reading AD: full read time, peak RSS, vs ldapsearch; change
# latency), daemon (initial sync, CPU and RSS idle and at peak, change
# latency against its floor), pwsync (password latency, AD change -> API,
# throttle on, idle and behind an object-sync backlog), rsemu (the
# emulator's raw capacity), sync (initial sync and 1% delta against rsemu's
# capacity for the same writes; the initial sync under the real throttle
# scaled in time; state database size), web (the console: latency per page,
# concurrent GET /, the daemon's RSS). Their own headers say what they
# measure and what they need (ad, daemon, pwsync, sync and web need root
# and Samba, and build large AD templates the first time). Benchmarks
# assert nothing about time; a script fails only if its work fails, and
# run.sh then goes on with the next one, writes the report from what
# succeeded and exits 1 at the end.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [ARGS...]}
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$build" ] || { echo "bench: no build directory $build (make bench)" >&2; exit 1; }
build=$(cd "$build" && pwd)
shift
repeat=${BENCH_REPEAT:-3}
case $repeat in
''|*[!0-9]*|0) echo "bench: BENCH_REPEAT must be a positive number" >&2; exit 1 ;;
esac
export BENCH_SIZES=${BENCH_SIZES:-10000 100000}
# The commit of the tree as the runs start (make bench builds just before):
# others may commit while a long run goes on, and the binaries stay these.
commit=$(git -C "$here/.." describe --always --dirty 2>/dev/null || echo unknown)

if [ -n "${BENCH:-}" ]; then
	read -r -a names <<< "$BENCH"
else
	names=()
	for f in "$here"/*.sh; do
		n=$(basename "$f" .sh)
		[ "$n" = run ] || names+=("$n")
	done
fi
for n in "${names[@]}"; do
	[ -x "$here/$n.sh" ] || { echo "bench: no bench/$n.sh" >&2; exit 1; }
done

# The runs of the benches about to run are replaced (those of the others
# are kept: `BENCH=web make bench` refreshes the web figures only).
mkdir -p "$build/bench/runs"
for n in "${names[@]}"; do
	rm -f "$build/bench/runs/"*/"$n".{md,json,meta.json} "$build/bench/$n.json"
done

failed=()
t_all=$(date +%s)
for r in $(seq 1 "$repeat"); do
	rd=$build/bench/runs/$r
	mkdir -p "$rd"
	for n in "${names[@]}"; do
		echo "bench: $n (run $r of $repeat)" >&2
		out=$build/bench/$n.md
		started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
		t0=$(date +%s.%N)
		rm -f "$build/bench/$n.json"
		# The table goes to the terminal as it is printed and, when the
		# script succeeds, into BUILD_DIR/bench/NAME.md and the run's
		# directory (a failed run keeps the old NAME.md; pipefail makes
		# the script's status the pipeline's).
		status=ok
		if "$here/$n.sh" "$build" "$@" | tee "$out.tmp"; then
			mv "$out.tmp" "$out"
			cp "$out" "$rd/$n.md"
			[ ! -f "$build/bench/$n.json" ] || cp "$build/bench/$n.json" "$rd/$n.json"
			echo
		else
			rm -f "$out.tmp"
			status=failed
			failed+=("$n#$r")
			echo "bench: $n failed (run $r)" >&2
		fi
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		echo "bench: $n run $r: $status in $secs s" >&2
		python3 "$here/report.py" --meta "$rd/$n.meta.json" "$n" "$r" "$status" "$secs" \
		    "$started" "$commit"
	done
done
echo "bench: all runs took $(($(date +%s) - t_all)) s" >&2
if [ "${BENCH_REPORT:-1}" != 0 ]; then
	python3 "$here/report.py" "$build"
fi
[ ${#failed[@]} = 0 ] || { echo "bench: failed: ${failed[*]}" >&2; exit 1; }

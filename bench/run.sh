#!/usr/bin/env bash
# Benchmarks, run by `make bench` on a release build:
#   bench/run.sh BUILD_DIR [ARGS...]
#   BENCH="ad rsemu" bench/run.sh BUILD_DIR     # a subset, in that order
# Runs each bench script bench/NAME.sh (every one but this file, by name,
# unless BENCH lists some) as `bench/NAME.sh BUILD_DIR ARGS...`. Each prints
# a Markdown table on stdout; run.sh shows it and keeps it in
# BUILD_DIR/bench/NAME.md. Today: ad (reading AD: full read time, peak RSS,
# vs ldapsearch; change latency), daemon (change latency against its floor,
# idle CPU, RSS), pwsync (password latency, AD change -> API, throttle on,
# idle and behind an object-sync backlog), rsemu (the emulator's raw
# capacity), sync (the sync engine against a replay of its own requests),
# web (the console: latency per page, concurrent GET /, the daemon's RSS).
# Their own headers say what they measure and what they need (ad, daemon,
# pwsync, sync and web need root and Samba,
# and build large AD templates the first time). Benchmarks assert nothing about time; a script fails only if
# its work fails, and run.sh then goes on with the next one and exits 1 at
# the end.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [ARGS...]}
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$build" ] || { echo "bench: no build directory $build (make bench)" >&2; exit 1; }
build=$(cd "$build" && pwd)
shift

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

mkdir -p "$build/bench"
failed=()
for n in "${names[@]}"; do
	echo "bench: $n" >&2
	out=$build/bench/$n.md
	# The table goes to the terminal as it is printed and, when the script
	# succeeds, into BUILD_DIR/bench/NAME.md (a failed run keeps the old one;
	# pipefail makes the script's status the pipeline's).
	if "$here/$n.sh" "$build" "$@" | tee "$out.tmp"; then
		mv "$out.tmp" "$out"
		echo
	else
		rm -f "$out.tmp"
		failed+=("$n")
		echo "bench: $n failed" >&2
	fi
done
[ ${#failed[@]} = 0 ] || { echo "bench: failed: ${failed[*]}" >&2; exit 1; }

#!/bin/bash
# Runs every libFuzzer harness of tests/fuzz (docs/testing-sync.md,
# "Fuzzing"): builds the fuzz preset (clang, libFuzzer, ASan+UBSan) into
# BUILD_DIR, runs each harness for FUZZ_SECONDS on its corpus, merges what
# it found back into tests/fuzz/corpus/<name>/, and fails if any harness
# crashed.
#
#   scripts/fuzz.sh BUILD_DIR
#
#   FUZZ_SECONDS  seconds per harness (default 600)
#   FUZZ_JOBS     harnesses run at once (default: nproc)
#   FUZZ_ONLY     names of the harnesses to run (default: all), e.g.
#                 FUZZ_ONLY="conf web_form"
#   FUZZ_MERGE    0 to leave tests/fuzz/corpus alone (default 1)
#
# Each harness writes the inputs that reach new code to
# BUILD_DIR/fuzz-work/<name>/, which is kept from run to run (it is the
# next run's starting point too; delete it to start over). Afterwards
# `-set_cover_merge=1 -use_counters=0` adds to the repository corpus a
# small set of them that covers the edges it does not cover yet (edges,
# not hit counts: a 2-minute run adds tens of files, not hundreds), and
# the seeds written by hand stay as they are.
# Crashes, leaks, timeouts and out-of-memory inputs go to
# BUILD_DIR/fuzz-crashes/<name>-*; the log of each run to
# BUILD_DIR/fuzz-logs/<name>.log. A crash stops only its own harness; the
# script prints the table and the command that reproduces each crash, and
# exits 1. A UBSan report is a crash (UBSAN_OPTIONS=halt_on_error=1), as it
# is in the corpus replay of the dev build.
#
# Needs clang with the compiler-rt fuzzer library (Debian:
# libclang-rt-14-dev, installed by scripts/deps.sh).
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-$(nproc)}
MERGE=${FUZZ_MERGE:-1}
case $SECS in ''|*[!0-9]*) echo "FUZZ_SECONDS: not a number" >&2; exit 2;; esac
case $JOBS in ''|*[!0-9]*|0) echo "FUZZ_JOBS: not a number" >&2; exit 2;; esac

# The largest input per harness: a little above the decoder's own limit,
# so that "too large" is reached, and no more (longer inputs slow the
# search down). Harnesses not listed get 4096.
max_len() {
	case $1 in
	conf|conf_edit|ad_decode|emu_form) echo 16384 ;;
	target_decode|target_index|emu_api|store_codec) echo 65536 ;;
	pwhook_ldif) echo 66000 ;;
	pwproto_capture) echo 8200 ;;
	pwproto_hookfile) echo 66000 ;;
	web_form) echo 66000 ;;
	target_error|emu_config|ctl_request) echo 8192 ;;
	# Long enough for a password past 1024 bytes and a login run over
	# more than WEB_LOGIN_ADDRS_MAX addresses; longer runs only slow.
	web_auth) echo 2048 ;;
	pwhook_complexity) echo 5200 ;;
	model_decode) echo 2048 ;;
	*) echo 4096 ;;
	esac
}

# ---- clang and libFuzzer -------------------------------------------------
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    >"$probe/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" \
    -o "$probe/probe" >"$probe/err" 2>&1; then
	echo "fuzz.sh: clang cannot link a libFuzzer program:" >&2
	sed 's/^/  /' "$probe/err" >&2
	echo "fuzz.sh: install clang and libclang-rt-14-dev" \
	    "(scripts/deps.sh does)" >&2
	exit 1
fi

# ---- the harnesses ---------------------------------------------------------
# Every adsync_fuzz(NAME ...) of tests/fuzz/*.cmake.
mapfile -t ALL < <(sed -n 's/^[[:space:]]*adsync_fuzz(\([a-z0-9_]*\).*/\1/p' \
    "$SRC"/tests/fuzz/*.cmake | sort -u)
if [ ${#ALL[@]} -eq 0 ]; then
	echo "fuzz.sh: no harness found in tests/fuzz/*.cmake" >&2
	exit 1
fi
if [ -n "${FUZZ_ONLY:-}" ]; then
	NAMES=()
	for n in $FUZZ_ONLY; do
		if ! printf '%s\n' "${ALL[@]}" | grep -qx "$n"; then
			echo "fuzz.sh: no harness named $n" >&2
			exit 2
		fi
		NAMES+=("$n")
	done
else
	NAMES=("${ALL[@]}")
fi

targets=()
for n in "${NAMES[@]}"; do
	targets+=("fuzz_$n")
done
cmake --preset fuzz -S "$SRC" -B "$BUILD" >/dev/null || exit 1
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" || exit 1

BUILD=$(cd "$BUILD" && pwd)
CRASHES=$BUILD/fuzz-crashes
LOGS=$BUILD/fuzz-logs
WORK=$BUILD/fuzz-work
rm -rf "$CRASHES" "$LOGS"
mkdir -p "$CRASHES" "$LOGS" "$WORK"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

count() {
	find "$1" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l
}

# One harness: fuzz, then merge. Writes "name secs execs before after
# crashes status" to $LOGS/name.row.
run_one() {
	local n=$1 bin=$BUILD/tests/fuzz/fuzz_$1 corpus=$SRC/tests/fuzz/corpus/$1
	local work=$WORK/$1 log=$LOGS/$1.log len before after execs t0 t1 rc
	local nc status

	len=$(max_len "$n")
	mkdir -p "$corpus" "$work"
	before=$(count "$corpus")
	t0=$(date +%s)
	"$bin" -max_total_time="$SECS" -max_len="$len" -timeout=30 \
	    -rss_limit_mb=2560 -print_final_stats=1 \
	    -artifact_prefix="$CRASHES/$n-" "$work" "$corpus" >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	# Slow units are reported, not failures.
	nc=$(find "$CRASHES" -maxdepth 1 -type f -name "$n-*" \
	    ! -name "$n-slow-unit-*" | wc -l)
	status=ok
	if [ "$rc" -ne 0 ] || [ "$nc" -gt 0 ]; then
		status="exit $rc"
		[ "$nc" -gt 0 ] || nc=1
	fi
	if [ "$MERGE" = 1 ] && [ "$(count "$work")" -gt 0 ]; then
		if ! "$bin" -set_cover_merge=1 -use_counters=0 \
		    -max_len="$len" -timeout=30 -rss_limit_mb=2560 \
		    "$corpus" "$work" >>"$log" 2>&1; then
			status="$status, merge failed"
		fi
	fi
	after=$(count "$corpus")
	echo "$n $((t1 - t0)) ${execs:-?} $before $after $nc $status" \
	    >"$LOGS/$n.row"
}

echo "fuzz.sh: ${#NAMES[@]} harnesses, ${SECS} s each, $JOBS at once" \
    "(logs in $LOGS)"
running=0
for n in "${NAMES[@]}"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$n" &
	running=$((running + 1))
done
wait

failed=0
printf '\n%-20s %7s %12s %8s %8s %8s  %s\n' harness seconds execs \
    before after crashes status
for n in "${NAMES[@]}"; do
	if [ ! -s "$LOGS/$n.row" ]; then
		printf '%-20s %s\n' "$n" "did not run"
		failed=1
		continue
	fi
	read -r rn secs execs before after nc status <"$LOGS/$n.row"
	printf '%-20s %7s %12s %8s %8s %8s  %s\n' "$rn" "$secs" "$execs" \
	    "$before" "$after" "$nc" "$status"
	[ "$nc" -eq 0 ] || failed=1
done

if [ "$failed" -ne 0 ]; then
	echo
	echo "fuzz.sh: crashes (see $LOGS/<name>.log); reproduce with:"
	for n in "${NAMES[@]}"; do
		found=0
		for f in "$CRASHES/$n-"*; do
			[ -f "$f" ] || continue
			case $f in *-slow-unit-*) continue ;; esac
			echo "  $BUILD/tests/fuzz/fuzz_$n $f"
			found=1
		done
		if [ "$found" = 0 ] && [ -s "$LOGS/$n.row" ] &&
		    ! grep -q ' ok$' "$LOGS/$n.row"; then
			echo "  $n failed without an artifact: see $LOGS/$n.log"
		fi
	done
	exit 1
fi
exit 0

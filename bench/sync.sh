#!/usr/bin/env bash
# Benchmark of the sync engine (issue 5), run by bench/run.sh:
#   bench/sync.sh BUILD_DIR
# Prints a Markdown table on stdout.
#
# For each size in BENCH_SYNC_SIZES (default 10000 users; a generated
# organisation, tests/testbed/gen-org): a Samba AD DC (with-ad.sh, its own
# network namespace) and rsemu over TLS with --throttle off, both on
# loopback, share this machine. In ONE run it measures
#   1. the requests of an initial sync: `adsync sync --once` into an rsemu
#      that logs every request (not timed: the log costs rsemu time);
#   2. rsemu's raw capacity for exactly those requests: bench/rsemu_replay
#      sends the logged writes again into a fresh rsemu, at the concurrency
#      adsync uses (max_in_flight), phase by phase as adsync does; and
#      for reference bench/rsemu_load's mailbox creates per second;
#   3. the initial sync, timed, into a fresh rsemu: total time, the time of
#      each stage (AD read, plan, apply), API calls per object created, and
#      replay time / apply time (target >= 80%, <= 1.01 calls per new
#      mailbox);
#   4. a 1% delta: title changed on 1% of the users by ldapmodify, then
#      `adsync sync --once` (target <= 10 s at 100,000 objects; set
#      BENCH_SYNC_SIZES="100000" — the 100k template takes ~20 min to build
#      the first time and ~3 GB under build/testbed).
# rsemu runs on CPU 0 and the clients on the others (the real API runs on
# other machines; see below). Peak RSS of each adsync run is measured with
# /usr/bin/time. Benchmarks assert nothing about time; they fail only if
# the work fails.
# shellcheck disable=SC2317 # cleanup and helpers run from traps and calls
set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
	shift
	build=$1 n=$2 out=$3
	src=$(cd "$(dirname "$0")/.." && pwd)
	adsync=$build/src/cli/adsync
	rsemu=$build/emulator/rsemu
	load=$build/bench/rsemu_load
	replay=$build/bench/rsemu_replay
	conc=${BENCH_SYNC_INFLIGHT:-8}
	work=$(mktemp -d /tmp/adsync-bsync.XXXXXX)
	# shellcheck source=bench/lib/testbed.sh
	. "$src/bench/lib/testbed.sh"
	rsemu_pid=""
	cleanup() {
		bench_rsemu_stop
		[ -n "${BENCH_SYNC_KEEPLOG:-}" ] && cp "$work"/initial.log "$BENCH_SYNC_KEEPLOG" 2>/dev/null; rm -rf "$work"
	}
	trap cleanup EXIT
	# The real API runs on other machines: its capacity is not eaten by
	# the client's CPU. Here they share the machine, so rsemu gets CPU 0
	# and the clients (rsemu_load as the peer, then adsync) the others;
	# BENCH_SYNC_PIN=0 (or a single CPU) lets everything float.
	bench_env "${BENCH_SYNC_PIN:-1}"
	start_rsemu() { bench_rsemu_start "$@"; }
	stop_rsemu() { bench_rsemu_stop; }

	# Reference: raw mailbox creates, on their own rsemu instance.
	start_rsemu 0
	line=$($cli_cpu "$load" --url "https://127.0.0.1:$port/v1" --user-key "$KEY" \
	    --secret-key-file "$work/secret.key" --ca-file "$work/tls/ca.pem" \
	    --domain bench.example --op add-full --concurrency "$conc" --seconds 5)
	raw=$(echo "$line" | tr ' ' '\n' | sed -n 's/^rps=//p')
	stop_rsemu

	write_conf() {	# $1 = state directory
		bench_conf "$1" "$conc" > "$work/adsync.conf"
	}
	run_sync() {	# $1 = label; prints the summary JSON line, sets rss_kb
		# BENCH_SYNC_WRAP: a profiler to run the initial sync under
		# (e.g. "perf record -g -o /tmp/sync.perf --"); empty by default.
		wrap=""
		[ "$1" = initial ] && wrap=${BENCH_SYNC_WRAP:-}
		[ "$1" = delta ] && wrap=${BENCH_SYNC_WRAP_DELTA:-}

		# shellcheck disable=SC2086 # the prefixes are words
		/usr/bin/time -f '%M' -o "$work/rss" $cli_cpu $wrap "$adsync" -c "$work/adsync.conf" \
		    sync --once --json > "$work/$1.json" 2>"$work/$1.log" || {
			rc=$?
			# 2 = some objects had errors (gen-org has none by design).
			[ "$rc" = 2 ] || { cat "$work/$1.log" >&2; exit 1; }
		}
		rss_kb=$(tail -1 "$work/rss")
		grep '"summary"' "$work/$1.json"
	}
	j() {	# j FILE KEY: a number from the summary line
		python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1]) if "summary" in l][0]["summary"]; print(d[sys.argv[2]])' "$1" "$2"
	}
	# 1. the requests of an initial sync, logged.
	start_rsemu 1000000
	write_conf "$work/state-capture"
	run_sync capture >/dev/null
	curl -sf -o "$work/requests.json" "http://$admin/_emu/requests?limit=200000"
	stop_rsemu
	# 2. the same writes at raw capacity, into a fresh rsemu.
	start_rsemu 0
	# shellcheck disable=SC2086 # the prefixes are words
	line=$(${BENCH_REPLAY_WRAP:-} $cli_cpu "$replay" --url "https://127.0.0.1:$port/v1" --user-key "$KEY" \
	    --secret-key-file "$work/secret.key" --ca-file "$work/tls/ca.pem" \
	    --log "$work/requests.json" --concurrency "$conc")
	rsecs=$(echo "$line" | tr ' ' '\n' | sed -n 's/^seconds=//p')
	rreqs=$(echo "$line" | tr ' ' '\n' | sed -n 's/^requests=//p')
	stop_rsemu
	# 3. the initial sync, timed, into a fresh rsemu.
	start_rsemu 0
	write_conf "$work/state"
	run_sync initial >/dev/null
	rss_init=$rss_kb
	f=$work/initial.json
	created=$(j "$f" created); calls=$(j "$f" api_calls); secs=$(j "$f" seconds)
	rd=$(j "$f" read_seconds); pl=$(j "$f" plan_seconds); ap=$(j "$f" apply_seconds)
	errors=$(j "$f" errors)

	# 3. 1% delta: change title on every 100th user (sAMAccountName
	# u......00, as gen-org names them).
	LDAPTLS_CACERT=$AD_CA ldapsearch -LLL -o ldif-wrap=no -H "$AD_URI" -x \
	    -D "$AD_ADMIN_UPN" -y "$AD_ADMIN_PASSWORD_FILE" -b "$AD_BASE_DN" \
	    -E pr=1000/noprompt '(&(objectClass=user)(sAMAccountName=u*00))' dn |
	    awk '/^dn::? /{print; print "changetype: modify"; print "replace: title";
		print "title: Bench delta " NR; print ""}' > "$work/delta.ldif"
	LDAPTLS_CACERT=$AD_CA ldapmodify -H "$AD_URI" -x -D "$AD_ADMIN_UPN" \
	    -y "$AD_ADMIN_PASSWORD_FILE" -f "$work/delta.ldif" >/dev/null
	run_sync delta >/dev/null
	rss_delta=$rss_kb
	f=$work/delta.json
	dupd=$(j "$f" updated); dcalls=$(j "$f" api_calls); dsecs=$(j "$f" seconds)
	drd=$(j "$f" read_seconds); dpl=$(j "$f" plan_seconds); dap=$(j "$f" apply_seconds)

	python3 - "$n" "$raw" "$created" "$calls" "$secs" "$rd" "$pl" "$ap" "$errors" \
	    "$rss_init" "$dupd" "$dcalls" "$dsecs" "$drd" "$dpl" "$dap" "$rss_delta" "$conc" \
	    "$rsecs" "$rreqs" >> "$out" <<-'PY'
	import sys
	(n, raw, created, calls, secs, rd, pl, ap, errors, rss, dupd, dcalls, dsecs,
	 drd, dpl, dap, drss, conc, rsecs, rreqs) = sys.argv[1:]
	raw, created, calls, ap, rsecs = float(raw), int(created), int(calls), float(ap), float(rsecs)
	rate = created / ap if ap > 0 else 0.0
	print(f"| {n} | initial | {created} created | {calls} | {calls / max(created, 1):.3f} | "
	      f"{float(secs):.1f} ({float(rd):.1f} / {float(pl):.1f} / {ap:.2f}) | "
	      f"{rreqs} writes: {rsecs:.2f} s raw vs {ap:.2f} s apply: **{rsecs / ap:.0%}** | "
	      f"{rate:,.0f}/s (raw creates {raw:,.0f}/s) | {int(rss)/1024:.0f} MB | {errors} |")
	print(f"| {n} | 1% delta | {dupd} updated | {dcalls} | - | "
	      f"{float(dsecs):.2f} ({float(drd):.2f} / {float(dpl):.2f} / {float(dap):.2f}) | - | - | {int(drss)/1024:.0f} MB | - |")
	PY
	exit 0
fi

build=${1:?usage: bench/sync.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
sizes=${BENCH_SYNC_SIZES:-10000}
out=$(mktemp /tmp/adsync-bsync-out.XXXXXX)
trap 'rm -f "$out"' EXIT
for n in $sizes; do
	"$src/tests/testbed/with-ad.sh" --org "gen:$n" -- "$0" --inner "$build" "$n" "$out"
done
echo "## Sync engine: initial sync and 1% delta into rsemu (throttle off)"
echo
echo "Machine: $(nproc) cores; commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown);" \
    "Samba AD, rsemu and adsync share the machine. Seconds: total (AD read / plan / apply)."
echo "Capacity: the writes the sync made, sent again by bench/rsemu_replay (bodies prepared in advance, nothing decided or stored) into a fresh rsemu at the same concurrency, phase by phase: replay seconds / adsync apply seconds (target >= 80%)."
echo "rsemu runs on CPU 0 and the clients (adsync, rsemu_replay, rsemu_load) on the others, as the real API runs on other machines (BENCH_SYNC_PIN=0 lets all float)."
echo
echo "| users | run | objects | API calls | calls/object | seconds | capacity: raw replay vs apply | apply rate | peak RSS | errors |"
echo "|---:|---|---:|---:|---:|---|---|---|---:|---:|"
cat "$out"

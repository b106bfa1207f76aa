#!/usr/bin/env bash
# Benchmark of rsemu's raw capacity, run by bench/run.sh:
#   bench/rsemu.sh BUILD_DIR [SECONDS]
# Signed GETs and mailbox adds per second at concurrency 1/8/32, over TLS and
# plain HTTP on loopback, SECONDS (default 5) per cell. Prints a Markdown
# table on stdout and writes the figures (requests/s per cell: ids
# rsemu.TRANSPORT.OP.cC) to BUILD_DIR/bench/rsemu.json for bench/report.py.
# Benchmarks assert nothing about time; they fail only if the work fails.
set -euo pipefail
build=${1:?usage: bench/rsemu.sh BUILD_DIR [SECONDS]}
secs=${2:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
rsemu=$build/emulator/rsemu
load=$build/bench/rsemu_load
if [ ! -x "$rsemu" ] || [ ! -x "$load" ]; then
	echo "bench: build first (make bench)" >&2
	exit 1
fi

work=$(mktemp -d /tmp/adsync-bench.XXXXXX)
export BENCH_FIGS=$work/figs
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$src/tests/testbed/mkcert.sh" "$work/tls" >/dev/null
umask 077
head -c 24 /dev/urandom | base64 > "$work/secret.key"
KEY=benchUserKey0001

start_rsemu() {	# $1 = tls|http
	local tlsargs=()
	[ "$1" = tls ] && tlsargs=(--tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server.key")
	rm -f "$work/ready"
	"$rsemu" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 "${tlsargs[@]}" \
	    --account 100001 --user-key "$KEY" --secret-key-file "$work/secret.key" \
	    --domain bench.example:rsemail --throttle off --threads "$(nproc)" \
	    --ready-file "$work/ready" 2>"$work/rsemu.log" &
	pid=$!
	for _ in $(seq 1 100); do
		[ -s "$work/ready" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$work/rsemu.log" >&2; exit 1; }
		sleep 0.05
	done
	[ -s "$work/ready" ] || { echo "bench: rsemu not ready" >&2; exit 1; }
	port=$(sed -n 's/^listen=.*:\([0-9]*\)$/\1/p' "$work/ready")
	admin=$(sed -n 's/^admin=\(.*\)$/\1/p' "$work/ready")
}

stop_rsemu() {
	kill -TERM "$pid"; wait "$pid" || true; pid=""
}

echo "## rsemu raw capacity"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
    "commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown);" \
    "$secs s per cell; load generator and rsemu share the machine."
echo
echo "| transport | operation | concurrency | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---:|---:|---:|---:|---:|"

for transport in tls http; do
	start_rsemu $transport
	scheme=https; [ $transport = http ] && scheme=http
	for op in get add; do
		for c in 1 8 32; do
			curl -s -o /dev/null -X POST "http://$admin/_emu/reset" || true
			line=$("$load" --url "$scheme://127.0.0.1:$port/v1" --user-key "$KEY" \
			    --secret-key-file "$work/secret.key" --ca-file "$work/tls/ca.pem" \
			    --domain bench.example --op $op --concurrency $c --seconds "$secs")
			rps='' p50_ms='' p99_ms='' errors=''
			eval "$(echo "$line" | tr ' ' '\n' | grep -E '^(rps|p50_ms|p99_ms|errors)=')"
			printf '| %s | %s | %d | %s | %s | %s | %s |\n' \
			    "$transport" "$op" "$c" "$rps" "$p50_ms" "$p99_ms" "$errors"
			what="signed GETs/s"; [ $op = add ] && what="mailbox adds/s"
			python3 "$src/bench/lib/benchlib.py" fig "rsemu.$transport.$op.c$c" \
			    "rsemu $what, concurrency $c, $transport" "$rps" "req/s"
		done
	done
	stop_rsemu
done
python3 "$src/bench/lib/benchlib.py" write "$BENCH_FIGS" "$build/bench/rsemu.json"

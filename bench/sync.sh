#!/usr/bin/env bash
# Benchmark of the sync engine (issue 5), run by bench/run.sh:
#   bench/sync.sh BUILD_DIR
# Prints a Markdown table on stdout.
#
# For each size in BENCH_SYNC_SIZES (default 10000 users; a generated
# organisation, tests/testbed/gen-org): a Samba AD DC (with-ad.sh, its own
# network namespace) and rsemu over TLS with --throttle off, both on
# loopback, share this machine. In ONE run it measures
#   1. rsemu's raw capacity: signed mailbox creates per second from
#      bench/rsemu_load at the concurrency adsync uses (max_in_flight);
#   2. the initial sync: `adsync sync --once` into an empty rsemu: total
#      time, the time of each stage (AD read, plan, apply), API calls per
#      object created, and apply rate / raw capacity (target >= 80%,
#      <= 1.01 calls per new mailbox);
#   3. a 1% delta: title changed on 1% of the users by ldapmodify, then
#      `adsync sync --once` (target <= 10 s at 100,000 objects; set
#      BENCH_SYNC_SIZES="100000" — the 100k template takes ~20 min to build
#      the first time and ~3 GB under build/testbed).
# Peak RSS of each adsync run is measured with /usr/bin/time. Benchmarks
# assert nothing about time; they fail only if the work fails.
set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
	shift
	build=$1 n=$2 out=$3
	src=$(cd "$(dirname "$0")/.." && pwd)
	adsync=$build/src/cli/adsync
	rsemu=$build/emulator/rsemu
	load=$build/bench/rsemu_load
	conc=${BENCH_SYNC_INFLIGHT:-8}
	work=$(mktemp -d /tmp/adsync-bsync.XXXXXX)
	pid=""
	cleanup() {
		if [ -n "$pid" ]; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
		rm -rf "$work"
	}
	trap cleanup EXIT
	"$src/tests/testbed/mkcert.sh" "$work/tls" >/dev/null
	umask 077
	head -c 24 /dev/urandom | base64 > "$work/secret.key"
	KEY=benchUserKey0001
	start_rsemu() {
		rm -f "$work/ready"
		"$rsemu" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		    --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server.key" \
		    --account 100001 --user-key "$KEY" --secret-key-file "$work/secret.key" \
		    --domain example.com:both --domain example.net:both \
		    --domain bench.example:both \
		    --throttle off --threads "$(nproc)" --request-log 0 \
		    --ready-file "$work/ready" 2>"$work/rsemu.log" &
		pid=$!
		for _ in $(seq 1 200); do
			[ -s "$work/ready" ] && break
			kill -0 "$pid" 2>/dev/null || { cat "$work/rsemu.log" >&2; exit 1; }
			sleep 0.05
		done
		port=$(sed -n 's/^listen=.*:\([0-9]*\)$/\1/p' "$work/ready")
	}
	stop_rsemu() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

	# 1. raw capacity, on its own rsemu instance.
	start_rsemu
	line=$("$load" --url "https://127.0.0.1:$port/v1" --user-key "$KEY" \
	    --secret-key-file "$work/secret.key" --ca-file "$work/tls/ca.pem" \
	    --domain bench.example --op add-full --concurrency "$conc" --seconds 5)
	raw=$(echo "$line" | tr ' ' '\n' | sed -n 's/^rps=//p')
	stop_rsemu

	# 2. initial sync into a fresh rsemu.
	start_rsemu
	mkdir -p "$work/state"
	cat > "$work/adsync.conf" <<-EOF
	[ad]
	uri = $AD_URI
	base_dn = $AD_BASE_DN
	bind_dn = $AD_BIND_UPN
	bind_password_file = $AD_BIND_PASSWORD_FILE
	ca_file = $AD_CA

	[rackspace]
	api_url = https://127.0.0.1:$port/v1
	customer = 100001
	user_key = $KEY
	secret_key_file = $work/secret.key
	ca_file = $work/tls/ca.pem
	reads_per_minute = 1000000
	writes_per_minute = 1000000
	throttle_window = 1
	max_in_flight = $conc

	[sync]
	exchange_group = CN=Hosted Exchange Users,OU=Groups,$AD_BASE_DN
	rackspace_email_group = CN=Rackspace Email Users,OU=Groups,$AD_BASE_DN
	domains = example.com example.net
	state_dir = $work/state
	max_deletes = 1000000
	EOF
	run_sync() {	# $1 = label; prints the summary JSON line, sets rss_kb
		/usr/bin/time -f '%M' -o "$work/rss" "$adsync" -c "$work/adsync.conf" \
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
	    "$rss_init" "$dupd" "$dcalls" "$dsecs" "$drd" "$dpl" "$dap" "$rss_delta" "$conc" >> "$out" <<-'PY'
	import sys
	(n, raw, created, calls, secs, rd, pl, ap, errors, rss, dupd, dcalls, dsecs,
	 drd, dpl, dap, drss, conc) = sys.argv[1:]
	raw, created, calls, ap = float(raw), int(created), int(calls), float(ap)
	rate = created / ap if ap > 0 else 0.0
	print(f"| {n} | initial | {created} created | {calls} | {calls / max(created, 1):.3f} | "
	      f"{float(secs):.1f} ({float(rd):.1f} / {float(pl):.1f} / {ap:.1f}) | "
	      f"{rate:,.0f}/s vs raw {raw:,.0f}/s at c={conc}: {rate / raw:.0%} | {int(rss)/1024:.0f} MB | {errors} |")
	print(f"| {n} | 1% delta | {dupd} updated | {dcalls} | - | "
	      f"{float(dsecs):.2f} ({float(drd):.2f} / {float(dpl):.2f} / {float(dap):.2f}) | - | {int(drss)/1024:.0f} MB | - |")
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
echo "Rate: objects created per second of apply vs rsemu's raw creates of mailboxes with a directory user's fields (rsemu_load --op add-full), same run, same concurrency."
echo
echo "| users | run | objects | API calls | calls/object | seconds | apply rate vs raw | peak RSS | errors |"
echo "|---:|---|---:|---:|---:|---|---|---:|---:|"
cat "$out"

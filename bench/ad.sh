#!/usr/bin/env bash
# Benchmark of reading Active Directory (src/ldap, `adsync ad`), run by
# bench/run.sh:
#   bench/ad.sh BUILD_DIR
# Prints Markdown tables on stdout.
#
# For each size N in BENCH_AD_SIZES (default "10000 100000"): a Samba AD DC
# with a generated organisation of N users (tests/testbed/with-ad.sh --org
# gen:N; about 1.05 N objects) in its own network namespace, on this
# machine. In ONE run it measures
#   1. the full read: `adsync -c CONF ad dump --json > /dev/null` as the
#      service account (page_size 1000, range_size 1500: the defaults): time,
#      peak RSS (/usr/bin/time -f %M), objects/s, and the DC's CPU time;
#   2. its peer, right after on the same DC: ldapsearch of the same filter
#      and attributes with paging (-E pr=1000/noprompt) and the same
#      extended-DN control, written to /dev/null, and the ratio
#      adsync/ldapsearch. ldapsearch asks for plain `member` (Samba sends
#      every value in one answer), adsync for `member;range=0-1499` and the
#      rest open-ended, as it must for AD (docs/ldap.md);
#   3. the change latency: `adsync ad watch` (DirSync, change notification)
#      runs while BENCH_AD_CHANGES (default 100) ldapmodify runs, one after
#      the other, as Administrator, each change a user's title; the latency
#      is from starting ldapmodify (its own connect and bind included) to
#      `ad watch` printing the change: p50 / p95 / max (target p95 <= 200 ms).
#
# Needs root and Samba (with-ad.sh; exits 77 otherwise) and a release build.
# The generated directories are built once and cached next to the template
# (with-ad.sh, default build/testbed/template, or $ADSYNC_AD_TEMPLATE):
# gen:10000 takes about 20 s; gen:100000 takes about 20 minutes the first
# time, needs about 3 GB of RAM while it builds and leaves a 1.4 GB template
# under build/testbed. BENCH_AD_SIZES=10000 skips it.
#
# Sizes: BENCH_AD_SIZES, else BENCH_SIZES (bench/run.sh), else both.
# Besides the Markdown tables on stdout, the figures (ids ad.N.*) go to
# BUILD_DIR/bench/ad.json for bench/report.py.
#
# Benchmarks assert nothing about time; this fails only if the work fails
# (a read fails, a change is not seen within 30 s).
set -euo pipefail

# The attributes adsync asks for (ad_decode_attrs() in src/ldap/ad_decode.c:
# the model's table in src/model/obj_attr.c plus the extras).
AD_BENCH_ATTRS="mail displayName sn givenName generationQualifier initials o
sAMAccountName userPrincipalName cn telephoneNumber pager homePhone mobile
facsimileTelephoneNumber otherFacsimileTelephoneNumber streetAddress l st
postalCode co title employeeID employeeType company department
physicalDeliveryOfficeName proxyAddresses otherMailbox mailNickname
targetAddress objectGUID objectSid objectClass userAccountControl groupType
pwdLastSet whenChanged uSNChanged uSNCreated memberOf isDeleted member"
AD_BENCH_FILTER='(|(&(objectCategory=person)(objectClass=user))(objectClass=contact)(objectClass=group))'
# LDAP_SERVER_EXTENDED_DN_OID with flag 1 (string form), BER 30 03 02 01 01.
AD_BENCH_EXTDN='1.2.840.113556.1.4.529=::MAMCAQE='

if [ "${1:-}" = "--inner" ]; then
	# Inside with-ad.sh: the DC is up, AD_* describe it.
	build=$2 n=$3 read_out=$4 watch_out=$5
	src=$(cd "$(dirname "$0")/.." && pwd)
	trap 'echo "bench/ad.sh: gen:$n: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
	adsync=$build/src/cli/adsync
	changes=${BENCH_AD_CHANGES:-100}
	work=$(mktemp -d /tmp/adsync-bad.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	export LDAPTLS_CACERT=$AD_CA
	cat > "$work/adsync.conf" <<-EOF
	[ad]
	uri = $AD_URI
	base_dn = $AD_BASE_DN
	bind_dn = $AD_BIND_UPN
	bind_password_file = $AD_BIND_PASSWORD_FILE
	ca_file = $AD_CA
	EOF
	# CPU seconds used so far by the DC (every process of its group).
	# Processes come and go while /proc is read: a vanished one is skipped
	# (cat's failure must not end the benchmark). The command name, in
	# parentheses, may hold blanks: fields are counted after it.
	dc_pgid=$(cat "$AD_DIR/samba.pid")
	hz=$(getconf CLK_TCK)
	dc_cpu() {
		{ cat /proc/[0-9]*/stat 2>/dev/null || true; } |
		    awk -v g="$dc_pgid" -v hz="$hz" '{ sub(/^.*\) /, "") }
			$3 == g { t += $12 + $13 } END { printf "%.2f", t / hz }'
	}

	# 1. adsync's full read.
	c0=$(dc_cpu)
	/usr/bin/time -f '%e %M' -o "$work/time" "$adsync" -c "$work/adsync.conf" \
	    ad dump --json > /dev/null 2> "$work/dump.err" ||
	    { cat "$work/dump.err" >&2; exit 1; }
	c1=$(dc_cpu)
	read -r secs rss_kb < <(tail -1 "$work/time")
	objects=$(sed -n 's/.*ad dump: \([0-9]*\) objects from .*/\1/p' "$work/dump.err")
	[ -n "$objects" ] || { cat "$work/dump.err" >&2; exit 1; }

	# 2. The peer: ldapsearch, same filter, attributes, paging, extended DNs.
	# shellcheck disable=SC2086
	/usr/bin/time -f '%e' -o "$work/ltime" ldapsearch -LLL -x -H "$AD_URI" \
	    -D "$AD_BIND_UPN" -y "$AD_BIND_PASSWORD_FILE" -b "$AD_BASE_DN" \
	    -E pr=1000/noprompt -E "$AD_BENCH_EXTDN" "$AD_BENCH_FILTER" \
	    $AD_BENCH_ATTRS > /dev/null 2> "$work/ldapsearch.err" ||
	    { cat "$work/ldapsearch.err" >&2; exit 1; }
	c2=$(dc_cpu)
	lsecs=$(tail -1 "$work/ltime")
	awk -v n="$n" -v o="$objects" -v s="$secs" -v rss="$rss_kb" -v l="$lsecs" \
	    -v dca="$(awk "BEGIN{print $c1 - $c0}")" -v dcl="$(awk "BEGIN{print $c2 - $c1}")" \
	    'BEGIN { printf "| %d | %d | %.1f | %.1f MB | %.0f | %.1f (%.1f) | %.1f (%.1f) | %.2f |\n",
		n, o, s, rss / 1024, o / s, l, dcl, s, dca, s / l }' >> "$read_out"
	fig() { python3 "$src/bench/lib/benchlib.py" fig "ad.$n.$1" "$2" "$3" "$4" --size "$n" "${@:5}"; }
	big=""; [ "$n" -ge 100000 ] && big=1
	fig read_s "AD full read (adsync ad dump): wall time" "$secs" s ${big:+--target "<=:60"} \
	    --peer "ldapsearch of the same data" "$lsecs" s \
	    --ratio "$(awk "BEGIN{print $secs / $lsecs}")"
	fig read_objects "AD full read: objects" "$objects" objects
	fig read_objects_per_s "AD full read: objects/s" "$(awk "BEGIN{print $objects / $secs}")" objects/s
	fig read_rss_mb "AD full read: peak RSS" "$(awk "BEGIN{print $rss_kb / 1024}")" MB \
	    ${big:+--target "<=:64"}
	fig read_vs_ldapsearch "AD full read: adsync time / ldapsearch time" \
	    "$(awk "BEGIN{print $secs / $lsecs}")" x

	# 3. Change latency through `ad watch`.
	ldapsearch -LLL -o ldif-wrap=no -x -H "$AD_URI" \
	    -D "$AD_ADMIN_UPN" -y "$AD_ADMIN_PASSWORD_FILE" \
	    -b "OU=People,$AD_BASE_DN" -s one -z "$changes" '(objectClass=user)' dn \
	    2>/dev/null | sed -n 's/^dn: //p' > "$work/dns" || true
	[ "$(wc -l < "$work/dns")" -ge 1 ] || { echo "bench: no users to change" >&2; exit 1; }
	B_LIB=$src/bench/lib python3 - "$adsync" "$work/adsync.conf" "$work/dns" "$changes" "$n" \
	    "$AD_URI" "$AD_ADMIN_UPN" "$AD_ADMIN_PASSWORD_FILE" >> "$watch_out" <<-'PY'
	import datetime, os, queue, subprocess, sys, threading, time
	adsync, conf, dnfile, changes, n, uri, admin, pwfile = sys.argv[1:]
	changes = int(changes)
	dns = [l.rstrip("\n") for l in open(dnfile, encoding="utf-8") if l.strip()]
	# -vv: ad watch logs "change notified" (debug) when a notification wakes
	# it, which splits each latency into notification and read + print.
	w = subprocess.Popen([adsync, "-c", conf, "-vv", "ad", "watch"],
	                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
	                     text=True, encoding="utf-8")
	lines = queue.Queue()
	def reader(stream, tag):
	    for line in stream:
	        lines.put((time.time(), tag, line))
	for s, t in ((w.stdout, "out"), (w.stderr, "err")):
	    threading.Thread(target=reader, args=(s, t), daemon=True).start()
	def fail(msg):
	    w.terminate()
	    sys.exit("bench: " + msg)
	def logtime(line):
	    # "2026-11-24T16:30:50.742Z adsync[...] debug ...": wall clock, ms.
	    ts = datetime.datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
	    return ts.replace(tzinfo=datetime.timezone.utc).timestamp()
	mode, deadline = None, time.time() + 30
	while mode is None:
	    try:
	        _, tag, line = lines.get(timeout=max(0.1, deadline - time.time()))
	    except queue.Empty:
	        fail("ad watch did not start")
	    if tag == "err" and "watching" in line:
	        mode = line.split("(", 1)[1].split(")", 1)[0] if "(" in line else "?"
	lat, notif, read = [], [], []
	for k in range(changes):
	    dn = dns[k % len(dns)]
	    mark = "adsync bench %d.%d" % (os.getpid(), k)
	    ldif = "dn: %s\nchangetype: modify\nreplace: title\ntitle: %s\n-\n" % (dn, mark)
	    t0, tn = time.time(), None
	    r = subprocess.run(["ldapmodify", "-x", "-H", uri, "-D", admin, "-y", pwfile],
	                       input=ldif, text=True, capture_output=True)
	    if r.returncode != 0:
	        fail("ldapmodify failed: " + r.stderr.strip())
	    deadline = t0 + 30
	    while True:
	        try:
	            t, tag, line = lines.get(timeout=max(0.1, deadline - time.time()))
	        except queue.Empty:
	            fail("change %d not printed by ad watch within 30 s" % k)
	        if tag == "err" and "change notified" in line and tn is None:
	            tn = logtime(line)
	        if tag == "out" and mark in line:
	            lat.append((t - t0) * 1000)
	            if tn is not None:
	                notif.append(max(0.0, tn - t0) * 1000)
	                read.append(max(0.0, t - tn) * 1000)
	            break
	w.terminate()
	w.wait(timeout=30)
	def pct(v, q):
	    v = sorted(v)
	    return "%.0f" % v[max(0, -(-len(v) * q // 100) - 1)] if v else "-"
	print("| %s | %d | %s | %s | %s | %s | %s | %s |" % (n, len(lat), pct(lat, 50), pct(lat, 95),
	      pct(lat, 100), pct(notif, 50), pct(read, 50), mode))
	sys.path.insert(0, os.environ["B_LIB"])
	from benchlib import figure
	N = int(n)
	for k, q, t in (("p50", 50, None), ("p95", 95, ("<=", 200)), ("max", 100, None)):
	    if lat:
	        figure("ad.%d.watch_%s_ms" % (N, k), "change latency ldapmodify -> ad watch: %s" % k,
	               float(pct(lat, q)), "ms", size=N, target=t)
	PY
	exit 0
fi

build=${1:?usage: bench/ad.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$build/src/cli/adsync" ] || { echo "bench: build first (make bench)" >&2; exit 1; }
sizes=${BENCH_AD_SIZES:-${BENCH_SIZES:-10000 100000}}
read_out=$(mktemp /tmp/adsync-bad-read.XXXXXX)
watch_out=$(mktemp /tmp/adsync-bad-watch.XXXXXX)
BENCH_FIGS=$(mktemp /tmp/adsync-bad-figs.XXXXXX)
export BENCH_FIGS
trap 'rm -f "$read_out" "$watch_out" "$BENCH_FIGS"' EXIT
for n in $sizes; do
	rc=0
	"$src/tests/testbed/with-ad.sh" --org "gen:$n" -- \
	    "$0" --inner "$build" "$n" "$read_out" "$watch_out" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench/ad.sh: gen:$n failed (status $rc; 77: no root or Samba)" >&2
		exit "$rc"
	fi
done
python3 "$src/bench/lib/benchlib.py" write "$BENCH_FIGS" "$build/bench/ad.json"
machine="Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
machine="$machine commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown);"
machine="$machine Samba $(samba -V 2>/dev/null | sed 's/^Version //') -M single and the clients share the machine."
echo "## Reading AD: full read (adsync ad dump --json) vs ldapsearch"
echo
echo "$machine"
echo "Seconds are wall time; in parentheses the DC's CPU seconds for that read."
echo "Targets at 100,000 objects: <= 60 s, peak RSS <= 64 MB."
echo
echo "| users | objects read | adsync s | adsync peak RSS | objects/s | ldapsearch s (DC CPU) | adsync s (DC CPU) | adsync / ldapsearch |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$read_out"
echo
echo "## Reading AD: change latency (ldapmodify -> adsync ad watch prints it)"
echo
echo "$machine"
echo "From starting ldapmodify (as Administrator, one change at a time) to the"
echo "change's line on ad watch's stdout; split at the notification that woke"
echo "ad watch: ldapmodify -> notification, then incremental read -> line."
echo "Target: p95 <= 200 ms."
echo
echo "| users | changes | p50 ms | p95 ms | max ms | notification p50 ms | read + print p50 ms | mode |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
cat "$watch_out"

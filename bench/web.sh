#!/usr/bin/env bash
# Benchmark of the web console (issue 8, docs/web.md), run by bench/run.sh:
#   bench/web.sh BUILD_DIR
#   BENCH=web bench/run.sh build/release     (or: BENCH=web make bench)
# Prints Markdown tables on stdout.
#
# For each size in BENCH_WEB_SIZES (default 10000 users; a generated
# organisation, tests/testbed/gen-org): a Samba AD DC (with-ad.sh, its own
# network namespace) and rsemu over TLS with --throttle off, both on
# loopback, share this machine with `adsync daemon`, whose console listens
# on [daemon] web_listen = 127.0.0.1:PORT (a free port; plain HTTP, as on
# loopback) with hook_listen empty; the console password is set with
# `adsync web passwd` from standard input. Not measured: the daemon's
# initial sync (its first cycle ends: `adsync status --json` says cycles
# >= 1 and state idle), then the run settles. In ONE run a small Python
# client (http.client) then
#   1. logs in as a browser does: GET /login, the form's hidden csrf
#      input, POST /login with csrf and password (Argon2id, about 0.4 s),
#      keeps the adsync_session cookie; every request sends Host
#      127.0.0.1:PORT (the console refuses other names);
#   2. for each page, one warm-up GET (its content checked: the page
#      rendered what the daemon answered, not an error note), then
#      BENCH_WEB_N (default 200) sequential GETs on one keep-alive
#      connection, each timed from sending the request to the last byte of
#      the body: p50 / p95 / max ms, the body's size, requests/s over the
#      series, and the TCP connections it took (1 when keep-alive held).
#      Pages: / (dashboard: `status`), /history (`history`, 50 runs),
#      /runs/1 (the initial sync's operations, first page of 200: `ops`),
#      /runs/1?state=failed, /alerts, /objects?q=user0001 (a search),
#      /objects/GUID of the first synced user that search lists (`explain`:
#      the engine plans the object from its mirror; BENCH_WEB_EXPLAIN_N,
#      default 20, requests), /hooks, /metrics (no login from loopback),
#      /healthz;
#   3. concurrency: BENCH_WEB_CLIENTS (default 8) threads, each on its own
#      keep-alive connection, GET / for BENCH_WEB_SECONDS (default 5) s:
#      total requests/s, p50 / p95 / max, and the daemon's CPU meanwhile
#      (utime + stime of /proc/PID/stat; 100% = one core);
#   4. the daemon's RSS (VmRSS of /proc/PID/status) before step 2 and
#      after step 3, and its peak (VmHWM) before the login and at the end
#      (the login's Argon2id takes 32 MiB, docs/web.md).
# Every request must answer 200 (or 303 for the login's POST) and every
# checked page its content: else the bench fails. rsemu runs on CPU 0, the
# daemon on the others (BENCH_WEB_PIN=0 lets all float); the DC and the
# Python client float (on 2 cores the client shares the daemon's core: the
# concurrent figure is a floor of what the console can serve).
# BENCH_WEB_LOG=DIR keeps each run's daemon log as DIR/daemon-N.log and
# the last body of each page as DIR/page-N-K.out (K: its row).
#
# Besides the Markdown tables on stdout, the figures (ids web.N.*) go to
# BUILD_DIR/bench/web.json for bench/report.py. Sizes: BENCH_WEB_SIZES only
# (not bench/run.sh's BENCH_SIZES: issue 8 set the console's bench at
# 10,000 users; BENCH_WEB_SIZES="10000 100000" measures both).
#
# Needs root and Samba (with-ad.sh; exits 77 otherwise) and a release build.
# Benchmarks assert nothing about time; this fails only if the work fails
# (the initial sync fails, a page does not answer 200 or is an error page).
# Functions run by traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
	# Inside with-ad.sh: the DC is up, AD_* describe it.
	shift
	build=$1 n=$2 out=$3
	trap 'echo "bench/web.sh: gen:$n: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
	src=$(cd "$(dirname "$0")/.." && pwd)
	adsync=$build/src/cli/adsync
	rsemu=$build/emulator/rsemu
	work=$(mktemp -d /tmp/adsync-bweb.XXXXXX)
	chmod 700 "$work"
	# shellcheck source=bench/lib/testbed.sh
	. "$src/bench/lib/testbed.sh"
	rsemu_pid="" dpid=""
	stop_daemon() {
		if [ -n "$dpid" ]; then
			kill -TERM "$dpid" 2>/dev/null || true
			wait "$dpid" 2>/dev/null || true
			dpid=""
		fi
	}
	cleanup() {
		stop_daemon
		bench_rsemu_stop
		if [ -n "${BENCH_WEB_LOG:-}" ] && [ -f "$work/daemon.log" ]; then
			mkdir -p "$BENCH_WEB_LOG"
			cp "$work/daemon.log" "$BENCH_WEB_LOG/daemon-$n.log"
		fi
		rm -rf "$work"
	}
	trap cleanup EXIT
	trap 'exit 143' TERM INT HUP
	bench_env "${BENCH_WEB_PIN:-1}"
	bench_rsemu_start 0

	# A free port for the console (the namespace's loopback is ours:
	# nothing else takes it between here and the daemon's bind).
	wport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	bench_conf "$work/state" 8 > "$work/adsync.conf"
	bench_conf_set "$work/adsync.conf" daemon web_listen "127.0.0.1:$wport"
	bench_conf_set "$work/adsync.conf" daemon hook_listen ""
	# The console password: one line on standard input (umask 077).
	head -c 18 /dev/urandom | base64 > "$work/web.pw"
	"$adsync" -c "$work/adsync.conf" web passwd < "$work/web.pw" >/dev/null

	# The measuring half: python3 (wall clock, /proc, http.client).
	cat > "$work/bench.py" <<-'PY'
	import http.client, json, os, re, subprocess, sys, threading, time, urllib.parse

	E = os.environ
	ADSYNC, CONF, WORK, N = E["B_ADSYNC"], E["B_CONF"], E["B_WORK"], int(E["B_N"])
	PORT, OUT = int(E["B_PORT"]), E["B_OUT"]
	REQS = int(E.get("BENCH_WEB_N", "200"))
	EXPLAIN_REQS = int(E.get("BENCH_WEB_EXPLAIN_N", "20"))
	CLIENTS = int(E.get("BENCH_WEB_CLIENTS", "8"))
	SECONDS = float(E.get("BENCH_WEB_SECONDS", "5"))
	HZ = os.sysconf("SC_CLK_TCK")
	DUMP = E.get("BENCH_WEB_LOG", "")
	if DUMP:
	    os.makedirs(DUMP, exist_ok=True)

	def fail(msg):
	    sys.exit("bench/web.sh: gen:%d: %s" % (N, msg))

	sys.path.insert(0, E["B_LIB"])
	from benchlib import pct

	def status():
	    r = subprocess.run([ADSYNC, "-c", CONF, "status", "--json"], capture_output=True, text=True)
	    return json.loads(r.stdout) if r.returncode == 0 else None

	def cpu_secs(pid):
	    with open("/proc/%d/stat" % pid) as f:
	        x = f.read().rsplit(")", 1)[1].split()
	    return (int(x[11]) + int(x[12])) / HZ   # utime, stime (fields 14, 15)

	def mem_kb(pid):
	    m = {}
	    with open("/proc/%d/status" % pid) as f:
	        for line in f:
	            k, _, v = line.partition(":")
	            if k in ("VmRSS", "VmHWM"):
	                m[k] = int(v.split()[0])
	    return m

	class Client:
	    """One keep-alive connection (http.client reconnects by itself if
	    the server closes it: `conns` counts the connections made)."""
	    def __init__(self, sid=None):
	        self.c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
	        self.sid, self.sock, self.conns = sid, None, 0

	    def req(self, method, path, body=None, ctype=None):
	        # http.client sends Host: 127.0.0.1:PORT, the console's name.
	        h = {}
	        if self.sid:
	            h["Cookie"] = "adsync_session=" + self.sid
	        if ctype:
	            h["Content-Type"] = ctype
	        self.c.request(method, path, body=body, headers=h)
	        r = self.c.getresponse()
	        b = r.read()
	        if self.c.sock is not self.sock:
	            self.sock, self.conns = self.c.sock, self.conns + 1
	        return r, b

	    def get(self, path, want=200):
	        r, b = self.req("GET", path)
	        if r.status != want:
	            fail("GET %s answered %d: %s" % (path, r.status, b[:300]))
	        return b

	    def close(self):
	        self.c.close()

	def login():
	    c = Client()
	    t0 = time.perf_counter()
	    b = c.get("/login")
	    m = re.search(rb'name="csrf" value="([^"]+)"', b)
	    if not m:
	        fail("no csrf input in GET /login: %s" % b[:300])
	    pw = open(os.path.join(WORK, "web.pw")).read().strip()
	    body = urllib.parse.urlencode({"csrf": m.group(1).decode(), "password": pw})
	    r, b = c.req("POST", "/login", body, "application/x-www-form-urlencoded")
	    ms = (time.perf_counter() - t0) * 1000
	    sid = None
	    for k, v in r.getheaders():
	        if k.lower() == "set-cookie":
	            mm = re.match(r"adsync_session=([^;]+)", v)
	            if mm:
	                sid = mm.group(1)
	    if r.status != 303 or r.getheader("Location") != "/" or not sid:
	        fail("POST /login answered %d (Location %s), no session: %s"
	             % (r.status, r.getheader("Location"), b[:300]))
	    c.close()
	    return sid, ms

	def check(path, b, markers):
	    """The page rendered what the daemon answered: one of its markers,
	    and no error note (a control request that failed answers 200 too)."""
	    if isinstance(markers, str):
	        markers = (markers,)
	    if not any(k.encode() in b for k in markers) or b'class="note error"' in b:
	        m = re.search(rb'class="note error"[^>]*>([^<]*)', b)
	        fail("GET %s is not the page expected (%s): %s"
	             % (path, " or ".join(markers), m.group(1) if m else b[:300]))

	def series(sid, path, n, marker):
	    c = Client(sid)
	    b = c.get(path)                 # warm-up, checked
	    check(path, b, marker)
	    lat = []
	    t0 = time.perf_counter()
	    for _ in range(n):
	        t = time.perf_counter()
	        b = c.get(path)
	        lat.append((time.perf_counter() - t) * 1000)
	    el = time.perf_counter() - t0
	    c.close()
	    return {"path": path, "n": n, "p50": pct(lat, 50), "p95": pct(lat, 95),
	            "max": max(lat), "bytes": len(b), "rps": n / el, "conns": c.conns}, b

	def hammer(sid):
	    lat, errs, lock = [], [], threading.Lock()
	    stop = time.perf_counter() + SECONDS
	    def worker():
	        c, mine = Client(sid), []
	        try:
	            while time.perf_counter() < stop:
	                t = time.perf_counter()
	                r, b = c.req("GET", "/")
	                mine.append((time.perf_counter() - t) * 1000)
	                if r.status != 200 or b'id="state"' not in b or b'class="note error"' in b:
	                    raise RuntimeError("GET / answered %d: %s" % (r.status, b[:200]))
	        except Exception as e:      # reported by the main thread
	            with lock:
	                errs.append(str(e))
	        c.close()
	        with lock:
	            lat.extend(mine)
	    th = [threading.Thread(target=worker) for _ in range(CLIENTS)]
	    t0 = time.perf_counter()
	    for t in th:
	        t.start()
	    for t in th:
	        t.join()
	    el = time.perf_counter() - t0
	    if errs:
	        fail("concurrent GET /: %s" % errs[0])
	    return len(lat), el, lat

	def run(pid):
	    pid = int(pid)
	    # The initial sync (not measured), then the cycle the watcher's
	    # start may ask for.
	    deadline = time.time() + 600 + N / 20
	    while True:
	        try:
	            os.kill(pid, 0)
	        except ProcessLookupError:
	            fail("the daemon exited during the initial sync")
	        s = status()
	        if s and s.get("cycles", 0) >= 1 and s.get("state") == "idle" and not s.get("pending"):
	            break
	        if time.time() > deadline:
	            fail("the initial sync did not end")
	        time.sleep(0.2)
	    time.sleep(2)
	    while True:
	        s = status()
	        if s and s.get("state") == "idle" and not s.get("pending"):
	            break
	        time.sleep(0.2)
	    last = s.get("last") or {}
	    if last.get("error"):
	        fail("the last cycle failed: %s" % last["error"])

	    hwm0 = mem_kb(pid)["VmHWM"]
	    sid, login_ms = login()
	    rss0 = mem_kb(pid)["VmRSS"]
	    rows = []
	    def page(path, marker, n=REQS):
	        row, b = series(sid, path, n, marker)
	        rows.append(row)
	        if DUMP:
	            with open(os.path.join(DUMP, "page-%d-%02d.out" % (N, len(rows))), "wb") as f:
	                f.write(b)
	        return b
	    page("/", 'id="state"')
	    page("/history", 'id="runs"')
	    b = page("/runs/1", 'id="ops"')
	    m = re.search(rb'id="run-status" class="st-(\w+)"', b)
	    if not m or m.group(1) not in (b"ok", b"partial"):
	        fail("run 1 (the initial sync) ended %s" % (m.group(1) if m else "?"))
	    m = re.search(rb'id="ops-total">(\d+) operation', b)
	    if not m or int(m.group(1)) == 0:
	        fail("run 1 (the initial sync) shows no operations")
	    run1_ops = int(m.group(1))
	    page("/runs/1?state=failed", 'id="ops-total"')
	    page("/alerts", ('<table id="alerts">', 'id="no-alerts"'))
	    b = page("/objects?q=user0001", 'id="objects"')
	    # The first synced user of the search: a link, kind user, an address.
	    m = re.search(rb'<a href="/objects/([0-9a-fA-F-]{36})">[^<]*</a></td><td>user</td>'
	                  rb'<td>[^<@]+@[^<]+</td>', b)
	    if not m:
	        fail("the search for user0001 lists no synced user")
	    guid = m.group(1).decode()
	    page("/objects/" + guid, 'id="explain"', EXPLAIN_REQS)
	    rows[-1]["path"] = "/objects/GUID"
	    page("/hooks", 'id="no-dcs"')
	    page("/metrics", "adsync_")
	    page("/healthz", '"status":"ok"')
	    c0, w0 = cpu_secs(pid), time.time()
	    cn, cel, clat = hammer(sid)
	    c1, w1 = cpu_secs(pid), time.time()
	    m = mem_kb(pid)
	    with open(OUT, "a") as f:
	        for r in rows:
	            f.write(json.dumps(dict(r, kind="page", users=N)) + "\n")
	        f.write(json.dumps({"kind": "conc", "users": N, "clients": CLIENTS,
	                            "seconds": cel, "requests": cn, "rps": cn / cel,
	                            "p50": pct(clat, 50), "p95": pct(clat, 95), "max": max(clat),
	                            "cpu_pct": 100 * (c1 - c0) / (w1 - w0)}) + "\n")
	        f.write(json.dumps({"kind": "sum", "users": N, "objects": s.get("objects", 0),
	                            "run1_ops": run1_ops, "login_ms": login_ms,
	                            "rss0_kb": rss0, "rss1_kb": m["VmRSS"],
	                            "hwm0_kb": hwm0, "hwm_kb": m["VmHWM"]}) + "\n")

	run(*sys.argv[1:])
	PY
	export B_ADSYNC=$adsync B_CONF=$work/adsync.conf B_WORK=$work B_N=$n
	export B_PORT=$wport B_OUT=$out B_LIB=$src/bench/lib

	# shellcheck disable=SC2086
	$cli_cpu "$adsync" -c "$work/adsync.conf" daemon --allow-root >/dev/null 2>"$work/daemon.log" &
	dpid=$!
	python3 "$work/bench.py" "$dpid" || { tail -20 "$work/daemon.log" >&2; exit 1; }
	stop_daemon
	exit 0
fi

build=${1:?usage: bench/web.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$build/src/cli/adsync" ] || { echo "bench: build first (make bench)" >&2; exit 1; }
sizes=${BENCH_WEB_SIZES:-10000}
out=$(mktemp /tmp/adsync-bweb-out.XXXXXX)
trap 'rm -f "$out" "$out.figs"' EXIT
for n in $sizes; do
	rc=0
	"$src/tests/testbed/with-ad.sh" --org "gen:$n" -- \
	    "$0" --inner "$build" "$n" "$out" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench/web.sh: gen:$n failed (status $rc; 77: no root or Samba)" >&2
		exit "$rc"
	fi
done
BENCH_FIGS=$out.figs python3 - "$out" "$src/bench/lib" <<-'PY'
	import json, re, sys
	sys.path.insert(0, sys.argv[2])
	from benchlib import figure
	for j in map(json.loads, open(sys.argv[1])):
	    n = j["users"]
	    fig = lambda k, *a, **kw: figure("web.%d.%s" % (n, k), *a, size=n, **kw)
	    if j["kind"] == "page":
	        # A stable id per page: /runs/1?state=failed -> runs_1_state_failed.
	        p = re.sub(r"[^a-z0-9]+", "_", j["path"].lower()).strip("_") or "dashboard"
	        fig("page.%s.p50_ms" % p, "web console GET %s: p50" % j["path"], j["p50"], "ms")
	        fig("page.%s.p95_ms" % p, "web console GET %s: p95" % j["path"], j["p95"], "ms")
	    elif j["kind"] == "conc":
	        fig("concurrent_rps", "web console: GET / with %d clients" % j["clients"], j["rps"],
	            "req/s")
	        fig("concurrent_p95_ms", "web console: GET / with %d clients, p95" % j["clients"],
	            j["p95"], "ms")
	        fig("concurrent_cpu_pct", "web console: daemon CPU under %d clients" % j["clients"],
	            j["cpu_pct"], "%")
	    elif j["kind"] == "sum":
	        fig("login_ms", "web console: login (Argon2id)", j["login_ms"], "ms")
	        fig("rss_after_mb", "web console: daemon RSS after the pages", j["rss1_kb"] / 1024, "MB")
	        fig("rss_peak_mb", "web console: daemon peak RSS (login included)", j["hwm_kb"] / 1024,
	            "MB")
	PY
python3 "$src/bench/lib/benchlib.py" write "$out.figs" "$build/bench/web.json"
rm -f "$out.figs"
machine="Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
machine="$machine commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown);"
machine="$machine Samba AD, rsemu (CPU 0, throttle off), adsync daemon and the Python client share the machine."
echo "## Web console: page latency and throughput"
echo
echo "$machine"
echo "After the initial sync, logged in; per page one warm-up GET (content checked), then"
echo "${BENCH_WEB_N:-200} sequential GETs (/objects/GUID: ${BENCH_WEB_EXPLAIN_N:-20}; it runs \`explain\` on the engine)"
echo "on one keep-alive connection over loopback (plain HTTP), from sending the request to"
echo "the body's last byte. req/s: over the series; conns: TCP connections it took (warm-up"
echo "included: 1 = keep-alive held)."
echo
echo "| users | page | requests | p50 ms | p95 ms | max ms | bytes | req/s | conns |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$out" <<-'PY'
	import json, sys
	for j in map(json.loads, open(sys.argv[1])):
	    if j["kind"] == "page":
	        print("| %d | `%s` | %d | %.1f | %.1f | %.1f | %d | %.0f | %d |" % (
	            j["users"], j["path"], j["n"], j["p50"], j["p95"], j["max"], j["bytes"],
	            j["rps"], j["conns"]))
	PY
echo
echo "Concurrent: ${BENCH_WEB_CLIENTS:-8} client threads, each on its own keep-alive connection, GET /"
echo "(dashboard) for ${BENCH_WEB_SECONDS:-5} s; daemon CPU meanwhile (100% = one core). RSS: the"
echo "daemon's VmRSS after the login, before the pages, and after the concurrent run. Peak:"
echo "VmHWM before the login (the initial sync's) and at the end (the login's Argon2id takes"
echo "32 MiB). Login: GET /login + POST /login (Argon2id, 4 passes over 32 MiB)."
echo
echo "| users | synced objects | run 1 operations | login ms | concurrent req/s | p50 / p95 / max ms | daemon CPU % | RSS before / after MB | RSS peak before login / end MB |"
echo "|---:|---:|---:|---:|---:|---|---:|---|---|"
python3 - "$out" <<-'PY'
	import json, sys
	rows = [json.loads(l) for l in open(sys.argv[1])]
	for s in (j for j in rows if j["kind"] == "sum"):
	    c = next(j for j in rows if j["kind"] == "conc" and j["users"] == s["users"])
	    print("| %d | %d | %d | %.0f | %.0f | %.1f / %.1f / %.1f | %.0f | %.1f / %.1f | %.1f / %.1f |" % (
	        s["users"], s["objects"], s["run1_ops"], s["login_ms"], c["rps"], c["p50"], c["p95"],
	        c["max"], c["cpu_pct"], s["rss0_kb"] / 1024, s["rss1_kb"] / 1024,
	        s["hwm0_kb"] / 1024, s["hwm_kb"] / 1024))
	PY

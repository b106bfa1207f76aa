#!/usr/bin/env bash
# Benchmark of the daemon (issue 6), run by bench/run.sh:
#   bench/daemon.sh BUILD_DIR
# Prints Markdown tables on stdout.
#
# For each size in BENCH_DAEMON_SIZES (default 10000 users; a generated
# organisation, tests/testbed/gen-org): a Samba AD DC (with-ad.sh, its own
# network namespace) and rsemu over TLS with --throttle off and its request
# log on, both on loopback, share this machine with `adsync daemon`. In ONE
# run it measures
#   1. the initial sync: from starting `adsync -c CONF -v daemon` to the
#      end of its first cycle (the daemon's log, once `adsync status --json`
#      says cycles >= 1 and state idle), with that cycle's read / plan /
#      apply seconds (plan: from the end of the read to the start of the
#      apply, the service's inventory included);
#      The daemon's CPU meanwhile: its average over the initial sync and
#      its peak, the busiest 1 s of /proc/PID/stat samples (100% = a core);
#   2. idle: the daemon's CPU (utime + stime of /proc/PID/stat) over
#      BENCH_DAEMON_IDLE seconds (default 10) without changes, its RSS
#      (VmRSS) then, and the cycles and API requests it made meanwhile
#      (target: CPU near zero, no scans between changes);
#   3. change latency: BENCH_DAEMON_CHANGES (default 200) ldapmodify runs,
#      one at a time about 0.5 s apart, as Administrator, each giving
#      another Exchange user (gen-org's u...... with i % 5 != 0, mail in
#      example.com: one PUT .../ex/mailboxes/userNNNNNN) a unique title;
#      the latency is from just before ldapmodify starts (its connect and
#      bind included) to the time rsemu logged the PUT that carries that
#      jobTitle (rsemu logs a request after its transaction committed, just
#      before the reply is queued: "API acknowledged"): p50 / p95 / max and
#      the changes that never arrived (any: the bench fails). Then one burst:
#      BENCH_DAEMON_BURST (default 50) changes in one ldapmodify, and the
#      time until the last of them was acknowledged. The daemon's debug log
#      splits each change: wait (notification + 30 ms debounce + a cycle
#      already running), change read, plan + apply up to the PUT, the PUT;
#   4. the floor, in the same run after the daemon stopped: (a) ldapmodify
#      -> `adsync ad watch` printing the change (notification + DirSync
#      read), BENCH_DAEMON_FLOOR (default 20) changes; (b) one direct API
#      call: `adsync -v api PUT .../ex/mailboxes/NAME jobTitle=...`, the
#      time adsync's client logs for it (ms=, connect and TLS handshake
#      included), as often; floor = p50(a) + p50(b), and p95 / floor
#      (targets: p95 <= 1 s and <= 3x the floor; RSS <= 64 MB with 100,000
#      synced objects). The daemon's peak RSS (VmHWM) is read just before
#      it stops.
# rsemu runs on CPU 0, the daemon and the floor's adsync runs on the others
# (BENCH_DAEMON_PIN=0 lets all float); the DC and ldapmodify float.
#
# 100,000 users: BENCH_DAEMON_SIZES=100000 bench/daemon.sh build/release
# (or "10000 100000" for both). The gen:100000 template is built once and
# cached under build/testbed (with-ad.sh): the first time takes about 20
# minutes and 3 GB of RAM and leaves a 1.4 GB template.
# BENCH_DAEMON_LOG=DIR keeps each run's daemon log as DIR/daemon-N.log.
# Sizes: BENCH_DAEMON_SIZES, else BENCH_SIZES (bench/run.sh), else 10000.
# Besides the Markdown tables on stdout, the figures (ids daemon.N.*) go to
# BUILD_DIR/bench/daemon.json for bench/report.py.
#
# Needs root and Samba (with-ad.sh; exits 77 otherwise) and a release build.
# Benchmarks assert nothing about time; this fails only if the work fails
# (a cycle fails, a change never reaches the API, a tool fails).
# Functions run by traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
	# Inside with-ad.sh: the DC is up, AD_* describe it.
	shift
	build=$1 n=$2 out=$3 split=$4
	trap 'echo "bench/daemon.sh: gen:$n: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
	src=$(cd "$(dirname "$0")/.." && pwd)
	adsync=$build/src/cli/adsync
	rsemu=$build/emulator/rsemu
	work=$(mktemp -d /tmp/adsync-bdaemon.XXXXXX)
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
		if [ -n "${BENCH_DAEMON_LOG:-}" ] && [ -f "$work/daemon.log" ]; then
			mkdir -p "$BENCH_DAEMON_LOG"
			cp "$work/daemon.log" "$BENCH_DAEMON_LOG/daemon-$n.log"
		fi
		rm -rf "$work"
	}
	trap cleanup EXIT
	trap 'exit 143' TERM INT HUP
	bench_env "${BENCH_DAEMON_PIN:-1}"
	# The request log holds the initial sync (about 1.2 requests per
	# user) and everything after it.
	bench_rsemu_start $((2 * n + 100000))

	bench_conf "$work/state" 8 > "$work/adsync.conf"

	# The measuring half: python3 (wall clock, /proc, the request log).
	cat > "$work/bench.py" <<-'PY'
	import base64, datetime, json, os, re, subprocess, sys, threading, queue, time
	import urllib.request

	E = os.environ
	ADSYNC, CONF, ADMIN, WORK, N = E["B_ADSYNC"], E["B_CONF"], E["B_ADMIN"], E["B_WORK"], int(E["B_N"])
	CHANGES = int(E.get("BENCH_DAEMON_CHANGES", "200"))
	BURST = int(E.get("BENCH_DAEMON_BURST", "50"))
	FLOOR = int(E.get("BENCH_DAEMON_FLOOR", "20"))
	IDLE = float(E.get("BENCH_DAEMON_IDLE", "10"))
	GAP = 0.5
	PIN = E.get("B_PIN", "").split()     # the daemon's CPUs, for ad watch and api too
	HZ = os.sysconf("SC_CLK_TCK")

	def fail(msg):
	    sys.exit("bench/daemon.sh: gen:%d: %s" % (N, msg))

	sys.path.insert(0, E["B_LIB"])
	import benchlib
	from benchlib import admin_get, ldapmodify, pct, reqlog, ts
	benchlib.init(ADMIN, E, fail)

	def users(k):
	    """k Exchange users with mail in example.com: (dn line, mailbox name).
	    gen-org: user i is u%06d, in Hosted Exchange Users unless i % 5 == 0,
	    mail user%06d@example.net when i % 7 == 3, else @example.com."""
	    sams = ["u%06d" % i for i in range(1, N) if i % 5 != 0 and i % 7 != 3][:k]
	    if len(sams) < k:
	        fail("gen:%d has fewer than %d Exchange users in example.com" % (N, k))
	    filt = "(|%s)" % "".join("(sAMAccountName=%s)" % s for s in sams)
	    r = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", E["AD_URI"],
	                        "-D", E["AD_ADMIN_UPN"], "-y", E["AD_ADMIN_PASSWORD_FILE"],
	                        "-b", "OU=People," + E["AD_BASE_DN"], filt, "sAMAccountName", "mail"],
	                       capture_output=True, text=True, env=dict(E, LDAPTLS_CACERT=E["AD_CA"]))
	    if r.returncode != 0:
	        fail("ldapsearch failed: " + r.stderr.strip())
	    found = {}
	    for rec in r.stdout.split("\n\n"):
	        dn, a = None, {}
	        for line in rec.splitlines():
	            if line.startswith("dn:"):
	                dn = line          # "dn: ..." or "dn:: base64", as LDIF
	            elif ":: " in line:
	                key, v = line.split(":: ", 1)
	                a[key.lower()] = base64.b64decode(v).decode()
	            elif ": " in line:
	                key, v = line.split(": ", 1)
	                a[key.lower()] = v
	        if dn and "samaccountname" in a and "mail" in a:
	            local, dom = a["mail"].split("@", 1)
	            if dom.lower() == "example.com":
	                found[a["samaccountname"].lower()] = (dn, local.lower())
	    if any(s not in found for s in sams):
	        fail("users missing in AD: %s" % [s for s in sams if s not in found][:5])
	    return [found[s] for s in sams]

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

	def wait_acked(marks, since, timeout):
	    """Waits until every mark (jobTitle) was PUT and acknowledged; returns
	    {mark: log entry}, every request logged meanwhile and the last id."""
	    got, seen, deadline = {}, [], time.time() + timeout
	    while True:
	        reqs, since = reqlog(since)
	        seen += reqs
	        for q in reqs:
	            b = q.get("body")
	            if q["method"] == "PUT" and isinstance(b, dict) and b.get("jobTitle") in marks \
	                    and 200 <= q["status"] < 300:
	                got.setdefault(b["jobTitle"], q)
	        if len(got) == len(marks) or time.time() > deadline:
	            return got, seen, since
	        time.sleep(0.5)

	def run(pid, t_start):
	    pid = int(pid)
	    t_start = float(t_start)
	    res = {}
	    # 1. The initial sync, its CPU sampled every second meanwhile.
	    done, peak = threading.Event(), [0.0]
	    def sampler():
	        c0, w0 = cpu_secs(pid), time.time()
	        while not done.wait(1.0):
	            try:
	                c1, w1 = cpu_secs(pid), time.time()
	            except OSError:
	                return
	            peak[0] = max(peak[0], 100 * (c1 - c0) / (w1 - w0))
	            c0, w0 = c1, w1
	    th = threading.Thread(target=sampler, daemon=True)
	    th.start()
	    while True:
	        try:
	            os.kill(pid, 0)
	        except ProcessLookupError:
	            fail("the daemon exited during the initial sync")
	        s = status()
	        if s and s.get("cycles", 0) >= 1 and s.get("state") == "idle" and not s.get("pending"):
	            break
	        time.sleep(0.2)
	    res["init_cpu_s"], t_seen = cpu_secs(pid), time.time()
	    done.set()
	    th.join()
	    res["init_cpu_pct"] = 100 * res["init_cpu_s"] / max(t_seen - t_start, 1e-3)
	    res["init_cpu_peak_pct"] = peak[0]
	    # The first cycle, from the log (status's "last" may already be the
	    # change cycle the watcher's start asks for).
	    t_read = t_apply = t_done = None
	    with open(os.path.join(WORK, "daemon.log"), encoding="utf-8", errors="replace") as f:
	        for line in f:
	            if not line.rstrip().endswith(" run=1"):
	                continue
	            t = ts(line.split(" ", 1)[0])
	            m = re.search(r"full read: \d+ objects (?:\(.*?\) )?from \S+ in ([0-9.]+) s", line)
	            if m:
	                t_read, rd = t, float(m.group(1))
	            m = re.search(r"apply: \d+ ops in ([0-9.]+) s", line)
	            if m:
	                t_apply, ap = t, float(m.group(1))
	            if "run done:" in line:
	                t_done = t
	    if None in (t_read, t_apply, t_done):
	        fail("the daemon's log does not show the first cycle")
	    res["init_s"] = t_done - t_start
	    # plan: between the read and the apply (the service's inventory too).
	    res["init_split"] = (rd, t_apply - ap - t_read, ap)
	    r = subprocess.run([ADSYNC, "-c", CONF, "history", "-n", "1000", "--json"],
	                       capture_output=True, text=True)
	    first = [j for j in map(json.loads, r.stdout.splitlines()) if j["run"] == 1]
	    if r.returncode != 0 or not first or first[0]["status"] not in ("ok", "partial"):
	        fail("the initial sync failed: %s" % (first[0] if first else r.stderr.strip()))
	    res["init_errors"] = first[0]["counts"]["errors"]
	    # Settle: the cycle the watcher's start asked for, if any, ends.
	    time.sleep(2)
	    while True:
	        s = status()
	        if s and s.get("state") == "idle" and not s.get("pending"):
	            break
	        time.sleep(0.2)
	    res["objects"] = s.get("objects", 0)
	    u = users(CHANGES + BURST + 2 * FLOOR)
	    _, since = reqlog(0)
	    # 2. Idle: nothing changes for IDLE seconds.
	    cycles0 = s["cycles"]
	    c0, w0 = cpu_secs(pid), time.time()
	    time.sleep(IDLE)
	    c1, w1 = cpu_secs(pid), time.time()
	    res["idle_cpu_pct"] = 100 * (c1 - c0) / (w1 - w0)
	    res["rss_idle_kb"] = mem_kb(pid)["VmRSS"]
	    reqs, since = reqlog(since)
	    res["idle_requests"] = len(reqs)
	    res["idle_cycles"] = status()["cycles"] - cycles0
	    cycles0 = status()["cycles"]
	    # 3. Changes, one at a time.
	    marks, t_lm = {}, []
	    for k in range(CHANGES):
	        dn, name = u[k]
	        mark = "daemon bench %d %d" % (os.getpid(), k)
	        ldif = "%s\nchangetype: modify\nreplace: title\ntitle: %s\n-\n" % (dn, mark)
	        t0 = time.time()
	        ldapmodify(ldif)
	        t_lm.append((time.time() - t0) * 1000)
	        marks[mark] = (t0, name)
	        time.sleep(GAP)
	    got, seen, since = wait_acked(marks, since, 120 + N / 1000)
	    lat = [(ts(got[m]["time"]) - t0) * 1000 for m, (t0, _) in marks.items() if m in got]
	    res["lost"] = len(marks) - len(got)
	    res["lat"] = lat
	    res["t_ldapmodify_p50"] = pct(t_lm, 50)
	    res["change_requests"] = len(seen)
	    res["change_cycles"] = status()["cycles"] - cycles0
	    res["changes"] = [(m, t0, name, ts(got[m]["time"]) if m in got else None)
	                      for m, (t0, name) in marks.items()]
	    # A burst: BURST changes in one ldapmodify.
	    bmarks = {}
	    ldif = ""
	    for k in range(BURST):
	        dn, name = u[CHANGES + k]
	        mark = "daemon bench %d burst %d" % (os.getpid(), k)
	        ldif += "%s\nchangetype: modify\nreplace: title\ntitle: %s\n-\n\n" % (dn, mark)
	        bmarks[mark] = name
	    if BURST > 0:
	        t0 = time.time()
	        ldapmodify(ldif)
	        res["burst_ldapmodify_ms"] = (time.time() - t0) * 1000
	        bgot, _, since = wait_acked(bmarks, since, 120 + N / 1000)
	        res["lost"] += len(bmarks) - len(bgot)
	        res["burst_last_ms"] = (max(ts(q["time"]) for q in bgot.values()) - t0) * 1000 \
	            if bgot else float("nan")
	    m = mem_kb(pid)
	    res["rss_end_kb"], res["rss_peak_kb"] = m["VmRSS"], m["VmHWM"]
	    res["floor_users"] = u[CHANGES + BURST:]
	    json.dump(res, open(os.path.join(WORK, "run.json"), "w"))
	    if res["lost"]:
	        fail("%d changes never reached the API" % res["lost"])

	def floor():
	    res = json.load(open(os.path.join(WORK, "run.json")))
	    fu = res["floor_users"]
	    # (a) notification + read: ldapmodify -> `ad watch` prints the change.
	    w = subprocess.Popen(PIN + [ADSYNC, "-c", CONF, "ad", "watch"], stdout=subprocess.PIPE,
	                         stderr=subprocess.PIPE, text=True, encoding="utf-8")
	    lines = queue.Queue()
	    def reader(stream, tag):
	        for line in stream:
	            lines.put((time.time(), tag, line))
	    for st, tag in ((w.stdout, "out"), (w.stderr, "err")):
	        threading.Thread(target=reader, args=(st, tag), daemon=True).start()
	    def wfail(msg):
	        w.terminate()
	        w.wait()
	        fail(msg)
	    deadline = time.time() + 60
	    while True:
	        try:
	            _, tag, line = lines.get(timeout=max(0.1, deadline - time.time()))
	        except queue.Empty:
	            wfail("ad watch did not start")
	        if tag == "err" and "watching" in line:
	            break
	    notify = []
	    for k in range(FLOOR):
	        dn, _ = fu[k]
	        mark = "daemon bench %d watch %d" % (os.getpid(), k)
	        t0 = time.time()
	        ldapmodify("%s\nchangetype: modify\nreplace: title\ntitle: %s\n-\n" % (dn, mark))
	        deadline = t0 + 30
	        while True:
	            try:
	                t, tag, line = lines.get(timeout=max(0.1, deadline - time.time()))
	            except queue.Empty:
	                wfail("change %d not printed by ad watch within 30 s" % k)
	            if tag == "out" and mark in line:
	                notify.append((t - t0) * 1000)
	                break
	        time.sleep(0.2)
	    w.terminate()
	    w.wait(timeout=30)
	    # (b) one direct API call, as adsync's client times it.
	    api = []
	    for k in range(FLOOR):
	        _, name = fu[FLOOR + k]
	        r = subprocess.run(PIN + [ADSYNC, "-c", CONF, "-v", "api", "PUT",
	                            "/customers/me/domains/example.com/ex/mailboxes/" + name,
	                            "jobTitle=daemon bench api %d" % k], capture_output=True, text=True)
	        mm = re.search(r"method=PUT .* status=2\d\d ms=(\d+)", r.stderr)
	        if r.returncode != 0 or not mm:
	            fail("adsync api PUT failed: " + r.stderr.strip()[-500:])
	        api.append(float(mm.group(1)))
	        time.sleep(0.1)
	    res["notify_p50"], res["api_p50"] = pct(notify, 50), pct(api, 50)
	    json.dump(res, open(os.path.join(WORK, "run.json"), "w"))

	def split(logfile):
	    """Splits each change's latency with the daemon's debug log."""
	    res = json.load(open(os.path.join(WORK, "run.json")))
	    reads, puts = [], {}
	    rx_read = re.compile(r"change read: (\d+) changes (?:\(.*?\) )?from \S+ in ([0-9.]+) s")
	    rx_put = re.compile(r"api req=\d+ method=PUT path=\S*/ex/mailboxes/(\S+) status=2\d\d ms=(\d+)")
	    with open(logfile, encoding="utf-8", errors="replace") as f:
	        for line in f:
	            t = line.split(" ", 1)[0]
	            m = rx_read.search(line)
	            if m:
	                reads.append((ts(t), float(m.group(2))))
	                continue
	            m = rx_put.search(line)
	            if m:
	                puts.setdefault(m.group(1), []).append((ts(t), float(m.group(2))))
	    wait, read, plan, put = [], [], [], []
	    for _, t0, name, tack in res["changes"]:
	        if tack is None:
	            continue
	        p = [x for x in puts.get(name, []) if x[0] >= t0]
	        if not p:
	            continue
	        tput, ms = p[0]
	        r = [x for x in reads if t0 <= x[0] <= tput]
	        if not r:
	            continue
	        tread, secs = r[-1]
	        wait.append((tread - secs - t0) * 1000)
	        read.append(secs * 1000)
	        plan.append((tput - ms / 1000 - tread) * 1000)
	        put.append(ms)
	    f = lambda v: "%.0f" % pct(v, 50) if v else "-"
	    print("| %d | %d | %.0f | %s | %s | %s | %s | %d | %.2f |" % (
	        N, len(wait), res["t_ldapmodify_p50"], f(wait), f(read), f(plan), f(put),
	        res["change_cycles"], res["change_requests"] / max(1, CHANGES)))

	def row():
	    r = json.load(open(os.path.join(WORK, "run.json")))
	    lat = r["lat"]
	    p50, p95, mx = pct(lat, 50), pct(lat, 95), pct(lat, 100)
	    fl = r["notify_p50"] + r["api_p50"]
	    rd, pl, ap = r["init_split"]
	    big = N >= 100000          # the issue's targets "at 100k"
	    fig = lambda k, *a, **kw: benchlib.figure("daemon.%d.%s" % (N, k), *a, size=N, **kw)
	    fig("objects", "daemon: objects synced", r["objects"], "objects")
	    fig("initial_s", "daemon: initial sync, start -> first cycle ended", r["init_s"], "s")
	    fig("initial_cpu_pct", "daemon: CPU during the initial sync (average; 100% = a core)",
	        r["init_cpu_pct"], "%")
	    fig("peak_cpu_pct", "daemon: peak CPU (busiest 1 s of the initial sync)",
	        r["init_cpu_peak_pct"], "%")
	    fig("idle_cpu_pct", "daemon: idle CPU (%g s without changes)" % IDLE, r["idle_cpu_pct"], "%")
	    fig("idle_requests", "daemon: API requests while idle", r["idle_requests"], "requests")
	    fig("rss_idle_mb", "daemon: RSS when idle after the initial sync", r["rss_idle_kb"] / 1024,
	        "MB", target=("<=", 64) if big else None)
	    fig("rss_peak_mb", "daemon: peak RSS (VmHWM)", r["rss_peak_kb"] / 1024, "MB",
	        target=("<=", 64) if big else None)
	    fig("change_p50_ms", "change latency AD -> API acknowledged: p50", p50, "ms")
	    fig("change_p95_ms", "change latency AD -> API acknowledged: p95", p95, "ms",
	        target=("<=", 1000), peer=("floor (notification + one direct call)", fl, "ms"),
	        ratio=p95 / fl if fl > 0 else None)
	    fig("change_max_ms", "change latency AD -> API acknowledged: max", mx, "ms")
	    fig("change_floor_ms", "change latency floor: notification + one direct API call (p50s)",
	        fl, "ms")
	    fig("change_p95_over_floor", "change latency p95 / floor", p95 / fl if fl > 0 else None,
	        "x", target=("<=", 3))
	    if "burst_last_ms" in r:
	        fig("burst_last_ms", "burst of %d changes in one ldapmodify: last acknowledged" % BURST,
	            r["burst_last_ms"], "ms")
	    print("| %d | %d | %.1f (%.1f / %.1f / %.1f) | %.0f / %.0f | %.2f (%d cycles, %d requests) | %.1f | %.1f "
	          "| %.0f / %.0f / %.0f | %s | %.0f (%.0f + %.0f) | %.1f | %d |" % (
	        N, r["objects"], r["init_s"], rd, pl, ap, r["init_cpu_pct"], r["init_cpu_peak_pct"],
	        r["idle_cpu_pct"], r["idle_cycles"],
	        r["idle_requests"], r["rss_idle_kb"] / 1024, r["rss_peak_kb"] / 1024, p50, p95, mx,
	        "%.0f (ldapmodify %.0f)" % (r["burst_last_ms"], r["burst_ldapmodify_ms"])
	        if "burst_last_ms" in r else "-",
	        fl, r["notify_p50"], r["api_p50"], p95 / fl if fl > 0 else float("nan"), r["lost"]))

	{"run": run, "floor": floor, "split": split, "row": row}[sys.argv[1]](*sys.argv[2:])
	PY
	export B_ADSYNC=$adsync B_CONF=$work/adsync.conf B_ADMIN=$admin B_WORK=$work B_N=$n
	export B_LIB=$src/bench/lib
	export B_PIN=$cli_cpu

	# The daemon; -v: its debug log splits each change's latency.
	t_start=$(date +%s.%N)
	# shellcheck disable=SC2086
	$cli_cpu "$adsync" -c "$work/adsync.conf" -v daemon --allow-root >/dev/null 2>"$work/daemon.log" &
	dpid=$!
	python3 "$work/bench.py" run "$dpid" "$t_start" ||
	    { tail -20 "$work/daemon.log" >&2; exit 1; }
	stop_daemon
	# The floor, with the daemon stopped: nothing else reacts to these.
	python3 "$work/bench.py" floor
	python3 "$work/bench.py" row >> "$out"
	python3 "$work/bench.py" split "$work/daemon.log" >> "$split"
	exit 0
fi

build=${1:?usage: bench/daemon.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$build/src/cli/adsync" ] || { echo "bench: build first (make bench)" >&2; exit 1; }
sizes=${BENCH_DAEMON_SIZES:-${BENCH_SIZES:-10000}}
out=$(mktemp /tmp/adsync-bdaemon-out.XXXXXX)
split=$(mktemp /tmp/adsync-bdaemon-split.XXXXXX)
BENCH_FIGS=$(mktemp /tmp/adsync-bdaemon-figs.XXXXXX)
export BENCH_FIGS
trap 'rm -f "$out" "$split" "$BENCH_FIGS"' EXIT
for n in $sizes; do
	rc=0
	"$src/tests/testbed/with-ad.sh" --org "gen:$n" -- \
	    "$0" --inner "$build" "$n" "$out" "$split" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench/daemon.sh: gen:$n failed (status $rc; 77: no root or Samba)" >&2
		exit "$rc"
	fi
done
python3 "$src/bench/lib/benchlib.py" write "$BENCH_FIGS" "$build/bench/daemon.json"
changes=${BENCH_DAEMON_CHANGES:-200}
machine="Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
machine="$machine commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown);"
machine="$machine Samba AD, rsemu (CPU 0, throttle off, TLS) and adsync daemon share the machine."
echo "## Daemon: initial sync, idle cost, change latency (ldapmodify -> API acknowledged)"
echo
echo "$machine"
echo "Latency: $changes changes, one at a time about 0.5 s apart, each an ldapmodify of one"
echo "Exchange user's title, from just before ldapmodify starts to the time rsemu logged the PUT"
echo "carrying that title (after its commit, as it queues the reply). Burst: ${BENCH_DAEMON_BURST:-50}"
echo "changes in one ldapmodify (the DC commits them one by one while it runs), until the last is"
echo "acknowledged. Floor, same run, daemon stopped:"
echo "p50 of ldapmodify -> \`adsync ad watch\` prints it (notification + DirSync read) plus p50 of"
echo "one \`adsync api PUT\` as its client times it (new TLS connection included)."
echo "Idle: the daemon's CPU over ${BENCH_DAEMON_IDLE:-10} s without changes (cycles and API requests meanwhile),"
echo "RSS then; peak: VmHWM at the end. Initial sync: daemon start -> first cycle ended (read / plan / apply),"
echo "with the daemon's CPU meanwhile: average / busiest 1 s (100% = one core)."
echo "Targets: p95 <= 1 s and <= 3x the floor; idle CPU near zero; RSS <= 64 MB at 100,000 objects."
echo
echo "| users | synced objects | initial sync s | initial sync CPU % avg / peak | idle CPU % | RSS idle MB | RSS peak MB | latency p50 / p95 / max ms | burst: last ms | floor ms (notify + API) | p95 / floor | lost |"
echo "|---:|---:|---|---|---|---:|---:|---|---:|---|---:|---:|"
cat "$out"
echo
echo "Where a change's time goes (p50 ms, from the daemon's -v log): ldapmodify itself; wait ="
echo "ldapmodify start -> the change read starts (notification, 30 ms debounce, a cycle already"
echo "running); change read; plan + apply until the PUT is sent; the PUT as the client times it."
echo
echo "| users | changes split | ldapmodify | wait | change read | plan + apply to PUT | PUT | cycles | API requests / change |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$split"

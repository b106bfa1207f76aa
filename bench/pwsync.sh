#!/usr/bin/env bash
# Benchmark of password sync (issue 7, docs/pwsync.md), run by bench/run.sh:
#   bench/pwsync.sh BUILD_DIR
# Prints Markdown tables on stdout.
#
# A Samba AD DC with a generated organisation (with-ad.sh --org
# gen:BENCH_PWSYNC_USERS, default 2000; its own network namespace) runs
# BUILD_DIR's adsync-pwhook as its `check password script`, as
# tests/integration/test_pwsync.sh sets it up (hook enroll, smb.conf, DC
# restart; the hook's sender runs too); `adsync daemon` receives the
# captures on [daemon] hook_listen (mutual TLS, loopback) and sets them
# through rsemu (TLS, loopback, request log on). Set-up, not measured: the
# initial sync runs with rsemu's throttle off (`adsync sync --once`); then
# rsemu gets the Rackspace limits ten times faster (--throttle
# get=60,write=30,domain=2,altdomain=2,window=6) and the daemon the same
# ([rackspace] reads_per_minute 60, writes_per_minute 30,
# domain_writes_per_minute 2, throttle_window 6). In ONE run it measures
#   (a) idle: BENCH_PWSYNC_CHANGES (default 200) password changes, each an
#       admin reset of unicodePwd by ldapmodify as Administrator over
#       LDAPS, each of another Exchange user, started one every
#       BENCH_PWSYNC_GAP_MS (default 250) ms on a fixed schedule; the
#       latency is from just before ldapmodify starts (its connect, bind,
#       the DC's check password script and commit included) to the time
#       rsemu logged the PUT .../mailboxes/NAME whose body carries a
#       password field (rsemu redacts its value; one change per user per
#       scenario, so name and order identify it; rsemu logs a request after
#       its transaction committed, as the reply is queued): p50 / p95 / max,
#       and changes that never arrived (any: the bench fails);
#   (b) backlog: right before the same number of password changes (other
#       users), one ldapmodify batch gives BENCH_PWSYNC_BACKLOG (default
#       1000) other Exchange users a unique title, so the daemon has that
#       many PUTs to make under the throttle while the passwords come;
#       reported: the backlog PUTs rsemu had acknowledged when the first
#       password change started and when the last password was
#       acknowledged (pending = the rest), and when the backlog was done
#       (it must be: the bench waits for it);
#   throttle rejections: the 403 "Exceeded request limits" rsemu answered
#       during each phase (/_emu/stats "throttled"; goal 0);
#   floors, same run: (1) the hook alone: BENCH_PWSYNC_FLOOR (default 20)
#       runs of `adsync-pwhook -c HOOKFILE` by hand (what Samba runs:
#       spool, mutual TLS POST, 202, spool entry removed), wall time, for
#       accounts that do not exist (their captures wait in the queue);
#       (2) once the daemon stopped: as many `adsync -v api PUT
#       .../ex/mailboxes/NAME password=...`, the time adsync's client logs
#       for it (ms=, new TLS connection included), 0.3 s apart, within the
#       throttle.
# The daemon's -v log splits the latency: the time the password thread
# logs from capture to set ("N ms after the change"), its PUT as the client
# times it, and captures that had to wait (e.g. for pwdLastSet). rsemu runs
# on CPU 0, the daemon and the floors' tools on the others
# (BENCH_PWSYNC_PIN=0 lets all float); the DC and ldapmodify float.
# BENCH_PWSYNC_LOG=DIR keeps the daemon's, the hook's and rsemu's logs and
# the request log there. Besides the Markdown tables on stdout, the figures
# (ids pwsync.*) go to BUILD_DIR/bench/pwsync.json for bench/report.py.
#
# Needs root and Samba (with-ad.sh; exits 77 otherwise) and a release build
# with adsync-pwhook. Benchmarks assert nothing about time; this fails only
# if the work fails (a change never reaches the API, a tool fails).
# Functions run by traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
	# Inside with-ad.sh: the DC is up, AD_* describe it.
	shift
	build=$1 n=$2 out=$3
	trap 'echo "bench/pwsync.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
	src=$(cd "$(dirname "$0")/.." && pwd)
	adsync=$build/src/cli/adsync
	rsemu=$build/emulator/rsemu
	pwhook=$build/hooks/samba/adsync-pwhook
	work=$(mktemp -d /tmp/adsync-bpwsync.XXXXXX)
	chmod 700 "$work"
	# shellcheck source=bench/lib/testbed.sh
	. "$src/bench/lib/testbed.sh"
	rsemu_pid="" dpid="" spid=""
	stop_daemon() {
		if [ -n "$dpid" ]; then
			kill -TERM "$dpid" 2>/dev/null || true
			wait "$dpid" 2>/dev/null || true
			dpid=""
		fi
	}
	stop_sender() {
		if [ -n "$spid" ]; then
			kill -TERM "$spid" 2>/dev/null || true
			wait "$spid" 2>/dev/null || true
			spid=""
		fi
	}
	cleanup() {
		stop_sender
		stop_daemon
		if [ -n "${BENCH_PWSYNC_LOG:-}" ]; then
			mkdir -p "$BENCH_PWSYNC_LOG"
			cp "$work"/*.log "$work"/*.json "$BENCH_PWSYNC_LOG/" 2>/dev/null || true
			[ -z "${rsemu_pid:-}" ] || curl -sf -o "$BENCH_PWSYNC_LOG/requests.json" \
			    "http://$admin/_emu/requests?limit=200000" || true
		fi
		bench_rsemu_stop
		rm -rf "$work"
	}
	trap cleanup EXIT
	trap 'exit 143' TERM INT HUP
	bench_env "${BENCH_PWSYNC_PIN:-1}"
	# The log holds the initial sync (about 1.2 requests per user) and
	# everything after it.
	bench_rsemu_start $((2 * n + 100000))

	# The set-up configuration: unpaced, rsemu's throttle off. The
	# password thread reads pwdLastSet as the administrator, as
	# test_pwsync.sh does.
	bench_conf "$work/state" "${BENCH_PWSYNC_INFLIGHT:-4}" > "$work/setup.conf"
	bench_conf_set "$work/setup.conf" ad bind_dn "$AD_ADMIN_DN"
	bench_conf_set "$work/setup.conf" ad bind_password_file "$AD_ADMIN_PASSWORD_FILE"
	bench_conf_set "$work/setup.conf" daemon hook_listen 127.0.0.1:18732
	bench_conf_set "$work/setup.conf" daemon hook_names localhost
	# The measured one: the Rackspace limits, ten times faster.
	cp "$work/setup.conf" "$work/adsync.conf"
	bench_conf_set "$work/adsync.conf" rackspace reads_per_minute 60
	bench_conf_set "$work/adsync.conf" rackspace writes_per_minute 30
	bench_conf_set "$work/adsync.conf" rackspace domain_writes_per_minute 2
	bench_conf_set "$work/adsync.conf" rackspace throttle_window 6
	spec=get=60,write=30,domain=2,altdomain=2,window=6

	# The initial sync, with the throttle off (set-up).
	rc=0
	$cli_cpu "$adsync" -c "$work/setup.conf" sync --once --json > "$work/initial.json" \
	    2> "$work/initial.log" || rc=$?
	# 2 = some objects had errors (gen-org has none by design).
	[ "$rc" = 0 ] || [ "$rc" = 2 ] || { tail -20 "$work/initial.log" >&2; exit 1; }

	# The hook: enrol DC1, Samba runs it, its sender runs too.
	"$adsync" -c "$work/adsync.conf" hook enroll DC1 -o "$work/dc1.hook" > "$work/enroll.log"
	bench_pwhook_install "$pwhook" "$work/dc1.hook" "$work/spool"

	bench_rsemu_throttle "$spec"

	# The measuring half: python3 (wall clock, the request log).
	cat > "$work/bench.py" <<-'PY'
	import base64, datetime, json, os, re, subprocess, sys, time
	import urllib.request
	from urllib.parse import unquote

	E = os.environ
	ADSYNC, CONF, ADMIN, WORK = E["B_ADSYNC"], E["B_CONF"], E["B_ADMIN"], E["B_WORK"]
	PWHOOK, N = E["B_PWHOOK"], int(E["B_N"])
	CHANGES = int(E.get("BENCH_PWSYNC_CHANGES", "200"))
	BACKLOG = int(E.get("BENCH_PWSYNC_BACKLOG", "1000"))
	FLOOR = int(E.get("BENCH_PWSYNC_FLOOR", "20"))
	GAP = int(E.get("BENCH_PWSYNC_GAP_MS", "250")) / 1000
	PIN = E.get("B_PIN", "").split()
	RES = os.path.join(WORK, "run.json")
	RX_MBX = re.compile(r"/domains/([^/]+)/(ex|rs)/mailboxes/([^/?]+)$")

	def fail(msg):
	    sys.exit("bench/pwsync.sh: gen:%d: %s" % (N, msg))

	sys.path.insert(0, E["B_LIB"])
	import benchlib
	from benchlib import admin_get, ldapmodify, pct, reqlog, ts
	benchlib.init(ADMIN, E, fail)

	def throttled():
	    return admin_get("/_emu/stats").get("throttled", 0)

	def users():
	    """gen-org's Exchange users (u......, i % 5 != 0), in order:
	    [(dn line, sam, domain, mailbox name)]."""
	    r = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", E["AD_URI"],
	                        "-D", E["AD_ADMIN_UPN"], "-y", E["AD_ADMIN_PASSWORD_FILE"],
	                        "-E", "pr=1000/noprompt", "-b", "OU=People," + E["AD_BASE_DN"],
	                        "(&(objectClass=user)(sAMAccountName=u*))", "sAMAccountName", "mail"],
	                       capture_output=True, text=True, env=dict(E, LDAPTLS_CACERT=E["AD_CA"]))
	    if r.returncode != 0:
	        fail("ldapsearch failed: " + r.stderr.strip())
	    found = []
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
	        sam = a.get("samaccountname", "")
	        if dn and re.fullmatch(r"u\d{6}", sam) and "mail" in a and int(sam[1:]) % 5 != 0:
	            local, dom = a["mail"].split("@", 1)
	            found.append((dn, sam, dom.lower(), local.lower()))
	    return sorted(found, key=lambda u: u[1])

	def utf16(pw):
	    return base64.b64encode(('"%s"' % pw).encode("utf-16-le")).decode()

	def password(tag, k):
	    # Meets AD's complexity and the service's rule; unique per run.
	    return "Bench-%d%s-%03d!x" % (os.getpid(), tag, k)

	def pw_phase(us, tag, since):
	    """CHANGES admin resets, one every GAP s on a fixed schedule;
	    returns {name: (t0, ldapmodify ms)}."""
	    marks = {}
	    start = time.time()
	    for k, (dn, sam, dom, name) in enumerate(us):
	        delay = start + k * GAP - time.time()
	        if delay > 0:
	            time.sleep(delay)
	        ldif = "%s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n" % (
	            dn, utf16(password(tag, k)))
	        t0 = time.time()
	        ldapmodify(ldif)
	        marks[(dom, name)] = (t0, (time.time() - t0) * 1000, sam)
	    return marks

	def pw_acked(marks, since, timeout, seen):
	    """Waits until every password PUT of `marks` was acknowledged;
	    returns {(dom, name): ack time} and the last id; `seen` gets every
	    request logged meanwhile."""
	    got, deadline = {}, time.time() + timeout
	    while True:
	        reqs, since = reqlog(since)
	        seen += reqs
	        for q in reqs:
	            m = RX_MBX.search(unquote(q["path"]))
	            b = q.get("body")
	            if q["method"] == "PUT" and m and isinstance(b, dict) and "password" in b \
	                    and 200 <= q["status"] < 300:
	                key = (m.group(1).lower(), m.group(3).lower())
	                if key in marks and key not in got and ts(q["time"]) >= marks[key][0] - 0.001:
	                    got[key] = ts(q["time"])
	        if len(got) == len(marks) or time.time() > deadline:
	            return got, since
	        time.sleep(0.25)

	def backlog_acks(reqs, bmarks):
	    """{title mark: ack time} of the backlog PUTs among `reqs`."""
	    out = {}
	    for q in reqs:
	        b = q.get("body")
	        if q["method"] == "PUT" and isinstance(b, dict) and b.get("jobTitle") in bmarks \
	                and 200 <= q["status"] < 300:
	            out.setdefault(b["jobTitle"], ts(q["time"]))
	    return out

	def run():
	    res = {}
	    u = users()
	    need = BACKLOG + 2 * CHANGES + FLOOR
	    if len(u) < need:
	        fail("gen:%d has %d Exchange users, the bench needs %d" % (N, len(u), need))
	    ub, ua = u[:BACKLOG], u[BACKLOG:BACKLOG + CHANGES]
	    ub2 = u[BACKLOG + CHANGES:BACKLOG + 2 * CHANGES]
	    res["floor_users"] = u[BACKLOG + 2 * CHANGES:need]
	    _, since = reqlog(0)
	    # (a) idle daemon, throttle on.
	    th0, seen = throttled(), []
	    marks = pw_phase(ua, "a", since)
	    got, since = pw_acked(marks, since, 120, seen)
	    res["a"] = {
	        "lat": [(got[k] - t0) * 1000 for k, (t0, _, _) in marks.items() if k in got],
	        "lost": len(marks) - len(got),
	        "ldapmodify": [lm for (_, lm, _) in marks.values()],
	        "throttled": throttled() - th0,
	        "writes": sum(1 for q in seen if q["method"] != "GET"),
	        "requests": len(seen),
	        "t": [min(t0 for (t0, _, _) in marks.values()), max(got.values(), default=0)],
	        "changes": {"%s@%s" % (k[1], k[0]): [v[0], got.get(k)] for k, v in marks.items()},
	    }
	    json.dump(res, open(RES, "w"))
	    time.sleep(7)      # one throttle window: (b) starts with a clean budget
	    _, since = reqlog(since)
	    # (b) the same with an object-sync backlog.
	    th0, seen = throttled(), []
	    bmarks, ldif = {}, ""
	    for k, (dn, sam, dom, name) in enumerate(ub):
	        mark = "pwsync bench %d backlog %d" % (os.getpid(), k)
	        ldif += "%s\nchangetype: modify\nreplace: title\ntitle: %s\n-\n\n" % (dn, mark)
	        bmarks[mark] = name
	    tb0 = time.time()
	    ldapmodify(ldif)
	    tb1 = time.time()
	    marks = pw_phase(ub2, "b", since)
	    got, since = pw_acked(marks, since, 600, seen)
	    t_first = min(t0 for (t0, _, _) in marks.values())
	    t_end = max(got.values(), default=time.time())
	    bgot = backlog_acks(seen, bmarks)
	    res["b"] = {
	        "lat": [(got[k] - t0) * 1000 for k, (t0, _, _) in marks.items() if k in got],
	        "lost": len(marks) - len(got),
	        "ldapmodify": [lm for (_, lm, _) in marks.values()],
	        "backlog_ldapmodify_s": tb1 - tb0,
	        "backlog_done_at_start": sum(1 for t in bgot.values() if t <= t_first),
	        "backlog_done_at_end": sum(1 for t in bgot.values() if t <= t_end),
	        "throttled": throttled() - th0,
	        "writes": sum(1 for q in seen if q["method"] != "GET"),
	        "requests": len(seen),
	        "t": [t_first, t_end],
	        "changes": {"%s@%s" % (k[1], k[0]): [v[0], got.get(k)] for k, v in marks.items()},
	    }
	    # The backlog must drain (the work): one write token each.
	    deadline = time.time() + 120 + BACKLOG / 2
	    while len(bgot) < BACKLOG and time.time() < deadline:
	        time.sleep(1)
	        reqs, since = reqlog(since)
	        seen += reqs
	        bgot = backlog_acks(seen, bmarks)
	    res["b"]["backlog_lost"] = BACKLOG - len(bgot)
	    res["b"]["backlog_drain_s"] = max(bgot.values(), default=tb0) - tb0
	    res["b"]["throttled_drain"] = throttled() - th0
	    json.dump(res, open(RES, "w"))
	    if res["a"]["lost"] or res["b"]["lost"]:
	        fail("password changes never reached the API: %d in (a), %d in (b)" % (
	            res["a"]["lost"], res["b"]["lost"]))
	    if res["b"]["backlog_lost"]:
	        fail("%d backlog changes never reached the API" % res["b"]["backlog_lost"])

	def floor_hook():
	    """The hook alone: what Samba runs, by hand; wall time to its exit
	    (spool, TLS, POST, 202, spool entry removed)."""
	    res = json.load(open(RES))
	    spool = os.path.join(WORK, "floor-spool")
	    hook = []
	    for k in range(FLOOR):
	        env = dict(E, SAMBA_CPS_ACCOUNT_NAME="pwbenchfloor%02d" % k)
	        t0 = time.time()
	        r = subprocess.run(PIN + [PWHOOK, "-c", os.path.join(WORK, "dc1.hook"),
	                                  "--spool", spool], input=password("f", k),
	                           text=True, capture_output=True, env=env)
	        hook.append((time.time() - t0) * 1000)
	        if r.returncode != 0:
	            fail("adsync-pwhook exited %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
	        left = [f for f in os.listdir(spool) if re.fullmatch(r"[0-9a-f]{32}", f)]
	        if left:
	            fail("adsync-pwhook did not deliver its capture (left in the spool): "
	                 + r.stderr.strip()[-300:])
	        time.sleep(0.1)
	    res["floor_hook"] = hook
	    json.dump(res, open(RES, "w"))

	def floor_api():
	    """One direct password PUT, as adsync's client times it."""
	    res = json.load(open(RES))
	    time.sleep(7)      # a fresh throttle window
	    th0, api = throttled(), []
	    for k, (_, _, dom, name) in enumerate(res["floor_users"]):
	        r = subprocess.run(PIN + [ADSYNC, "-c", CONF, "-v", "api", "PUT",
	                            "/customers/me/domains/%s/ex/mailboxes/%s" % (dom, name),
	                            "password=" + password("p", k)], capture_output=True, text=True)
	        mm = re.search(r"method=PUT .* status=2\d\d ms=(\d+)", r.stderr)
	        if r.returncode != 0 or not mm:
	            fail("adsync api PUT failed: " + r.stderr.strip()[-500:])
	        api.append(float(mm.group(1)))
	        time.sleep(0.3)
	    res["floor_api"], res["floor_api_throttled"] = api, throttled() - th0
	    json.dump(res, open(RES, "w"))

	def split(logfile):
	    """The daemon's -v log: per phase, the password thread's own
	    capture -> set time, its PUTs, and the captures that waited."""
	    res = json.load(open(RES))
	    rx_set = re.compile(r"password: set for (\S+) on \S+ (\S+) \(capture .* (\d+) ms after the change\)")
	    rx_wait = re.compile(r"password: the change of (\S+) waits: (.*)$")
	    rx_put = re.compile(r"api req=\d+ method=PUT path=\S*/mailboxes/(\S+) status=(\d+) ms=(\d+)")
	    rx_rx = re.compile(r"hook receiver: queued capture \S+ from \S+ for (\S+)")
	    rx_eng = re.compile(r" pusher rs_client_log: api req=\d+ method=(PUT|POST|DELETE) .* ms=(\d+)")
	    lines = []
	    with open(logfile, encoding="utf-8", errors="replace") as f:
	        for line in f:
	            try:
	                lines.append((ts(line.split(" ", 1)[0]), line.rstrip("\n")))
	            except ValueError:
	                pass
	    for ph in ("a", "b"):
	        r = res[ph]
	        t0, t1 = r["t"][0] - 1, r["t"][1] + 1
	        sets, waits, puts, reasons = [], 0, [], {}
	        got, done, eng = {}, {}, []
	        pw_names = {k.split("@")[0] for k in r["changes"]}
	        for t, line in lines:
	            if not t0 <= t <= t1:
	                continue
	            m = rx_rx.search(line)
	            if m:
	                got[m.group(1)] = t
	                continue
	            m = rx_eng.search(line)
	            if m:
	                eng.append(t - int(m.group(2)) / 1000)   # when it took its token
	                continue
	            m = rx_set.search(line)
	            if m:
	                sets.append(int(m.group(3)))
	                done[m.group(1)] = t
	                continue
	            m = rx_wait.search(line)
	            if m:
	                waits += 1
	                reasons[m.group(2)] = reasons.get(m.group(2), 0) + 1
	                continue
	            m = rx_put.search(line)
	            if m and m.group(1).lower() in pw_names:
	                puts.append(int(m.group(3)))
	        # Object-sync writes sent while captures of this phase waited
	        # in the password queue (received, not yet set).
	        waiting = lambda t: sum(1 for a, tr in got.items() if tr < t < done.get(a, t1))
	        r["split"] = {"set": sets, "waits": waits, "reasons": reasons, "puts": puts,
	                      "eng": len(eng), "eng_waiting": sum(1 for t in eng if waiting(t) > 0),
	                      "queue_max": max((waiting(t) for t in sorted(got.values())), default=0)}
	    json.dump(res, open(RES, "w"))

	def row():
	    res = json.load(open(RES))
	    f3 = lambda v: "%.0f / %.0f / %.0f" % (pct(v, 50), pct(v, 95), pct(v, 100)) if v else "-"
	    cells = lambda *c: print("| " + " | ".join(str(x) for x in c) + " |")
	    met = lambda v: "met" if pct(v, 95) <= 1000 else "**missed**"
	    a, b = res["a"], res["b"]
	    gap = "%.0f ms" % (GAP * 1000)
	    for ph, r, what in (("idle", a, "idle daemon"),
	                        ("backlog", b, "behind a %d-op object-sync backlog" % BACKLOG)):
	        fig = lambda k, *x, **kw: benchlib.figure("pwsync.%s.%s" % (ph, k), *x, size=N, **kw)
	        fig("p50_ms", "password latency AD -> API acknowledged, %s: p50" % what,
	            pct(r["lat"], 50), "ms")
	        fig("p95_ms", "password latency AD -> API acknowledged, %s: p95" % what,
	            pct(r["lat"], 95), "ms", target=("<=", 1000))
	        fig("max_ms", "password latency AD -> API acknowledged, %s: max" % what,
	            pct(r["lat"], 100), "ms")
	        fig("rejections", "password sync, %s: throttle rejections (403)" % what,
	            r["throttled"], "requests", target=("<=", 0))
	    benchlib.figure("pwsync.backlog.pending", "object-sync backlog not yet acknowledged when "
	                    "the last password was", BACKLOG - b["backlog_done_at_end"], "requests",
	                    size=N)
	    benchlib.figure("pwsync.backlog.drain_s", "object-sync backlog of %d: drained after its "
	                    "ldapmodify" % BACKLOG, b["backlog_drain_s"], "s", size=N)
	    benchlib.figure("pwsync.floor.hook_p50_ms", "password floor: the hook alone (p50)",
	                    pct(res["floor_hook"], 50), "ms", size=N)
	    benchlib.figure("pwsync.floor.api_p50_ms", "password floor: one direct API PUT (p50)",
	                    pct(res["floor_api"], 50), "ms", size=N)
	    cells("(a) idle daemon", len(a["changes"]), gap, "**%s**" % f3(a["lat"]), "<= 1000",
	          met(a["lat"]), a["lost"], a["throttled"], a["writes"], "-")
	    cells("(b) %d-op object-sync backlog" % BACKLOG, len(b["changes"]), gap,
	          "**%s**" % f3(b["lat"]), "<= 1000", met(b["lat"]), b["lost"], b["throttled"],
	          b["writes"],
	          "%d queued; done %d at the first change, %d when the last password was acked: "
	          "**%d pending**; drained %.0f s after its ldapmodify (%.1f s)" % (
	              BACKLOG, b["backlog_done_at_start"], b["backlog_done_at_end"],
	              BACKLOG - b["backlog_done_at_end"], b["backlog_drain_s"],
	              b["backlog_ldapmodify_s"]))
	    cells("floor: the hook alone (adsync-pwhook run -> 202, wall)", len(res["floor_hook"]),
	          "100 ms", f3(res["floor_hook"]), "-", "-", 0, "-", "-", "-")
	    cells("floor: one `adsync api PUT` of a password (client ms)", len(res["floor_api"]),
	          "300 ms", f3(res["floor_api"]), "-", "-", 0, res["floor_api_throttled"],
	          len(res["floor_api"]), "-")

	def row_split():
	    res = json.load(open(RES))
	    f3 = lambda v: "%.0f / %.0f / %.0f" % (pct(v, 50), pct(v, 95), pct(v, 100)) if v else "-"
	    for ph, name in (("a", "(a) idle"), ("b", "(b) backlog")):
	        r = res[ph]
	        s = r["split"]
	        why = "; ".join("%s: %d" % (k, v) for k, v in sorted(s["reasons"].items())) or "-"
	        print("| %s | %s | %s | %s | %d (%s) | %d of %d | %d | %d |" % (
	            name, f3(r["ldapmodify"]), f3(s["set"]), f3(s["puts"]), s["waits"], why,
	            s["eng_waiting"], s["eng"], s["queue_max"], r["throttled"]))

	{"run": run, "floor_hook": floor_hook, "floor_api": floor_api, "split": split,
	 "row": row, "row_split": row_split}[sys.argv[1]](*sys.argv[2:])
	PY
	export B_ADSYNC=$adsync B_CONF=$work/adsync.conf B_ADMIN=$admin B_WORK=$work B_N=$n
	export B_LIB=$src/bench/lib
	export B_PWHOOK=$pwhook B_PIN=$cli_cpu

	# The daemon, with the throttled configuration; -v: its log splits
	# each change's latency.
	# shellcheck disable=SC2086
	$cli_cpu "$adsync" -c "$work/adsync.conf" -v daemon --allow-root >/dev/null 2>"$work/daemon.log" &
	dpid=$!
	# Its first cycle (a full read, the service's inventory under the
	# throttle, nothing to write) ends before anything is measured.
	for _ in $(seq 1 1200); do
		kill -0 "$dpid" 2>/dev/null || { tail -20 "$work/daemon.log" >&2; exit 1; }
		"$adsync" -c "$work/adsync.conf" status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d.get("cycles", 0) >= 1 and d.get("state") == "idle" and not d.get("pending") else 1)' 2>/dev/null &&
		    break
		sleep 0.5
	done
	# The hook's sender (heartbeats, and whatever a capture could not
	# send at once), as a DC runs it.
	"$pwhook" -c "$work/dc1.hook" --spool "$work/spool" --sender -v >> "$work/sender.log" 2>&1 &
	spid=$!
	sleep 2
	python3 "$work/bench.py" run || { tail -30 "$work/daemon.log" >&2; exit 1; }
	python3 "$work/bench.py" floor_hook
	stop_daemon
	python3 "$work/bench.py" floor_api
	python3 "$work/bench.py" split "$work/daemon.log"
	{
		python3 "$work/bench.py" row
		echo "ROWSPLIT"
		python3 "$work/bench.py" row_split
	} > "$out"
	exit 0
fi

build=${1:?usage: bench/pwsync.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
for b in src/cli/adsync emulator/rsemu hooks/samba/adsync-pwhook; do
	[ -x "$build/$b" ] || { echo "bench: build first (make bench): no $build/$b" >&2; exit 1; }
done
n=${BENCH_PWSYNC_USERS:-2000}
out=$(mktemp /tmp/adsync-bpwsync-out.XXXXXX)
BENCH_FIGS=$(mktemp /tmp/adsync-bpwsync-figs.XXXXXX)
export BENCH_FIGS
trap 'rm -f "$out" "$BENCH_FIGS"' EXIT
t0=$(date +%s)
rc=0
"$src/tests/testbed/with-ad.sh" --org "gen:$n" -- "$0" --inner "$build" "$n" "$out" || rc=$?
if [ "$rc" != 0 ]; then
	echo "bench/pwsync.sh: gen:$n failed (status $rc; 77: no root or Samba)" >&2
	exit "$rc"
fi
t1=$(date +%s)
python3 "$src/bench/lib/benchlib.py" write "$BENCH_FIGS" "$build/bench/pwsync.json"
changes=${BENCH_PWSYNC_CHANGES:-200}
gap=${BENCH_PWSYNC_GAP_MS:-250}
backlog=${BENCH_PWSYNC_BACKLOG:-1000}
echo "## Password sync: latency (password change in AD -> rsemu acknowledges the password PUT)"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
    "commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown); gen:$n;" \
    "Samba AD (adsync-pwhook as its check password script), rsemu (CPU 0, TLS) and adsync daemon" \
    "(hook receiver over mutual TLS) share the machine; run took $((t1 - t0)) s."
echo "Throttle ON: rsemu --throttle get=60,write=30,domain=2,altdomain=2,window=6 (the Rackspace limits"
echo "ten times faster), adsync [rackspace] reads_per_minute 60, writes_per_minute 30, domain_writes_per_minute 2,"
echo "throttle_window 6, max_in_flight ${BENCH_PWSYNC_INFLIGHT:-4}; the daemon's password client may use a reserve of"
echo "10% of each category (3 of the 30 writes per window). Initial sync done beforehand with the throttle off."
echo "Each scenario: $changes admin resets of unicodePwd (ldapmodify as Administrator over LDAPS), each of"
echo "another Exchange user, **paced one every $gap ms** on a fixed schedule ($((60000 / gap)) changes a minute,"
echo "$((6000 / gap)) per 6 s throttle window of 30 writes); latency from just before ldapmodify starts to"
echo "the time rsemu logged the PUT .../mailboxes/NAME carrying the password. (b): right before them, ONE"
echo "ldapmodify changed the title of $backlog other Exchange users ($backlog PUTs for the daemon to make under"
echo "the throttle); pending = those PUTs rsemu had not acknowledged when the last password was."
echo "403 = throttle rejections (\"Exceeded request limits\", rsemu's stats) during the phase; goal 0."
echo "Floors, same run: the hook alone (adsync-pwhook run by hand: spool, mutual TLS POST, 202), and one"
echo "\`adsync api PUT\` of a password as its client times it (new TLS connection included), daemon stopped."
echo
echo "| scenario | changes | pacing | latency p50 / p95 / max ms | target p95 ms | p95 | lost | 403 | API writes | object-sync backlog |"
echo "|---|---:|---:|---|---:|---|---:|---:|---:|---|"
sed '/^ROWSPLIT$/,$d' "$out"
echo
echo "Where the time goes (p50 / p95 / max ms): ldapmodify itself (bind, the DC running the hook, which"
echo "posts to the receiver and waits for its 202, and the commit); the daemon's own capture -> set"
echo "time (\"N ms after the change\" of its -v log; the capture is stamped by the hook); the password"
echo "thread's PUT as its client times it (after it got a token); captures the thread had to put back"
echo "(\"waits\", with the reason); the object-sync writes (the engine's client) sent while at least"
echo "one capture of the phase waited in the password queue, of all object-sync writes in the phase;"
echo "the most captures waiting at once."
echo
echo "| scenario | ldapmodify | capture -> set (daemon) | password PUT (client) | waits | object-sync writes while captures waited | most captures waiting | 403 |"
echo "|---|---|---|---|---|---:|---:|---:|"
sed '1,/^ROWSPLIT$/d' "$out"

"""The throttled half of bench/sync.sh (its step 5): runs `adsync sync
--once` against an rsemu whose throttle is on (the real Rackspace limits,
scaled in time) and samples its write rate from rsemu's request log.

Environment (set by sync.sh): B_ADSYNC, B_CONF (limits already set to the
spec), B_ADMIN (rsemu's admin API), B_WORK, B_PIN (a taskset prefix or
empty), B_LIB, B_N (users), B_WRITE (writes allowed per window), B_WINDOW
(seconds), B_SPEC (rsemu's --throttle SPEC, for the labels), B_WRITES (the
writes the same initial sync made with the throttle off: the projection);
BENCH_SYNC_THROTTLE_WINDOWS (default 10), BENCH_FIGS (benchlib.figure).

The sample starts at the first write rsemu logged and ends at the first
write at or after K windows later (or at the last write, when the sync ends
first): writes accepted before that end, over that time, is the achieved
rate. Counting up to a write that opens a new burst, rather than over a
fixed K windows, keeps a client that sends its window's writes at once from
looking faster (or slower) than it is. Rejections: rsemu's "throttled"
counter (403 "Exceeded request limits") from the start of the sync to the
end of the sample. Prints one Markdown row for sync.sh's table; exits
non-zero only if the sync fails on its own or never writes."""
import os
import subprocess
import sys
import time

E = os.environ
N = int(E["B_N"])
WRITE, WINDOW = int(E["B_WRITE"]), float(E["B_WINDOW"])
K = int(E.get("BENCH_SYNC_THROTTLE_WINDOWS", "10"))
PIN = E.get("B_PIN", "").split()
WORK = E["B_WORK"]


def fail(msg):
    sys.exit("bench/sync.sh: gen:%d: throttled sync: %s" % (N, msg))


sys.path.insert(0, E["B_LIB"])
import benchlib  # noqa: E402
from benchlib import admin_get, figure, reqlog, ts  # noqa: E402
benchlib.init(E["B_ADMIN"], E, fail)


def main():
    th0 = admin_get("/_emu/stats").get("throttled", 0)
    out = open(os.path.join(WORK, "throttle.json"), "w")
    err = open(os.path.join(WORK, "throttle.log"), "w")
    p = subprocess.Popen(PIN + [E["B_ADSYNC"], "-c", E["B_CONF"], "sync", "--once", "--json"],
                         stdout=out, stderr=err)
    t_start = time.time()
    since, writes, gets = 0, [], 0      # writes: (arrival, status)
    # The AD read and the plan come first: up to 10 minutes (more at 100k).
    deadline = t_start + 600 + N / 100
    first = None
    while True:
        reqs, since = reqlog(since)
        for q in reqs:
            if q["method"] == "GET":
                gets += 1
            else:
                writes.append((ts(q["time"]), q["status"]))
        if writes and first is None:
            first = min(t for t, _ in writes)
            deadline = first + (K + 1) * WINDOW + 5
        done = p.poll() is not None
        if first is not None and any(t >= first + K * WINDOW for t, _ in writes):
            break
        if done or time.time() > deadline:
            break
        time.sleep(0.5)
    stopped = p.poll() is None
    if stopped:
        p.terminate()
        p.wait(timeout=60)
    elif p.returncode not in (0, 2):
        # 2: some objects had errors (gen-org has none by design).
        fail("adsync sync --once exited %d: %s" % (
            p.returncode, open(os.path.join(WORK, "throttle.log")).read()[-500:]))
    reqs, since = reqlog(since)
    for q in reqs:
        if q["method"] != "GET":
            writes.append((ts(q["time"]), q["status"]))
    rejected = admin_get("/_emu/stats").get("throttled", 0) - th0
    if first is None:
        fail("no write within %.0f s of starting (see the sync's log)" % (time.time() - t_start))
    writes.sort()
    end = [t for t, _ in writes if t >= first + K * WINDOW]
    if end:
        t_end = end[0]
        sample = [w for w in writes if w[0] < t_end]
    else:
        t_end = writes[-1][0]
        sample = writes[:-1] if len(writes) > 1 else writes
    secs = max(t_end - first, 1e-3)
    accepted = sum(1 for _, st in sample if st != 403)
    # 403s in the sample: throttled (the key's signature is right, so rsemu
    # answers 403 for nothing else here).
    rate = accepted / secs                  # writes/s, scaled time
    allowed = WRITE / WINDOW
    ratio = 100 * rate / allowed
    # At the real limits (the same count per 60 s window), the initial sync's
    # writes (measured with the throttle off) at this ratio would take:
    real_rate = WRITE / 60 * ratio / 100
    writes_total = int(E.get("B_WRITES", "0") or 0)
    proj_h = writes_total / real_rate / 3600 if real_rate > 0 and writes_total else None
    fig = lambda k, *a, **kw: figure("sync.%d.throttle.%s" % (N, k), *a, size=N, **kw)
    fig("write_ratio", "initial sync, real throttle scaled (%s): achieved write rate / allowed"
        % E["B_SPEC"], ratio, "%", target=(">=", 95),
        peer=("allowed writes/s (scaled)", allowed, "writes/s"))
    fig("rejections", "initial sync, real throttle scaled: throttle rejections (403)", rejected,
        "requests", target=("<=", 0))
    fig("writes_per_window", "initial sync, real throttle scaled: writes accepted per window",
        rate * WINDOW, "writes")
    fig("sample_s", "initial sync, real throttle scaled: seconds sampled", secs, "s")
    if proj_h is not None:
        fig("projected_h", "initial sync at the real limits (%d writes/min): projected" % WRITE,
            proj_h, "h")
    how = "stopped after" if stopped else "ended within"
    print("| %d | throttled (%s) | %d writes sampled (%s %d windows) | %d GETs | - | "
          "%.1f s sampled | %d writes/%g s allowed: achieved **%.1f%%**, %d rejected | "
          "%.2f writes/s (%.1f per window) | - | %d |" % (
              N, E["B_SPEC"], len(sample), how, K, gets, secs, WRITE, WINDOW, ratio,
              rejected, rate, rate * WINDOW, sum(1 for _, st in sample if st >= 400)))
    if proj_h is not None:
        print("| %d | throttled, projected | %d writes at the real %d/min, at %.1f%% | - | - | "
              "**%.1f h** | - | - | - | - |" % (N, writes_total, WRITE, ratio, proj_h))


main()

#!/usr/bin/env python3
"""The benchmark report (issue 9): bench/report.md and bench/report.json in
the source tree, from the runs bench/run.sh kept.

    bench/report.py BUILD_DIR            # write the report from the runs kept
    bench/report.py --meta FILE BENCH RUN STATUS SECONDS STARTED COMMIT
                                         # (run.sh) one run's record

Reads BUILD_DIR/bench/runs/R/NAME.json (each a list of figures, see
bench/lib/benchlib.py) and NAME.meta.json (status, seconds, start, commit,
machine, BENCH_* settings); when there are no runs (benches run by hand), it
reads BUILD_DIR/bench/NAME.json as one run. For each figure: the median over
the runs, the spread (min-max), every run's value, the target and whether
the median meets it; a section "Missed targets" says for each missed target
why and what would close it (NOTES below, by figure id; a generic sentence
where there is none). Writes nothing anywhere else and never fails on a
missing bench: it reports what there is. Standard library only."""
import datetime
import fnmatch
import glob
import json
import os
import platform
import statistics
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Benches in report order, with a title and what they are.
BENCHES = [
    ("rsemu", "rsemu raw capacity", "bench/rsemu.sh: signed GETs and mailbox adds per second "
     "at concurrency 1/8/32 over TLS and plain HTTP, load generator and rsemu on one machine."),
    ("sync", "Initial sync, 1% delta, throttled initial sync, state size",
     "bench/sync.sh: `adsync sync --once` against a generated directory and rsemu; capacity "
     "= rsemu_replay of the very same writes in the same run; the throttled run is sampled "
     "(10 windows of the real limits, ten times faster)."),
    ("daemon", "Daemon: change latency, CPU and RSS",
     "bench/daemon.sh: `adsync daemon`, initial sync, idle, 200 changes one at a time "
     "(ldapmodify -> rsemu acknowledged the PUT), a burst, the floor in the same run."),
    ("pwsync", "Password latency",
     "bench/pwsync.sh: 200 password resets through adsync-pwhook (Samba's check password "
     "script) to the API, throttle on (real limits ten times faster), idle and behind a "
     "1,000-op object-sync backlog."),
    ("ad", "Reading Active Directory",
     "bench/ad.sh: `adsync ad dump` full read against ldapsearch of the same data; "
     "ldapmodify -> `adsync ad watch` latency."),
    ("web", "Web console", "bench/web.sh: page latency on one keep-alive connection, "
     "8 concurrent clients on /, the daemon's RSS."),
]

# Targets the issue sets that a run may not have measured (a size not run):
# listed as "not run" in the targets table rather than silently absent.
EXPECTED = [
    ("sync.{n}.apply_ratio", "initial sync: rsemu's capacity for the same writes / apply",
     ">=", 80, "%", (10000, 100000)),
    ("sync.{n}.calls_per_mailbox", "initial sync: API calls on mailboxes per new mailbox",
     "<=", 1.01, "calls", (10000, 100000)),
    ("sync.{n}.initial_s", "initial sync (throttle off): wall time", "<=", 180, "s", (100000,)),
    ("sync.{n}.throttle.write_ratio", "initial sync, real throttle scaled: achieved write rate "
     "/ allowed", ">=", 95, "%", (10000, 100000)),
    ("sync.{n}.throttle.rejections", "initial sync, real throttle scaled: throttle rejections",
     "<=", 0, "requests", (10000, 100000)),
    ("sync.{n}.delta_s", "1% delta: wall time", "<=", 10, "s", (100000,)),
    ("daemon.{n}.change_p95_ms", "change latency AD -> API acknowledged: p95", "<=", 1000, "ms",
     (10000, 100000)),
    ("daemon.{n}.rss_peak_mb", "daemon: peak RSS (VmHWM)", "<=", 64, "MB", (100000,)),
    ("pwsync.idle.p95_ms", "password latency, idle daemon: p95", "<=", 1000, "ms", (None,)),
    ("pwsync.backlog.p95_ms", "password latency, behind an object-sync backlog: p95", "<=",
     1000, "ms", (None,)),
]

# Why a target is missed and what would close it, by figure id (fnmatch
# patterns, first match wins). The lead refines these as the figures move.
NOTES = [
    ("sync.*.calls_per_mailbox",
     "A new mailbox took calls besides its create: the request breakdown in the bench's "
     "table (\"initial: requests\") names them.",
     "Send what the extra calls set with the create (the Add takes the same fields), so that "
     "a new mailbox is exactly one call."),
    ("sync.*.apply_ratio",
     "adsync's apply spends time per write that the leanest client (rsemu_replay: bodies "
     "prepared in advance, nothing decided or stored) does not: building the request, "
     "deciding on the answer, recording the result in the state database.",
     "Profile the apply (BENCH_SYNC_WRAP='perf record -g -o FILE --') and take the largest "
     "part off the sending path, e.g. record results in larger transactions."),
    ("sync.*.initial_s",
     "The wall time is AD read + plan + apply (the bench's table splits it); at 100,000 users "
     "on Samba the read is a large part.",
     "Shorten the largest stage of the split: overlap the apply with the read, or read with "
     "fewer round trips."),
    ("sync.*.throttle.write_ratio",
     "The pacer gives a write token back one window after its attempt finished (docs/target.md, "
     "Pacing), so each period is a window plus the slowest answer of the window's burst and "
     "the timer's wake-up; a slow or busy machine stretches that.",
     "Look at the period between bursts in the request log of a slow run; if it is the "
     "answers' latency, the rule is the price of never exceeding a server window, and the "
     "target holds on a quiet machine."),
    ("sync.*.throttle.rejections",
     "The client sent more writes in one of the server's fixed windows than it allows: the "
     "pacer and the server's windows disagree.",
     "Compare the pacer's arithmetic (docs/target.md, Pacing) with the request log of the run "
     "(rsemu's windows start at the first call after the previous window ended)."),
    ("sync.*.delta_s",
     "The delta's time is read + plan + apply (the bench's table splits it); a read or plan "
     "that grows with the directory rather than with the change shows here.",
     "Make the stage that grows with the directory incremental (the change read and the plan "
     "of changed objects only)."),
    ("daemon.*.change_p95_ms",
     "The change latency includes ldapmodify itself, Samba's notification and DirSync read "
     "(both scan the database, docs/ldap.md), and a change that arrives while a cycle runs "
     "waits for it; the bench's split table says which part grew.",
     "Shorten the part that grew in the split table; on Samba at 100,000 users the "
     "notification and the read are Samba's scans and only a DC that indexes uSNChanged "
     "(Windows AD) avoids them."),
    ("daemon.*.change_p95_over_floor",
     "The daemon adds more than the floor (notification + one direct call) to a change: the "
     "bench's split table shows where (wait, change read, plan + apply, PUT).",
     "Shorten the largest part of the split."),
    ("daemon.*.rss_*_mb",
     "The peak comes from the initial sync (compare the idle RSS, and `adsync ad dump`'s peak "
     "RSS in the ad bench for the AD snapshot alone): what a run holds at once besides the "
     "snapshot (the plan, the stored state, the requests in flight).",
     "Measure the initial sync under a heap profiler (BENCH_SYNC_WRAP, e.g. heaptrack) and "
     "bound what a run holds at once (apply and record in batches)."),
    ("pwsync.*.p95_ms",
     "A password waits for the hook, for the daemon's capture -> set (a capture is pending "
     "until pwdLastSet changes) and for a write token; the bench's second table splits it.",
     "Shorten the part that grew in the split: the daemon's capture -> set, or the token "
     "wait (the password client has the pacer's reserve)."),
    ("pwsync.*.rejections",
     "The password client and the engine together sent more writes than a server window "
     "allows.",
     "Check that both share one pacer (rs_pacer) and its reserve arithmetic against the "
     "request log."),
    ("ad.*.read_s",
     "The full read is paced by the DC: compare ldapsearch of the same data in the same "
     "run (the figure's peer).",
     "If adsync is much slower than ldapsearch, look at decoding and ranged member reads; "
     "if both are slow, it is the DC."),
    ("ad.*.read_rss_mb", "The read holds the snapshot in the run arena.",
     "Measure with a heap profiler and shrink the per-object footprint."),
    ("ad.*.watch_p95_ms",
     "Both halves are Samba's: its change notification re-runs every pending notification "
     "search after each write and its DirSync read scans, since ldb cannot index uSNChanged "
     "(docs/ldap.md, Change notification; 166 ms p95 at 10,000 users on a quiet machine, "
     "1.5 s at 100,000). On a busy machine Samba's scans slow first. The bench's split "
     "(ldapmodify -> notification, then read + print) shows which half grew.",
     "Nothing in adsync at 10,000 users (run on a quiet machine); at 100,000 only a DC that "
     "indexes uSNChanged (Windows AD) meets it: on Samba the target cannot hold at that size."),
]
GENERIC = ("No note for this figure yet.",
           "Look at the bench's table (BUILD_DIR/bench/NAME.md) and its header for what the "
           "figure includes, then add a note to NOTES in bench/report.py.")


def sh(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return r.stdout.strip() if r.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1])
    except OSError:
        pass
    try:
        debian = open("/etc/debian_version").read().strip()
    except OSError:
        debian = ""
    samba = sh(["samba", "-V"]).replace("Version ", "")
    return {"cpu": cpu or platform.processor() or "unknown",
            "cores": os.cpu_count(), "ram_gib": round(mem / 1048576, 1),
            "kernel": platform.release(), "debian": debian, "samba": samba}


def commit():
    return sh(["git", "-C", SRC, "describe", "--always", "--dirty"]) or "unknown"


def write_meta(path, bench, run, status, seconds, started, rev):
    # The settings that change what is measured (BENCH_FIGS and
    # BENCH_REPORT are bookkeeping).
    meta = {"bench": bench, "run": int(run), "status": status, "seconds": float(seconds),
            "started": started, "commit": rev or commit(), "machine": machine(),
            "env": {k: v for k, v in sorted(os.environ.items())
                    if k.startswith("BENCH_") and k not in ("BENCH_FIGS", "BENCH_REPORT")}}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


# ---- reading the runs ----

def load(build):
    """[(run, bench, meta or None, figures or None)]"""
    base = os.path.join(build, "bench")
    out = []
    for d in sorted(glob.glob(os.path.join(base, "runs", "*")),
                    key=lambda p: int(os.path.basename(p)) if os.path.basename(p).isdigit() else 0):
        if not os.path.basename(d).isdigit():
            continue
        r = int(os.path.basename(d))
        names = {os.path.basename(p).split(".")[0]
                 for p in glob.glob(os.path.join(d, "*.json"))}
        for n in sorted(names):
            meta = figs = None
            try:
                meta = json.load(open(os.path.join(d, n + ".meta.json")))
            except (OSError, ValueError):
                pass
            try:
                figs = json.load(open(os.path.join(d, n + ".json")))
            except (OSError, ValueError):
                pass
            out.append((r, n, meta, figs))
    if not out:
        # Benches run by hand: their last figures, as one run.
        for p in sorted(glob.glob(os.path.join(base, "*.json"))):
            try:
                out.append((1, os.path.basename(p)[:-5], None, json.load(open(p))))
            except (OSError, ValueError):
                pass
    return out


def meets(v, t):
    return v <= t["value"] if t["op"] == "<=" else v >= t["value"]


def note(fid):
    for pat, why, close in NOTES:
        if fnmatch.fnmatchcase(fid, pat):
            return why, close
    return GENERIC


def fmt(v, unit=""):
    if v is None:
        return "-"
    a = abs(v)
    if unit in ("calls", "x") and a < 10:
        return "%.3f" % v if unit == "calls" else "%.2f" % v
    if float(v).is_integer():
        return "{:,.0f}".format(v)
    if a >= 100:
        return "{:,.0f}".format(v)
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3f" % v


def unit_s(u):
    return {"%": " %", "x": "x"}.get(u, " " + u if u else "")


def aggregate(rows):
    """Figures by id, in the order they first appear per bench."""
    figs, order = {}, []
    for r, bench, _, fl in rows:
        for f in fl or []:
            k = f["id"]
            if k not in figs:
                figs[k] = {"id": k, "bench": bench, "label": f["label"], "unit": f["unit"],
                           "size": f.get("size"), "target": f.get("target"), "runs": {},
                           "peer_runs": {}, "peer": None, "ratio_runs": {}}
                order.append(k)
            g = figs[k]
            g["runs"][r] = f["value"]
            if f.get("peer"):
                g["peer"] = {"label": f["peer"]["label"], "unit": f["peer"]["unit"]}
                g["peer_runs"][r] = f["peer"]["value"]
            if f.get("ratio") is not None:
                g["ratio_runs"][r] = f["ratio"]
    for k in order:
        g = figs[k]
        v = list(g["runs"].values())
        g["median"], g["min"], g["max"] = statistics.median(v), min(v), max(v)
        if g["peer_runs"]:
            g["peer"]["median"] = statistics.median(g["peer_runs"].values())
        if g["ratio_runs"]:
            g["ratio_median"] = statistics.median(g["ratio_runs"].values())
        g["met"] = meets(g["median"], g["target"]) if g["target"] else None
    return [figs[k] for k in order]


def tgt(t, unit):
    return "%s %s%s" % (t["op"].replace("<=", "≤").replace(">=", "≥"),
                        "{:,g}".format(t["value"]), unit_s(unit)) if t else ""


def report(build):
    rows = load(build)
    figs = aggregate(rows)
    metas = [m for _, _, m, _ in rows if m]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commits = sorted({m["commit"] for m in metas}) or [commit() + " (now; the runs kept no record)"]
    mach = metas[-1]["machine"] if metas else machine()
    nruns = max((r for r, _, _, _ in rows), default=0)
    sizes_by = {}
    for g in figs:
        if g["size"] is not None:
            sizes_by.setdefault(g["bench"], set()).add(g["size"])
    all_sizes = sorted({s for b in ("ad", "daemon", "sync") for s in sizes_by.get(b, ())})
    env = metas[-1]["env"] if metas else {}

    L = []
    p = L.append
    p("# adsync benchmark report")
    p("")
    p("Generated %s by `make bench` (bench/run.sh, then bench/report.py) from the runs kept "
      "under `%s/bench/runs`; the tables of the last run of each bench are in "
      "`%s/bench/NAME.md`. Figures are the **median** of the runs, with the spread "
      "(min-max) and every run's value; a target is met or missed on the median."
      % (now, os.path.relpath(build, SRC), os.path.relpath(build, SRC)))
    p("")
    p("- **Commit**: %s" % ", ".join("`%s`" % c for c in commits))
    p("- **Machine**: %s; %s cores; %s GiB RAM; kernel %s; Debian %s; Samba %s. Samba AD, "
      "rsemu and adsync share the machine (rsemu pinned to CPU 0 where the bench says so)."
      % (mach.get("cpu"), mach.get("cores"), mach.get("ram_gib"), mach.get("kernel"),
         mach.get("debian") or "?", mach.get("samba") or "?"))
    p("- **Runs**: %d per bench (BENCH_REPEAT=%s)." % (nruns, env.get("BENCH_REPEAT", "?")))
    sz = ", ".join("{:,}".format(s) for s in all_sizes) or "no scale bench (ad, daemon, sync) in this report"
    missing = [s for s in (10000, 100000) if s not in all_sizes] if all_sizes else []
    p("- **Sizes run** (users of the generated directory, ad/daemon/sync): %s%s; pwsync runs "
      "at %s users, web at %s." % (
          sz, (" — **%s not run in this report**: figures and targets at that size are "
               "missing below" % " and ".join("{:,}".format(s) for s in missing))
          if missing else "",
          ", ".join("{:,}".format(s) for s in sorted(sizes_by.get("pwsync", ()))) or "-",
          ", ".join("{:,}".format(s) for s in sorted(sizes_by.get("web", ()))) or "-"))
    failed = [m for m in metas if m["status"] != "ok"]
    if failed:
        p("- **Failed runs** (their figures are absent): %s." % ", ".join(
            "%s run %d" % (m["bench"], m["run"]) for m in failed))
    p("")

    # Targets.
    by_id = {g["id"]: g for g in figs}
    p("## Targets")
    p("")
    p("| figure | size | median | spread (min-max) | target | |")
    p("|---|---:|---:|---|---:|---|")
    listed = set()
    tfigs = [g for g in figs if g["target"]]
    for tmpl, label, op, val, unit, sizes in EXPECTED:
        for n in sizes:
            fid = tmpl.format(n=n)
            if fid not in by_id:
                tfigs.append({"id": fid, "label": label, "size": n, "unit": unit,
                              "target": {"op": op, "value": val}, "absent": True})
    for g in sorted(tfigs, key=lambda g: ([b for b, _, _ in BENCHES].index(g["id"].split(".")[0])
                                          if g["id"].split(".")[0] in [b for b, _, _ in BENCHES]
                                          else 99, g["size"] or 0)):
        if g["id"] in listed:
            continue
        listed.add(g["id"])
        size = "{:,}".format(g["size"]) if g["size"] else "-"
        if g.get("absent"):
            p("| %s `%s` | %s | not run | | %s | — |" % (g["label"], g["id"], size,
                                                      tgt(g["target"], g["unit"])))
            continue
        p("| %s `%s` | %s | **%s%s** | %s–%s | %s | %s |" % (
            g["label"], g["id"], size, fmt(g["median"], g["unit"]), unit_s(g["unit"]),
            fmt(g["min"], g["unit"]), fmt(g["max"], g["unit"]), tgt(g["target"], g["unit"]),
            "met" if g["met"] else "**missed**"))
    p("")

    # Missed targets.
    missed = [g for g in figs if g["met"] is False]
    p("## Missed targets")
    p("")
    if not missed:
        p("None of the targets measured in this report is missed.")
    for g in missed:
        why, close = note(g["id"])
        p("- **%s** (`%s`): %s%s against %s. *Why:* %s *What would close it:* %s" % (
            g["label"], g["id"], fmt(g["median"], g["unit"]), unit_s(g["unit"]),
            tgt(g["target"], g["unit"]), why, close))
    p("")

    # Every figure, by bench.
    for b, title, what in BENCHES:
        bf = [g for g in figs if g["bench"] == b]
        bm = [m for m in metas if m["bench"] == b]
        if not bf and not bm:
            continue
        p("## %s" % title)
        p("")
        secs = [m["seconds"] for m in bm if m["status"] == "ok"]
        p("%s %s" % (what, "Runs: %d (%s s; median %.0f s)." % (
            len(bm), ", ".join("%.0f%s" % (m["seconds"], "" if m["status"] == "ok" else " failed")
                               for m in sorted(bm, key=lambda m: m["run"])),
            statistics.median(secs)) if secs else ""))
        p("")
        if not bf:
            p("No figures: every run failed.")
            p("")
            continue
        p("| figure | size | median | spread (min-max) | runs | target | | compared with |")
        p("|---|---:|---:|---|---|---:|---|---|")
        for g in bf:
            runs = " / ".join(fmt(g["runs"][r], g["unit"]) for r in sorted(g["runs"]))
            peer = ""
            if g["peer"]:
                peer = "%s: %s%s" % (g["peer"]["label"], fmt(g["peer"]["median"], g["peer"]["unit"]),
                                     unit_s(g["peer"]["unit"]))
                if "ratio_median" in g:
                    peer += " (ratio %.2f)" % g["ratio_median"]
            p("| %s `%s` | %s | **%s%s** | %s–%s | %s | %s | %s | %s |" % (
                g["label"], g["id"], "{:,}".format(g["size"]) if g["size"] else "-",
                fmt(g["median"], g["unit"]), unit_s(g["unit"]), fmt(g["min"], g["unit"]),
                fmt(g["max"], g["unit"]), runs, tgt(g["target"], g["unit"]),
                "" if g["met"] is None else ("met" if g["met"] else "**missed**"), peer))
        p("")

    # The runs.
    if metas:
        p("## Runs")
        p("")
        p("| bench | run | started (UTC) | seconds | status | commit |")
        p("|---|---:|---|---:|---|---|")
        for m in sorted(metas, key=lambda m: (m["started"], m["bench"])):
            p("| %s | %d | %s | %.0f | %s | `%s` |" % (m["bench"], m["run"], m["started"],
                                                      m["seconds"], m["status"], m["commit"]))
        p("")
        total = sum(m["seconds"] for m in metas)
        p("Total bench time: %.0f s (%.1f min). Settings: %s." % (
            total, total / 60, ", ".join("%s=%s" % kv for kv in sorted(env.items())) or "-"))
        p("")

    md = "\n".join(L)
    js = {"generated": now, "commits": commits, "machine": mach, "runs": metas,
          "sizes": {b: sorted(s) for b, s in sizes_by.items()},
          "figures": [dict((k, v) for k, v in g.items() if k not in ("peer_runs", "ratio_runs"))
                      | {"runs": [g["runs"][r] for r in sorted(g["runs"])]} for g in figs],
          "missed": [{"id": g["id"], "median": g["median"], "target": g["target"],
                      "why": note(g["id"])[0], "close": note(g["id"])[1]} for g in missed]}
    for name, text in (("report.md", md), ("report.json", json.dumps(js, indent=1) + "\n")):
        path = os.path.join(SRC, "bench", name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    print("bench: wrote bench/report.md and bench/report.json (%d figures, %d runs, %d missed)"
          % (len(figs), len(metas), len(missed)), file=sys.stderr)


def main(argv):
    if len(argv) == 9 and argv[1] == "--meta":
        write_meta(*argv[2:])
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if not os.path.isdir(os.path.join(argv[1], "bench")):
        print("bench/report.py: no %s/bench (run bench/run.sh first)" % argv[1], file=sys.stderr)
        return 1
    report(os.path.abspath(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

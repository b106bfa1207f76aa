"""What the testbed benchmarks' measuring halves share (bench/daemon.sh,
bench/pwsync.sh): log timestamps, percentiles, rsemu's admin API and its
request log, and an ldapmodify as the testbed's Administrator.
init() first: the admin address of rsemu, the environment with the AD_*
variables of with-ad.sh, and the benchmark's fail()."""
import datetime
import json
import subprocess
import urllib.request

_admin, _env, _fail = None, None, None


def init(admin, env, fail):
    global _admin, _env, _fail
    _admin, _env, _fail = admin, env, fail


def ts(s):
    # "2026-11-24T16:30:50.742Z" (rsemu and adsync logs): UTC, ms.
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def pct(v, q):
    # Nearest rank.
    v = sorted(v)
    return v[max(0, -(-len(v) * q // 100) - 1)] if v else float("nan")


def admin_get(path):
    with urllib.request.urlopen("http://%s%s" % (_admin, path), timeout=120) as r:
        return json.load(r)


def reqlog(since):
    """The API requests rsemu logged after id `since`, and the last id."""
    out = []
    while True:
        d = admin_get("/_emu/requests?since=%d&limit=50000" % since)
        if d.get("dropped"):
            _fail("rsemu's request log dropped %d requests" % d["dropped"])
        if not d["requests"]:
            return out, since
        out += d["requests"]
        since = d["last_id"]


def ldapmodify(ldif):
    e = _env
    r = subprocess.run(["ldapmodify", "-x", "-H", e["AD_URI"], "-D", e["AD_ADMIN_UPN"],
                        "-y", e["AD_ADMIN_PASSWORD_FILE"]], input=ldif, text=True,
                       capture_output=True, env=dict(e, LDAPTLS_CACERT=e["AD_CA"]))
    if r.returncode != 0:
        _fail("ldapmodify failed: " + r.stderr.strip()[-500:])


# ---- Figures: what every bench writes for bench/report.py ----
#
# A bench's outer part names a scratch file in BENCH_FIGS (one JSON object a
# line, appended by figure() from any of its parts, Python or shell through
# `benchlib.py fig`), and at the end turns it into BUILD_DIR/bench/NAME.json
# with `benchlib.py write`: a list of
#   {"id": "sync.10000.apply_ratio", "label": ..., "value": number,
#    "unit": ..., "size": N or null,
#    "target": {"op": "<=" | ">=", "value": number} (optional),
#    "peer": {"label", "value", "unit"} (optional: what it is compared with),
#    "ratio": number (optional: value / peer, or the comparison's result)}.
# Ids are stable (report.py matches runs and its notes on them); a figure
# that is not a number (NaN, missing) is left out rather than written.

def figure(fid, label, value, unit, size=None, target=None, peer=None, ratio=None,
           path=None):
    """Appends one figure to BENCH_FIGS (or `path`); a no-op when neither
    names a file (a bench run by hand without run.sh's bookkeeping).
    `target` is (op, value) or None; `peer` is (label, value, unit) or None."""
    import math
    import os
    path = path or os.environ.get("BENCH_FIGS")
    if not path or value is None:
        return
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return
    f = {"id": fid, "label": label, "value": value, "unit": unit,
         "size": int(size) if size is not None else None}
    if target is not None:
        f["target"] = {"op": target[0], "value": float(target[1])}
    if peer is not None:
        f["peer"] = {"label": peer[0], "value": float(peer[1]), "unit": peer[2]}
    if ratio is not None:
        f["ratio"] = float(ratio)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(f) + "\n")


def write_figures(lines_path, out_path):
    """The figures appended to `lines_path` as BUILD_DIR/bench/NAME.json
    (a JSON list, written to a temporary name and renamed: a reader never
    sees half a file). A later figure with the same id replaces the earlier."""
    import os
    figs = {}
    try:
        with open(lines_path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    f = json.loads(line)
                    figs[f["id"]] = f
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(list(figs.values()), fh, indent=1)
        fh.write("\n")
    os.replace(tmp, out_path)


def _main(argv):
    import argparse
    p = argparse.ArgumentParser(prog="benchlib.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("fig", help="append a figure to $BENCH_FIGS")
    a.add_argument("id")
    a.add_argument("label")
    a.add_argument("value")
    a.add_argument("unit")
    a.add_argument("--size")
    a.add_argument("--target", help="OP:VALUE, e.g. '<=:1000'")
    a.add_argument("--peer", nargs=3, metavar=("LABEL", "VALUE", "UNIT"))
    a.add_argument("--ratio")
    w = sub.add_parser("write", help="figures file -> NAME.json")
    w.add_argument("lines")
    w.add_argument("out")
    o = p.parse_args(argv)
    if o.cmd == "fig":
        t = None
        if o.target:
            op, _, v = o.target.partition(":")
            if op not in ("<=", ">="):
                p.error("--target: OP is <= or >=")
            t = (op, v)
        figure(o.id, o.label, o.value, o.unit, size=o.size, target=t,
               peer=o.peer, ratio=o.ratio)
    else:
        write_figures(o.lines, o.out)


if __name__ == "__main__":
    import sys
    _main(sys.argv[1:])

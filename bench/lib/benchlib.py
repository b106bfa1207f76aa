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

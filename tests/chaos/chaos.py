#!/usr/bin/env python3
"""Checks of the chaos tests (tests/chaos/, docs/testing-sync.md "Chaos").

Run by chaos_env.sh on LDIF from ldapsearch, rsemu's state (GET
/_emu/state), its request log (GET /_emu/requests) and adsync's logs:

  chaos.py expected USERS.ldif GROUPS.ldif EXG RSG
      the objects AD says rsemu must hold, one "DOMAIN KIND NAME" a line
      (KIND ex, rs or dl): the scope of now
  chaos.py compare USERS.ldif GROUPS.ldif EXG RSG STATE.json EVER.txt
      rsemu's state against AD: every mailbox in scope exists with AD's
      enabled flag and mapped fields, every mailbox that was in scope once
      (EVER.txt, lines of `expected`) and left it exists disabled, every
      list exists with AD's display name and members, nothing else
      exists. Prints one line per difference and a summary; exit 1 on
      any difference
  chaos.py creates LOG.json... --probe UA [--since ID]
      creates in the request logs (several: rsemu restarted): duplicates
      (an object created twice) and creates answered with an error other
      than a fault rsemu injected or its throttle's 403 (a create sent
      again blindly gets "already exists"); prints a summary line and the
      offenders
  chaos.py removals LOG.json --probe UA [--since ID]
      the disables (PUT enabled=false) and DELETEs in the log, as
      "disables=N deletes=M" and one line each
  chaos.py failures LOG.json --probe UA
      every request rsemu failed on purpose (a fault, or its throttle's
      403) and what became of it: the last request adsync made on that
      path must have succeeded
  chaos.py attempts DAEMON.err...
      the most attempts one API request took (rs_client_log attempt=N)
  chaos.py seen LOG.json --probe UA write|request
      exit 0 when the log holds a write (or any request) of adsync
  chaos.py atkill LOG.json --probe UA EPOCH
      what adsync had sent when it was killed at EPOCH: requests, writes,
      creates, and the writes rsemu had made but not answered yet
  chaos.py passwords ADMIN-URL PW.txt
      every "MAILBOX@DOMAIN PASSWORD" line's last password per mailbox is
      the one rsemu holds (POST /_emu/verify-password); exit 1 otherwise
"""
import base64
from datetime import datetime, timezone
import json
import re
import sys
import urllib.request
from urllib.parse import unquote

PRE = "/v1/customers/me/domains/"
DOMAINS = ("example.com", "example.net")
UAC_DISABLED = 2

# AD attribute -> rsemu field (contactInfo lifted), per mailbox service:
# the part of src/plan/plan_map.c the chaos changes touch, and more.
FIELDS = {
    "ex": {"displayname": "displayName", "givenname": "firstName",
           "sn": "lastName", "title": "jobTitle",
           "telephonenumber": "businessNumber", "department": "department",
           "l": "city", "company": "company"},
    "rs": {"displayname": "displayName", "givenname": "firstName",
           "sn": "lastName", "title": "title",
           "telephonenumber": "businessNumber", "l": "businessCity",
           "employeeid": "userID"},
}


def ldif(path):
    """Entries of ldapsearch -LLL output: lower-case attribute -> values."""
    ents, cur = [], None
    joined = []
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line.startswith(" ") and joined:
            joined[-1] += line[1:]
        else:
            joined.append(line)
    for line in joined:
        if not line.strip():
            if cur:
                ents.append(cur)
            cur = None
            continue
        if line.startswith("#"):
            continue
        k, _, v = line.partition(":")
        if v.startswith(":"):
            v = base64.b64decode(v[1:].strip()).decode("utf-8")
        else:
            v = v.strip()
        cur = cur if cur is not None else {}
        cur.setdefault(k.lower(), []).append(v)
    if cur:
        ents.append(cur)
    return ents


def first(e, a):
    v = e.get(a)
    return v[0] if v else ""


def scope(users_path, groups_path, exg, rsg):
    """(mailboxes, lists) AD puts in scope now.

    mailboxes: (domain, kind, name) -> user entry; lists: (domain, "dl",
    name) -> (display name, set of member addresses). The rules of
    docs/plan.md: direct members of the groups, a user in both is in
    neither, lists are the mail-enabled groups in the Exchange group, a
    list's members are its direct members that are mailboxes in scope."""
    users = ldif(users_path)
    groups = ldif(groups_path)
    by_dn = {first(g, "dn").lower(): g for g in groups}
    members = {}
    for name, dn in (("ex", exg), ("rs", rsg)):
        g = by_dn.get(dn.lower())
        members[name] = {m.lower() for m in (g or {}).get("member", [])}
    mbx, mail_of = {}, {}
    for u in users:
        dn = first(u, "dn").lower()
        mail = first(u, "mail").lower()
        local, _, dom = mail.partition("@")
        if not local or dom not in DOMAINS:
            continue
        inx, inr = dn in members["ex"], dn in members["rs"]
        if inx == inr:
            continue
        kind = "ex" if inx else "rs"
        mbx[(dom, kind, local)] = u
        mail_of[dn] = mail
    lists = {}
    for g in groups:
        dn = first(g, "dn").lower()
        mail = first(g, "mail").lower()
        local, _, dom = mail.partition("@")
        if dn not in members["ex"] or not local or dom not in DOMAINS:
            continue
        want = {mail_of[m.lower()] for m in g.get("member", [])
                if m.lower() in mail_of}
        lists[(dom, "dl", local)] = (first(g, "displayname") or first(g, "cn"), want)
    return mbx, lists


def rsemu_objects(state_path):
    """(domain, kind, name) -> object of rsemu's state, contactInfo lifted."""
    st = json.load(open(state_path, encoding="utf-8"))
    keys = {"ex": "exMailboxes", "rs": "rsMailboxes", "contact": "contacts",
            "dl": "distributionLists"}
    out = {}
    for a in st["accounts"]:
        for d in a["domains"]:
            for kind, key in keys.items():
                for o in d.get(key) or []:
                    n = (o.get("name") or o.get("CommonName") or "").lower()
                    flat = dict(o.get("contactInfo") or {})
                    flat.update({k: v for k, v in o.items() if k != "contactInfo"})
                    out[(d["name"].lower(), kind, n)] = flat
    return out


def norm(v):
    return "" if v is None else str(v)


def cmd_expected(a):
    mbx, lists = scope(*a[:4])
    for k in sorted(list(mbx) + list(lists)):
        print(" ".join(k))


def cmd_compare(a):
    users, groups, exg, rsg, state, ever = a[:6]
    mbx, lists = scope(users, groups, exg, rsg)
    got = rsemu_objects(state)
    was = set()
    for line in open(ever, encoding="utf-8"):
        p = line.split()
        if len(p) == 3 and p[1] in ("ex", "rs"):
            was.add(tuple(p))
    diffs = []
    fields = 0
    for k, u in sorted(mbx.items()):
        o = got.get(k)
        if o is None:
            diffs.append("missing mailbox %s" % " ".join(k))
            continue
        en = not (int(first(u, "useraccountcontrol") or "0") & UAC_DISABLED)
        if o.get("enabled") is not en:
            diffs.append("%s: enabled %s, AD says %s" % (" ".join(k), o.get("enabled"), en))
        for attr, field in FIELDS[k[1]].items():
            fields += 1
            want = first(u, attr)
            if attr == "displayname" and not want:
                want = first(u, "cn")
            if norm(o.get(field)) != want:
                diffs.append("%s: %s %r, AD's %s %r" % (" ".join(k), field,
                             o.get(field), attr, want))
    for k in sorted(was - set(mbx)):
        o = got.get(k)
        if o is None:
            diffs.append("missing mailbox %s (left the scope: kept disabled)" % " ".join(k))
        elif o.get("enabled") is not False:
            diffs.append("%s left the scope but is enabled" % " ".join(k))
    for k, (disp, want) in sorted(lists.items()):
        o = got.get(k)
        if o is None:
            diffs.append("missing list %s" % " ".join(k))
            continue
        if norm(o.get("DisplayName")) != disp:
            diffs.append("list %s: DisplayName %r, AD %r" % (k[2], o.get("DisplayName"), disp))
        have = {r["Value"].lower() for r in (o.get("Members") or {}).get("Recipients") or []}
        if have != want:
            diffs.append("list %s@%s: members missing %s, extra %s" % (
                k[2], k[0], " ".join(sorted(want - have)) or "-",
                " ".join(sorted(have - want)) or "-"))
    for k in sorted(set(got) - set(mbx) - was - set(lists)):
        diffs.append("not expected: %s%s" % (" ".join(k), "" if k[1] == "dl" else
                     " (enabled=%s)" % got[k].get("enabled")))
    print("compared: %d mailboxes in scope (%d fields), %d out of scope, %d lists; "
          "rsemu holds %d objects; %d differences" % (
              len(mbx), fields, len(was - set(mbx)), len(lists), len(got), len(diffs)))
    for d in diffs[:40]:
        print("  DIFF " + d)
    sys.exit(1 if diffs else 0)


def rel(r):
    p = unquote(r["path"])
    return (p[len(PRE):] if p.startswith(PRE) else p).lower()


MBX = re.compile(r"^([^/]+)/(ex|rs)/(mailboxes|contacts)/([^/]+)$")
DLS = re.compile(r"^([^/]+)/ex/distributionlists/?$")


def created(r):
    """(domain, kind, name) a POST creates, or None."""
    if r["method"] != "POST":
        return None
    p = rel(r)
    m = MBX.match(p)
    if m:
        kind = "contact" if m.group(3) == "contacts" else m.group(2)
        return (m.group(1), kind, m.group(4))
    m = DLS.match(p)
    if m:
        b = r.get("body") or {}
        name = ""
        if isinstance(b, dict):
            for k in ("CommonName", "commonName", "Name", "name"):
                if isinstance(b.get(k), str):
                    name = b[k]
                    break
        return (m.group(1), "dl", name.lower() or "<no name in body>")
    return None


def opts(a):
    """Positional arguments, --probe UA, --since ID."""
    pos, probe, since = [], "", 0
    i = 0
    while i < len(a):
        if a[i] == "--probe":
            probe = a[i + 1]
            i += 2
        elif a[i] == "--since":
            since = int(a[i + 1])
            i += 2
        else:
            pos.append(a[i])
            i += 1
    return pos, probe, since


def requests(paths, probe, since=0):
    """The requests of several logs, in order, without the probe's."""
    out, dropped = [], 0
    for p in paths:
        log = json.load(open(p, encoding="utf-8"))
        dropped += log.get("dropped", 0)
        out += [r for r in log["requests"]
                if r.get("user_agent") != probe and r["id"] > since]
    return out, dropped


def cmd_creates(a):
    paths, probe, since = opts(a)
    reqs, dropped = requests(paths, probe, since)
    ok, bad, n = {}, [], 0
    for r in reqs:
        k = created(r)
        if k is None:
            continue
        n += 1
        if 200 <= r["status"] < 300:
            ok.setdefault(k, []).append(r)
        elif not r.get("fault") and r["status"] != 403:
            # A fault rsemu injected, or a 403 (its throttle: "Exceeded
            # request limits"), was not processed: sending the create
            # again is right. Anything else (409 "already exists") means
            # a create went out again after one had been made.
            bad.append(r)
    dup = {k: v for k, v in ok.items() if len(v) > 1}
    print("creates=%d objects=%d duplicated=%d failed=%d dropped=%d" % (
        n, len(ok), len(dup), len(bad), dropped))
    for k, v in sorted(dup.items())[:20]:
        print("  DUPLICATE %s: %s" % (" ".join(k), ", ".join(
            "#%d %s %d" % (r["id"], r["time"], r["status"]) for r in v)))
    for r in bad[:20]:
        print("  FAILED CREATE #%d %s %s %s %d" % (
            r["id"], r["time"], r["method"], rel(r), r["status"]))


def is_removal(r):
    if r["method"] == "DELETE":
        return True
    b = r.get("body")
    return r["method"] == "PUT" and isinstance(b, dict) and \
        str(b.get("enabled")).lower() == "false"


def cmd_removals(a):
    paths, probe, since = opts(a)
    reqs, _ = requests(paths, probe, since)
    rem = [r for r in reqs if is_removal(r)]
    print("disables=%d deletes=%d" % (sum(1 for r in rem if r["method"] == "PUT"),
                                      sum(1 for r in rem if r["method"] == "DELETE")))
    for r in rem:
        print("  %s %s %d%s" % (r["method"], rel(r), r["status"],
                                " fault=" + r["fault"] if r.get("fault") else ""))


def ok_status(r):
    return 200 <= r["status"] < 300 and r.get("fault") != "drop_after"


def fkey(r):
    """What a request acts on: its path without the query; a list's create
    named like the list's own path (where its lookup and updates go), or,
    when rsemu failed it before reading the body (no name),
    "DOMAIN/ex/distributionlists/<create>", which every list create of the
    domain resolves."""
    p = rel(r)
    if r["method"] == "POST" and DLS.match(p):
        k = created(r)
        if r.get("body") is None:
            return "%s/ex/distributionlists/<create>" % k[0]
        return "%s/ex/distributionlists/%s" % (k[0], k[2])
    return p


def cmd_failures(a):
    paths, probe, _ = opts(a)
    reqs, _ = requests(paths, probe)
    last, faults, kinds = {}, {}, {}
    for r in reqs:
        key = fkey(r)
        last[key] = r
        m = DLS.match(rel(r))
        if r["method"] == "POST" and m:
            last["%s/ex/distributionlists/<create>" % m.group(1)] = r
        # rsemu's throttle (a 403 "Exceeded request limits") counts too.
        f = r.get("fault") or ("throttle403" if r["status"] == 403 else None)
        if f and f != "latency":
            faults.setdefault(key, []).append(r)
            kinds[f] = kinds.get(f, 0) + 1
    unresolved = []
    for key, fl in faults.items():
        r = last[key]
        # A lookup or a retried DELETE may end on 404: the object is not
        # there (a create sent after it, or the delete took effect).
        good = ok_status(r) or (r["method"] in ("GET", "DELETE") and
                                r["status"] == 404 and not r.get("fault"))
        # The domain's list creates as a whole: a create rsemu carried out
        # before it dropped the connection (drop_after) did reach it; that
        # list's own path (its name) must still be resolved, by a lookup or
        # a create, and is checked as its own key.
        if key.endswith("/<create>") and r.get("fault") == "drop_after":
            good = True
        if not good:
            unresolved.append((key, fl, r))
    print("faults=%d paths=%d unresolved=%d by kind: %s" % (
        sum(len(v) for v in faults.values()), len(faults), len(unresolved),
        " ".join("%s=%d" % kv for kv in sorted(kinds.items())) or "-"))
    for key, fl, r in unresolved[:20]:
        print("  UNRESOLVED %s: %d faults, last %s #%d status %d fault=%s" % (
            key, len(fl), r["method"], r["id"], r["status"], r.get("fault")))


def cmd_attempts(a):
    most, where = 0, ""
    att = re.compile(r"rs_client_log: api req=(\d+) method=(\S+) path=(\S+) .*attempt=(\d+)")
    for p in a:
        for line in open(p, encoding="utf-8", errors="replace"):
            m = att.search(line)
            if m and int(m.group(4)) > most:
                most, where = int(m.group(4)), "%s %s" % (m.group(2), m.group(3))
    print("%d %s" % (most, where))


def when(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()


def cmd_seen(a):
    paths, probe, _ = opts(a)
    what = paths.pop()
    reqs, _ = requests(paths, probe)
    sys.exit(0 if any(what == "request" or r["method"] != "GET" for r in reqs) else 1)


def cmd_atkill(a):
    paths, probe, _ = opts(a)
    kt = float(paths.pop())
    reqs, _ = requests(paths, probe)
    writes = [r for r in reqs if r["method"] != "GET"]
    creates = [r for r in writes if created(r)]
    fl = [r for r in writes
          if when(r["time"]) <= kt < when(r["time"]) + r.get("latency_ms", 0) / 1000.0]
    print("requests=%d writes=%d creates=%d in_flight=%d in_flight_creates=%d" % (
        len(reqs), len(writes), len(creates), len(fl), sum(1 for r in fl if created(r))))
    for r in fl[:3]:
        print("  in flight: %s %s %s (logged %s, +%d ms)" % (
            r["method"], rel(r), r["status"], r["time"], r.get("latency_ms", 0)))


def cmd_passwords(a):
    url, path = a[:2]
    final = {}
    for line in open(path, encoding="utf-8"):
        p = line.rstrip("\n").split(" ", 1)
        if len(p) == 2:
            final[p[0]] = p[1]
    bad = []
    for who, pw in sorted(final.items()):
        name, _, dom = who.partition("@")
        body = json.dumps({"domain": dom, "mailbox": name, "password": pw}).encode()
        req = urllib.request.Request(url + "/_emu/verify-password", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as f:
                match = json.load(f).get("match")
        except Exception as e:	# noqa: BLE001 - any failure is a mismatch
            match = "error: %s" % e
        if match is not True:
            bad.append("%s: %s" % (who, match))
    print("mailboxes=%d wrong=%d" % (len(final), len(bad)))
    for b in bad[:20]:
        print("  WRONG PASSWORD " + b)
    sys.exit(1 if bad else 0)


CMDS = {"expected": cmd_expected, "compare": cmd_compare, "creates": cmd_creates,
        "removals": cmd_removals, "failures": cmd_failures, "attempts": cmd_attempts,
        "passwords": cmd_passwords, "seen": cmd_seen, "atkill": cmd_atkill}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.exit(__doc__)
    CMDS[sys.argv[1]](sys.argv[2:])

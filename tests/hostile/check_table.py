#!/usr/bin/env python3
"""The hostile-input table itself (tests/hostile/cases.md):

    check_table.py cases.md

Every row has its seven cells; names are unique lower-case identifiers;
the category is one of the runners' and the "where" one that runner
knows; inject, expect and unaffected are not empty; the status is "ok" or
"xfail: TODO(#9) <why>"; every category has rows; there are 40 cases or
more. Prints the count per category and the known bugs. Exit 0 or 1.
"""
import re
import sys

WHERE = {
    "ad": {"sample", "proxy", "raw", "decoder", "large"},
    "api": {"read", "write"},
    "hook": {"daemon"},
    "console": {"daemon", "web_gate"},
    "conf": {"every-key", "key", "file"},
}


def main():
    path = sys.argv[1]
    errors, names, per, xfail = [], set(), {}, []
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        if not re.match(r"^\| *[a-z0-9_]+ *\|", line):
            continue
        cells = [c.strip() for c in line.rstrip("\n").split("|")[1:-1]]
        if cells[0] == "case":
            continue
        where = "%s:%d" % (path, no)
        if len(cells) != 7:
            errors.append("%s: %d cells, want 7 (a '|' in a cell?)"
                          % (where, len(cells)))
            continue
        name, cat, wh, inject, expect, unaff, status = cells
        if name in names:
            errors.append("%s: case %s twice" % (where, name))
        names.add(name)
        if cat not in WHERE:
            errors.append("%s: unknown category %s" % (where, cat))
        elif wh not in WHERE[cat]:
            errors.append("%s: %s has no \"where\" %s" % (where, cat, wh))
        for label, v in (("inject", inject), ("expect", expect),
                         ("unaffected", unaff)):
            if not v:
                errors.append("%s: %s: empty %s" % (where, name, label))
        if status != "ok" and not status.startswith("xfail: TODO(#9) "):
            errors.append("%s: %s: status must be ok or \"xfail: TODO(#9) "
                          "...\"" % (where, name))
        if status.startswith("xfail"):
            xfail.append(name)
        per[cat] = per.get(cat, 0) + 1
    for cat in WHERE:
        if not per.get(cat):
            errors.append("no case of category %s" % cat)
    total = sum(per.values())
    if total < 40:
        errors.append("%d cases, want at least 40" % total)
    for e in errors:
        print("FAIL " + e)
    print("%d cases (%s; the conf wrong-type rows expand to one case per "
          "key); %d known bug(s): %s" % (
              total, ", ".join("%s %d" % kv for kv in sorted(per.items())),
              len(xfail), " ".join(xfail)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

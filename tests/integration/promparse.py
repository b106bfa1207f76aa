#!/usr/bin/env python3
"""A strict parser and validator of the Prometheus text exposition format
0.0.4, for adsync's metrics (docs/daemon.md "Metrics").

Stricter than Prometheus itself where adsync promises more: every family
has one # HELP and one # TYPE, both before its samples; counters end in
_total and never go below zero; a family's lines are contiguous; no series
appears twice; histograms have cumulative, non-decreasing buckets in
ascending `le` order ending at +Inf, whose count equals _count, and a _sum.

As a module:
    fams = promparse.parse(text)        # raises promparse.ParseError
    fams["adsync_up"].type              # "gauge"
    promparse.value(fams, "adsync_api_calls_total", status="200")
    promparse.total(fams, "adsync_objects", service="exchange")
As a program:
    promparse.py FILE        (or - for stdin): "ok: N families, M samples"
                             and exit 0, or "FILE:LINE: why" and exit 1.
Plain python3, no dependencies (tests/integration/test_promparse.py tests
it).
"""
import math
import re
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
# Go's strconv.ParseFloat as Prometheus accepts it, minus hex and
# underscores (we never write those).
FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf)\Z|NaN\Z|nan\Z")
TIMESTAMP = re.compile(r"-?\d+\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count")}


class ParseError(ValueError):
    """A violation of the format, at `line` (1-based; 0: the whole text)."""

    def __init__(self, line, msg):
        super().__init__("line %d: %s" % (line, msg) if line else msg)
        self.line = line
        self.msg = msg


class Sample:
    def __init__(self, name, labels, value, timestamp, line):
        self.name = name            # the sample's own name (x_bucket, ...)
        self.labels = labels        # dict
        self.value = value          # float
        self.timestamp = timestamp  # int ms or None
        self.line = line

    def __repr__(self):
        return "Sample(%r, %r, %r)" % (self.name, self.labels, self.value)


class Family:
    def __init__(self, name):
        self.name = name
        self.type = None
        self.help = None
        self.samples = []
        self.line = 0


def parse_float(s, line, what="value"):
    if not FLOAT.match(s):
        raise ParseError(line, "%s %r is not a float" % (what, s))
    return float(s)


def _unescape_help(s, line):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s) or s[i + 1] not in "\\n":
                raise ParseError(line, "bad escape in HELP text: only \\\\ "
                                 "and \\n are allowed")
            out.append("\\" if s[i + 1] == "\\" else "\n")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _parse_labels(s, i, line):
    """Parses {name="value",...} from s[i] == "{"; returns (dict, next)."""
    labels = {}
    i += 1
    while True:
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        if not m:
            raise ParseError(line, "bad label name at column %d" % (i + 1))
        name = m.group(0)
        if name.startswith("__"):
            raise ParseError(line, "label name %r is reserved (starts "
                             "with __)" % name)
        if name in labels:
            raise ParseError(line, "label %r given twice" % name)
        i = m.end()
        while i < len(s) and s[i] in " \t":
            i += 1
        if i >= len(s) or s[i] != "=":
            raise ParseError(line, "'=' expected after label %r" % name)
        i += 1
        while i < len(s) and s[i] in " \t":
            i += 1
        if i >= len(s) or s[i] != '"':
            raise ParseError(line, "'\"' expected to open the value of "
                             "label %r" % name)
        i += 1
        val = []
        while True:
            if i >= len(s):
                raise ParseError(line, "the value of label %r is not "
                                 "closed" % name)
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    raise ParseError(line, "bad escape in the value of "
                                     "label %r: only \\\\, \\\" and \\n "
                                     "are allowed" % name)
                val.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
                continue
            val.append(c)
            i += 1
        labels[name] = "".join(val)
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s) and s[i] == ",":
            i += 1
            continue
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        raise ParseError(line, "',' or '}' expected after label %r" % name)


def _family_of(fams, sname):
    """The declared family a sample name belongs to, or None."""
    if sname in fams and fams[sname].type is not None:
        return fams[sname]
    for typ, sufs in SUFFIXES.items():
        for suf in sufs:
            if sname.endswith(suf):
                base = sname[:-len(suf)]
                f = fams.get(base)
                if f is not None and f.type == typ:
                    return f
    return None


def _check_family(f):
    """The per-family rules, once all its samples are known."""
    if f.type is None:
        raise ParseError(f.line, "family %s has # HELP but no # TYPE" % f.name)
    if f.help is None:
        raise ParseError(f.line, "family %s has no # HELP" % f.name)
    if f.type == "counter":
        if not f.name.endswith("_total"):
            raise ParseError(f.line, "counter %s does not end in _total"
                             % f.name)
        for s in f.samples:
            if math.isnan(s.value) or s.value < 0:
                raise ParseError(s.line, "counter %s has value %r (must be "
                                 ">= 0)" % (f.name, s.value))
    if f.type == "histogram":
        _check_histogram(f)
    if f.type == "summary":
        _check_summary(f)


def _group_key(labels, drop):
    return tuple(sorted((k, v) for k, v in labels.items() if k != drop))


def _check_histogram(f):
    groups = {}
    for s in f.samples:
        suf = s.name[len(f.name):]
        if suf not in SUFFIXES["histogram"]:
            raise ParseError(s.line, "histogram %s has a sample named %s "
                             "(only _bucket, _sum and _count)" % (f.name, s.name))
        if suf == "_bucket" and "le" not in s.labels:
            raise ParseError(s.line, "%s has no le label" % s.name)
        if suf != "_bucket" and "le" in s.labels:
            raise ParseError(s.line, "%s must not have an le label" % s.name)
        g = groups.setdefault(_group_key(s.labels, "le"),
                              {"buckets": [], "sum": None, "count": None,
                               "line": s.line})
        if suf == "_bucket":
            le = parse_float(s.labels["le"], s.line, "le")
            if math.isnan(le):
                raise ParseError(s.line, "le is NaN")
            g["buckets"].append((le, s))
        elif suf == "_sum":
            g["sum"] = s
        else:
            g["count"] = s
    for key, g in groups.items():
        where = "histogram %s%s" % (f.name, dict(key) if key else "")
        b = g["buckets"]
        if not b:
            raise ParseError(g["line"], "%s has no buckets" % where)
        prev_le, prev_v = -math.inf, 0.0
        for le, s in b:
            if le <= prev_le:
                raise ParseError(s.line, "%s: buckets are not in ascending "
                                 "le order (%s after %s)" % (where, le, prev_le))
            if math.isnan(s.value) or s.value < prev_v:
                raise ParseError(s.line, "%s: bucket le=%s holds %s, less "
                                 "than the one before (%s): buckets are "
                                 "cumulative" % (where, s.labels["le"],
                                                 s.value, prev_v))
            prev_le, prev_v = le, s.value
        if not math.isinf(b[-1][0]):
            raise ParseError(b[-1][1].line, "%s has no le=\"+Inf\" bucket"
                             % where)
        if g["count"] is None:
            raise ParseError(g["line"], "%s has no _count" % where)
        if g["sum"] is None:
            raise ParseError(g["line"], "%s has no _sum" % where)
        if g["count"].value != b[-1][1].value:
            raise ParseError(g["count"].line, "%s: _count %s differs from "
                             "the +Inf bucket %s" % (where, g["count"].value,
                                                     b[-1][1].value))


def _check_summary(f):
    groups = {}
    for s in f.samples:
        suf = s.name[len(f.name):]
        if suf == "":
            if "quantile" not in s.labels:
                raise ParseError(s.line, "summary %s sample without a "
                                 "quantile label" % f.name)
            q = parse_float(s.labels["quantile"], s.line, "quantile")
            if not 0 <= q <= 1:
                raise ParseError(s.line, "quantile %s is not in [0, 1]" % q)
        elif suf not in SUFFIXES["summary"]:
            raise ParseError(s.line, "summary %s has a sample named %s"
                             % (f.name, s.name))
        g = groups.setdefault(_group_key(s.labels, "quantile"), set())
        g.add(suf)
    for key, g in groups.items():
        for suf in ("_sum", "_count"):
            if suf not in g:
                raise ParseError(f.line, "summary %s%s has no %s"
                                 % (f.name, dict(key) if key else "", suf))


def parse(text):
    """Parses and validates `text`; returns {family name: Family}."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ParseError(0, "not UTF-8: %s" % e)
    if text and not text.endswith("\n"):
        raise ParseError(text.count("\n") + 1, "the last line does not end "
                         "with a newline")
    fams = {}
    closed = set()      # families whose lines ended
    current = None      # the family of the previous line
    series = set()

    def enter(f, line):
        nonlocal current
        if current is not f:
            if f.name in closed:
                raise ParseError(line, "the lines of family %s are not "
                                 "together (it appeared before another "
                                 "family)" % f.name)
            if current is not None:
                closed.add(current.name)
            current = f

    for n, raw in enumerate(text.split("\n")[:-1], 1):
        if "\r" in raw:
            raise ParseError(n, "carriage return in the line")
        if raw.strip() == "":
            continue
        if raw.startswith("#"):
            parts = raw[1:].lstrip(" \t")
            m = re.match(r"(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?\Z", parts)
            if not m or not raw[1:2] in (" ", "\t"):
                continue    # a comment
            kw, name, rest = m.group(1), m.group(2), m.group(3) or ""
            if not METRIC_NAME.match(name):
                raise ParseError(n, "bad metric name %r" % name)
            f = fams.get(name)
            if f is None:
                f = fams[name] = Family(name)
                f.line = n
            enter(f, n)
            if f.samples:
                raise ParseError(n, "# %s %s after its samples" % (kw, name))
            if kw == "HELP":
                if f.help is not None:
                    raise ParseError(n, "second # HELP for %s" % name)
                f.help = _unescape_help(rest, n)
            else:
                if f.type is not None:
                    raise ParseError(n, "second # TYPE for %s" % name)
                if rest.strip() not in TYPES:
                    raise ParseError(n, "unknown type %r for %s (one of %s)"
                                     % (rest, name, ", ".join(TYPES)))
                f.type = rest.strip()
                # x_count declared while histogram x exists, or the other
                # way round: the names would clash.
                if _family_of({k: v for k, v in fams.items() if k != name},
                              name) is not None:
                    raise ParseError(n, "family %s clashes with the samples "
                                     "of another family" % name)
                for suf in SUFFIXES.get(f.type, ()):
                    if name + suf in fams:
                        raise ParseError(n, "%s %s clashes with family %s"
                                         % (f.type, name, name + suf))
            continue
        m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(raw)
        if not m:
            raise ParseError(n, "a sample must start with a metric name")
        sname, i = m.group(0), m.end()
        labels = {}
        if i < len(raw) and raw[i] == "{":
            labels, i = _parse_labels(raw, i, n)
        rest = raw[i:]
        if not rest or rest[0] not in " \t":
            raise ParseError(n, "a blank and a value expected after %s"
                             % sname)
        toks = rest.split()
        if len(toks) not in (1, 2):
            raise ParseError(n, "a value and an optional timestamp "
                             "expected, found %r" % rest.strip())
        value = parse_float(toks[0], n)
        ts = None
        if len(toks) == 2:
            if not TIMESTAMP.match(toks[1]):
                raise ParseError(n, "timestamp %r is not an integer" % toks[1])
            ts = int(toks[1])
        f = _family_of(fams, sname)
        if f is None:
            raise ParseError(n, "sample %s before any # TYPE of its family"
                             % sname)
        enter(f, n)
        key = (sname, tuple(sorted(labels.items())))
        if key in series:
            raise ParseError(n, "series %s%s appears twice" % (sname, labels or ""))
        series.add(key)
        if f.type not in SUFFIXES and sname != f.name:
            raise ParseError(n, "sample %s in family %s" % (sname, f.name))
        f.samples.append(Sample(sname, labels, value, ts, n))
    for f in fams.values():
        _check_family(f)
    return fams


def samples(fams, name, **labels):
    """The samples named `name` (a family's, or x_bucket/x_sum/x_count)
    whose labels include `labels`."""
    f = _family_of(fams, name)
    if f is None:
        return []
    return [s for s in f.samples if s.name == name and
            all(s.labels.get(k) == v for k, v in labels.items())]


def value(fams, name, **labels):
    """The value of the one series `name{labels}` (exact label set);
    KeyError when there is none."""
    for s in samples(fams, name):
        if s.labels == labels:
            return s.value
    raise KeyError("%s%s" % (name, labels or ""))


def total(fams, name, **labels):
    """The sum of the samples named `name` whose labels include
    `labels`."""
    return sum(s.value for s in samples(fams, name, **labels))


def main(argv):
    if len(argv) != 2:
        print("usage: promparse.py FILE (or - for stdin)", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    except OSError as e:
        print("%s: %s" % (path, e.strerror), file=sys.stderr)
        return 2
    try:
        fams = parse(data)
    except ParseError as e:
        print("%s:%d: %s" % (path, e.line, e.msg), file=sys.stderr)
        return 1
    print("ok: %d families, %d samples" % (
        len(fams), sum(len(f.samples) for f in fams.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

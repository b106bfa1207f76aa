#!/usr/bin/env python3
"""Self-test of tests/integration/promparse.py, the strict parser of the
Prometheus text format that checks adsync's metrics: valid texts parse to
what they say, and each invalid one is refused with the reason it was
written for; the command line exits 0 or 1 with FILE:LINE. Plain python3
(no pytest): prints one line per case, exits 1 if any failed. Registered
in CTest by tests/integration/metrics.cmake.
"""
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promparse  # noqa: E402

FAILS = 0


def ok(name):
    print("ok   %s" % name)


def fail(name, why):
    global FAILS
    FAILS += 1
    print("FAIL %s: %s" % (name, why))


def valid(name, text, check=None):
    try:
        fams = promparse.parse(text)
    except promparse.ParseError as e:
        fail(name, "refused: %s" % e)
        return
    if check is not None:
        try:
            check(fams)
        except AssertionError as e:
            fail(name, "parsed, but: %s" % e)
            return
    ok(name)


def invalid(name, text, want, line=None):
    try:
        promparse.parse(text)
    except promparse.ParseError as e:
        if want.lower() not in str(e).lower():
            fail(name, "refused for another reason: %s (wanted %r)"
                 % (e, want))
        elif line is not None and e.line != line:
            fail(name, "refused at line %d, wanted line %d" % (e.line, line))
        else:
            ok(name)
        return
    fail(name, "accepted")


GAUGE = "# HELP g A gauge.\n# TYPE g gauge\n"
HIST_HEAD = "# HELP h A histogram.\n# TYPE h histogram\n"
HIST = HIST_HEAD + (
    'h_bucket{le="0.1"} 1\n'
    'h_bucket{le="1"} 2\n'
    'h_bucket{le="+Inf"} 3\n'
    "h_sum 4.5\n"
    "h_count 3\n")

# ---- valid ----

valid("one gauge", GAUGE + "g 1\n",
      lambda f: promparse.value(f, "g") == 1 or (_ for _ in ()).throw(
          AssertionError("value")))


def check_escapes(f):
    s = f["g"].samples[0]
    assert s.labels == {"a": 'x"y\\z\nw', "b": ""}, s.labels
    assert f["g"].help == "Back\\slash\nnew line.", repr(f["g"].help)


valid("label escapes, HELP escapes, empty label value",
      '# HELP g Back\\\\slash\\nnew line.\n# TYPE g gauge\n'
      'g{a="x\\"y\\\\z\\nw",b=""} 2\n', check_escapes)


def check_floats(f):
    v = [s.value for s in f["g"].samples]
    assert v[0] == math.inf and v[1] == -math.inf and math.isnan(v[2]), v
    assert v[3] == 1.5e-7 and v[4] == -0.5 and v[5] == 12.0, v


valid("special and exponent floats",
      GAUGE + 'g{i="1"} +Inf\ng{i="2"} -Inf\ng{i="3"} NaN\n'
      'g{i="4"} 1.5e-7\ng{i="5"} -.5\ng{i="6"} 12.\n', check_floats)
valid("a timestamp", GAUGE + "g 1 1700000000000\n",
      lambda f: None if f["g"].samples[0].timestamp == 1700000000000
      else (_ for _ in ()).throw(AssertionError("timestamp")))
valid("a trailing comma in labels, blanks around", GAUGE +
      'g{ a = "1" , } 1\n')
valid("comments and blank lines", "# a comment\n\n" + GAUGE +
      "#HELP not a keyword without the blank\ng 1\n\n")
valid("a family with no samples", GAUGE +
      "# HELP c_total Nothing yet.\n# TYPE c_total counter\n")
valid("the empty text", "")


def check_hist(f):
    assert promparse.value(f, "h_count") == 3
    assert promparse.value(f, "h_bucket", le="+Inf") == 3
    assert len(promparse.samples(f, "h_bucket")) == 3


valid("a histogram", HIST, check_hist)
valid("a histogram per label set", HIST_HEAD +
      'h_bucket{x="a",le="1"} 0\nh_bucket{x="a",le="+Inf"} 2\n'
      'h_sum{x="a"} 3\nh_count{x="a"} 2\n'
      'h_bucket{x="b",le="1"} 1\nh_bucket{x="b",le="+Inf"} 1\n'
      'h_sum{x="b"} 0.5\nh_count{x="b"} 1\n')
valid("a summary", "# HELP s S.\n# TYPE s summary\n"
      's{quantile="0.5"} 1\ns{quantile="0.99"} 2\ns_sum 10\ns_count 5\n')
valid("untyped", "# HELP u U.\n# TYPE u untyped\nu 3\n")
valid("total() sums over a label", GAUGE + 'g{k="a",s="1"} 2\n'
      'g{k="a",s="2"} 3\ng{k="b",s="1"} 7\n',
      lambda f: None if promparse.total(f, "g", k="a") == 5 and
      promparse.total(f, "g") == 12
      else (_ for _ in ()).throw(AssertionError("total")))
valid("bytes in UTF-8", (GAUGE + 'g{n="Zoë"} 1\n').encode("utf-8"))

# ---- invalid ----

invalid("bad metric name", GAUGE + "1g 1\n", "start with a metric name")
invalid("bad metric name in TYPE", "# TYPE 9x gauge\n", "bad metric name")
invalid("bad label name", GAUGE + 'g{1a="x"} 1\n', "bad label name")
invalid("reserved label name", GAUGE + 'g{__name__="x"} 1\n', "reserved")
invalid("label given twice", GAUGE + 'g{a="1",a="2"} 1\n', "twice")
invalid("bad escape in a label value", GAUGE + 'g{a="\\t"} 1\n',
        "bad escape")
invalid("raw quote ends the value early", GAUGE + 'g{a="x"y"} 1\n',
        "',' or '}' expected")
invalid("unclosed label value", GAUGE + 'g{a="x} 1\n', "not closed")
invalid("unclosed labels", GAUGE + 'g{a="x" 1\n', "',' or '}' expected")
invalid("no value", GAUGE + "g\n", "value expected")
invalid("no blank before the value", GAUGE + 'g{a="1"}1\n',
        "value expected")
invalid("value not a float", GAUGE + "g 1.2.3\n", "not a float")
invalid("value with a unit", GAUGE + "g 12ms\n", "not a float")
invalid("too many fields", GAUGE + "g 1 2 3\n", "optional timestamp")
invalid("timestamp not an integer", GAUGE + "g 1 2.5\n",
        "not an integer")
invalid("unknown type", "# HELP g G.\n# TYPE g gaugе\n", "unknown type")
invalid("second TYPE", GAUGE + "# TYPE g gauge\ng 1\n", "second # TYPE")
invalid("second HELP", GAUGE + "# HELP g again\ng 1\n", "second # HELP")
invalid("TYPE after the samples", "# HELP g G.\n# TYPE g gauge\ng 1\n"
        "# TYPE g gauge\n", "after its samples")
invalid("HELP after the samples", "# TYPE g gauge\ng 1\n# HELP g G.\n",
        "after its samples")
invalid("no HELP", "# TYPE g gauge\ng 1\n", "no # HELP")
invalid("HELP but no TYPE", "# HELP g G.\n", "no # TYPE")
invalid("sample before TYPE", "g 1\n", "before any # TYPE", line=1)
invalid("duplicate series", GAUGE + 'g{a="1",b="2"} 1\ng{b="2",a="1"} 2\n',
        "appears twice", line=4)
invalid("family not contiguous", GAUGE + "g 1\n# HELP k K.\n# TYPE k gauge\n"
        'k 1\ng{a="1"} 2\n', "not together")
invalid("counter without _total", "# HELP c C.\n# TYPE c counter\nc 1\n",
        "does not end in _total")
invalid("negative counter", "# HELP c_total C.\n# TYPE c_total counter\n"
        "c_total -1\n", ">= 0")
invalid("NaN counter", "# HELP c_total C.\n# TYPE c_total counter\n"
        "c_total NaN\n", ">= 0")
invalid("no final newline", GAUGE + "g 1", "newline")
invalid("carriage return", GAUGE.replace("\n", "\r\n") + "g 1\r\n",
        "carriage return")
invalid("not UTF-8", (GAUGE + 'g{n="').encode() + b'\xff"} 1\n', "utf-8")
invalid("histogram without +Inf", HIST_HEAD + 'h_bucket{le="1"} 1\n'
        "h_sum 1\nh_count 1\n", "+Inf")
invalid("histogram buckets decrease", HIST_HEAD + 'h_bucket{le="1"} 2\n'
        'h_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', "cumulative")
invalid("histogram le out of order", HIST_HEAD + 'h_bucket{le="1"} 1\n'
        'h_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
        "ascending le")
invalid("histogram +Inf differs from _count", HIST.replace("h_count 3",
        "h_count 4"), "differs from the +Inf bucket")
invalid("histogram without _sum", HIST.replace("h_sum 4.5\n", ""),
        "no _sum")
invalid("histogram without _count", HIST.replace("h_count 3\n", ""),
        "no _count")
invalid("histogram bucket without le", HIST_HEAD + "h_bucket 1\n"
        'h_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', "no le label")
invalid("histogram le not a float", HIST_HEAD + 'h_bucket{le="one"} 1\n'
        'h_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', "le 'one'")
invalid("histogram plain sample", HIST + "h 1\n", "only _bucket")
invalid("histogram _count with le", HIST_HEAD + 'h_bucket{le="+Inf"} 1\n'
        'h_sum 1\nh_count{le="+Inf"} 1\n', "must not have an le")
invalid("summary quantile out of range", "# HELP s S.\n# TYPE s summary\n"
        's{quantile="2"} 1\ns_sum 1\ns_count 1\n', "not in [0, 1]")
invalid("names clash with a histogram", HIST_HEAD +
        "# HELP h_count C.\n# TYPE h_count gauge\n", "clashes")

# ---- the command line ----


def cli(text):
    with tempfile.NamedTemporaryFile("w", suffix=".prom", delete=False) as t:
        t.write(text)
    try:
        p = subprocess.run([sys.executable, os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "promparse.py"), t.name],
            capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr, t.name
    finally:
        os.unlink(t.name)


rc, out, path = cli(HIST + GAUGE + "g 1\n")
if rc == 0 and "ok: 2 families, 6 samples" in out:
    ok("cli: a valid file")
else:
    fail("cli: a valid file", "exit %d: %s" % (rc, out))
rc, out, path = cli(GAUGE + "g 1\ng 2\n")
if rc == 1 and "%s:4: series g appears twice" % path in out:
    ok("cli: an invalid file says FILE:LINE: why")
else:
    fail("cli: an invalid file", "exit %d: %s" % (rc, out))

print("%s: %d failed" % (os.path.basename(__file__), FAILS))
sys.exit(1 if FAILS else 0)

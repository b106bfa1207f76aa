#!/bin/bash
# The daemon's metrics end to end (issue 8, docs/daemon.md "Metrics"):
#   test_metrics.sh ADSYNC RSEMU SRCDIR
# `adsync daemon` against the sample organisation in Samba and rsemu: after
# the first cycle and one change in AD that reaches rsemu by itself, the
# control socket's {"cmd":"metrics"} answers an exposition that the strict
# parser (promparse.py) accepts, with real values: the synced objects are
# the sample's (and rsemu's), the API calls with status 200 are the 2xx
# answers in rsemu's request log for the daemon's user agent, the change
# has a latency, the creates are in the journal, and the cycles counted.
# Skipped (77) without root, Samba or python3 (sync_env.sh).
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

PROMPARSE=$SRCDIR/tests/integration/promparse.py
SOCK=$W/state/ctl.sock
ALICE="CN=Alice Anderson,$PEOPLE"

ctl() { "$ADSYNC" -c "$CONF" "$@"; }
# ctl_raw JSON OUT: one request on the control socket, the answer's line
# into OUT (docs/ctl.md: one JSON line each way).
ctl_raw() {
	python3 - "$SOCK" "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
s.close()
open(sys.argv[3], "wb").write(buf)
PY
}
# metrics OUT: the exposition text into OUT (OUT.json: the whole answer).
metrics() {
	ctl_raw '{"cmd":"metrics"}' "$1.json" &&
	    python3 -c '
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
if "text" not in a:
    sys.exit("no text in the answer: %s" % a)
open(sys.argv[2], "w", encoding="utf-8").write(a["text"])' "$1.json" "$1"
}
status_json() { ctl status --json 2>/dev/null; }
cycles_done() {	# N: at least N cycles have ended, and none runs
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d.get("cycles", 0) >= int(sys.argv[1]) and d["state"] == "idle" else 1)' "$1"
}
field_is() {	# DOMAIN KIND NAME FIELD VALUE: rsemu has it now
	emu_state >/dev/null 2>&1
	[ "$(st_field "$1" "$2" "$3" "$4")" = "$5" ]
}
# q EXPR: evaluates a Python expression over the last metrics ($W/m.prom
# parsed as `f`; value, total and samples from promparse), prints it.
q() {
	python3 - "$PROMPARSE" "$W/m.prom" "$1" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import promparse
from promparse import value, total, samples
f = promparse.parse(open(sys.argv[2], "rb").read())
r = eval(sys.argv[3])
print(int(r) if isinstance(r, float) and r.is_integer() else r)
PY
}

echo "=== start"
T_START=$(date +%s)
"$ADSYNC" -c "$CONF" -v daemon --allow-root > "$W/daemon.out" 2> "$W/daemon.err" &
DPID=$!
BG_PID=$DPID	# killed by sync_cleanup if the test dies
wait_for "control socket up" 10 test -S "$SOCK"
wait_for "first cycle done" 60 cycles_done 1
emu_state
sample_mailboxes_as_expected

echo "=== a change in AD reaches rsemu by itself"
N0=$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycles"])')
ad_set "$ALICE" title "Metrics Officer"
wait_for "title change reaches rsemu" 15 field_is example.com ex alice.anderson jobTitle "Metrics Officer"
wait_for "its cycle ended" 15 cycles_done $((N0 + 1))

echo "=== metrics over the control socket"
check "the metrics command answers" metrics "$W/m.prom"
head -n 12 "$W/m.prom"
echo "... ($(wc -l < "$W/m.prom") lines)"
check "promparse accepts the exposition" python3 "$PROMPARSE" "$W/m.prom"
check "the answer names the content type" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert a["content_type"] == "text/plain; version=0.0.4; charset=utf-8", a' "$W/m.prom.json"
check "every family has # HELP and # TYPE" python3 -c '
import sys
t = open(sys.argv[1]).read()
want = """adsync_up adsync_build_info adsync_start_time_seconds adsync_objects
adsync_operations_total adsync_held_operations adsync_api_calls_total
adsync_api_attempts_total adsync_api_throttled_total adsync_api_retries_total
adsync_api_queue_wait_seconds_total adsync_api_queue_waits_total
adsync_queue_length adsync_sync_running adsync_cycles_total
adsync_change_latency_seconds adsync_last_success_timestamp_seconds
adsync_last_run_duration_seconds adsync_change_notifications_up
adsync_alerts_open adsync_password_sync_enabled adsync_password_queue_length
adsync_password_hook_last_heartbeat_timestamp_seconds adsync_password_hook_up
adsync_password_hooks""".split()
missing = [n for n in want if "# HELP %s " % n not in t or "# TYPE %s " % n not in t]
sys.exit("missing: %s" % missing if missing else 0)' "$W/m.prom"

expect "adsync_up" "$(q 'value(f, "adsync_up")')" 1
VERSION=$("$ADSYNC" --version 2>/dev/null | awk '{print $NF; exit}')
expect "adsync_build_info names this build" "$(q 'samples(f, "adsync_build_info")[0].labels["version"]')" "$VERSION"
check "adsync_start_time_seconds is when it started" test "$(q 'value(f, "adsync_start_time_seconds")')" -ge "$T_START"
expect "adsync_sync_running (idle)" "$(q 'value(f, "adsync_sync_running")')" 0
expect "adsync_queue_length (idle)" "$(q 'value(f, "adsync_queue_length")')" 0
expect "change notifications up" "$(q 'value(f, "adsync_change_notifications_up")')" 1

echo "--- synced objects: the sample's, and rsemu's"
emu_state
n_names() { st_names "$1" "$2" | wc -l; }
EX_MBX=$(( $(n_names example.com ex) + $(n_names example.net ex) ))
RS_MBX=$(( $(n_names example.com rs) + $(n_names example.net rs) ))
CONTACTS=$(( $(n_names example.com contact) + $(n_names example.net contact) ))
LISTS=$(( $(n_names example.com dl) + $(n_names example.net dl) ))
echo "rsemu: $EX_MBX Exchange mailboxes, $RS_MBX Rackspace Email mailboxes, $CONTACTS contacts, $LISTS lists"
expect "Exchange mailboxes are the sample's" "$EX_MBX" "$(words "$SAMPLE_EX_COM" | wc -l)"
expect "Rackspace Email mailboxes are the sample's" "$RS_MBX" "$(words "$SAMPLE_RS_COM $SAMPLE_RS_NET" | wc -l)"
expect "adsync_objects: Exchange mailboxes = rsemu's" "$(q 'total(f, "adsync_objects", service="exchange", kind="mailbox")')" "$EX_MBX"
expect "adsync_objects: Rackspace Email mailboxes = rsemu's" "$(q 'total(f, "adsync_objects", service="rackspace_email", kind="mailbox")')" "$RS_MBX"
expect "adsync_objects: contacts = rsemu's" "$(q 'total(f, "adsync_objects", kind="contact")')" "$CONTACTS"
expect "adsync_objects: lists = rsemu's" "$(q 'total(f, "adsync_objects", kind="list")')" "$LISTS"
expect "adsync_objects: in all = rsemu's" "$(q 'total(f, "adsync_objects")')" $((EX_MBX + RS_MBX + CONTACTS + LISTS))
# dora and derek are disabled in AD: their mailboxes too.
expect "adsync_objects: disabled Exchange mailboxes (dora)" "$(q 'value(f, "adsync_objects", service="exchange", kind="mailbox", state="disabled")')" 1
expect "adsync_objects: disabled Rackspace Email mailboxes (derek)" "$(q 'value(f, "adsync_objects", service="rackspace_email", kind="mailbox", state="disabled")')" 1
status_json > "$W/status.json"
expect "adsync_objects in all = status's objects" "$(q 'total(f, "adsync_objects")')" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["objects"])' "$W/status.json")"
expect "adsync_alerts_open = status's alerts" "$(q 'value(f, "adsync_alerts_open")')" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alerts"])' "$W/status.json")"
expect_ge "adsync_alerts_open (the sample's empty mail)" "$(q 'value(f, "adsync_alerts_open")')" 1

echo "--- API calls: rsemu's request log for the daemon's user agent"
curl -sf -o "$W/reqlog.json" "$EMU_ADMIN/_emu/requests?since=0&limit=200000" || fail "rsemu request log unreadable"
python3 -c '
import json, sys
log = json.load(open(sys.argv[1]))["requests"]
mine = [r for r in log if r.get("user_agent") == sys.argv[2]]
ok = [r for r in mine if 200 <= r["status"] < 300]
print(len(ok), len(mine), sum(1 for r in mine if r["method"] == "GET"))' "$W/reqlog.json" "$SYNC_UA" > "$W/reqcount"
read -r EMU_2XX EMU_ALL EMU_GETS < "$W/reqcount"
echo "rsemu: $EMU_ALL requests from $SYNC_UA, $EMU_2XX answered 2xx, $EMU_GETS GETs"
expect_ge "adsync_api_calls_total{status=\"200\"} > 0" "$(q 'value(f, "adsync_api_calls_total", status="200")')" 1
expect "adsync_api_calls_total 2xx = rsemu's 2xx for $SYNC_UA" "$(q 'sum(s.value for s in samples(f, "adsync_api_calls_total") if s.labels["status"].startswith("2"))')" "$EMU_2XX"
expect "adsync_api_calls_total in all = rsemu's requests for $SYNC_UA" "$(q 'total(f, "adsync_api_calls_total")')" "$EMU_ALL"
expect "adsync_api_attempts_total = the calls that ended" "$(q 'total(f, "adsync_api_attempts_total")')" "$(q 'total(f, "adsync_api_calls_total")')"
expect "adsync_api_attempts_total{category=\"read\"} = rsemu's GETs" "$(q 'value(f, "adsync_api_attempts_total", category="read")')" "$EMU_GETS"
expect "adsync_api_queue_waits_total = the attempts" "$(q 'value(f, "adsync_api_queue_waits_total")')" "$(q 'total(f, "adsync_api_attempts_total")')"
expect "no throttling (rsemu's throttle is off)" "$(q 'value(f, "adsync_api_throttled_total")')" 0

echo "--- the journal, the cycles, the change latency"
expect_ge "adsync_operations_total{kind=\"create\",result=\"done\"} covers the mailboxes" "$(q 'value(f, "adsync_operations_total", kind="create", result="done")')" $((EX_MBX + RS_MBX))
expect_ge "adsync_operations_total{kind=\"update\",result=\"done\"} (the title)" "$(q 'value(f, "adsync_operations_total", kind="update", result="done")')" 1
expect "adsync_held_operations" "$(q 'value(f, "adsync_held_operations")')" 0
q 'dict((s.labels["result"], s.value) for s in samples(f, "adsync_cycles_total"))'
expect_ge "adsync_cycles_total{result=\"ok\"} (the change and the wake-up)" "$(q 'value(f, "adsync_cycles_total", result="ok")')" 2
expect "adsync_cycles_total = status's cycles" "$(q 'total(f, "adsync_cycles_total")')" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cycles"])' "$W/status.json")"
expect_ge "adsync_change_latency_seconds_count" "$(q 'value(f, "adsync_change_latency_seconds_count")')" 1
check "the change latency is plausible (0 < sum < 15 s per change)" python3 -c '
import sys
c, s = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if c >= 1 and 0 < s < 15 * c else 1)' "$(q 'value(f, "adsync_change_latency_seconds_count")')" "$(q 'value(f, "adsync_change_latency_seconds_sum")')"
check "adsync_last_success_timestamp_seconds is recent" test "$(q 'value(f, "adsync_last_success_timestamp_seconds")')" -ge "$T_START"
check "adsync_last_run_duration_seconds is a duration" python3 -c '
import sys; v = float(sys.argv[1]); sys.exit(0 if 0 <= v < 60 else 1)' "$(q 'value(f, "adsync_last_run_duration_seconds")')"

echo "--- counters only grow: a second change, a second scrape"
cp "$W/m.prom" "$W/m1.prom"
N1=$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycles"])')
ad_set "$ALICE" title "Chief Metrics Officer"
wait_for "the second change reaches rsemu" 15 field_is example.com ex alice.anderson jobTitle "Chief Metrics Officer"
wait_for "its cycle ended" 15 cycles_done $((N1 + 1))
check "the second scrape" metrics "$W/m.prom"
check "promparse accepts the second exposition" python3 "$PROMPARSE" "$W/m.prom"
check "every counter and histogram count kept or grew" python3 - "$PROMPARSE" "$W/m1.prom" "$W/m.prom" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import promparse
a = promparse.parse(open(sys.argv[2], "rb").read())
b = promparse.parse(open(sys.argv[3], "rb").read())
bad = []
for name, fa in a.items():
    if fa.type not in ("counter", "histogram"):
        continue
    now = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in b[name].samples}
    for s in fa.samples:
        if s.name.endswith("_sum"):
            continue
        k = (s.name, tuple(sorted(s.labels.items())))
        if k not in now or now[k] < s.value:
            bad.append("%s%s: %s -> %s" % (s.name, s.labels, s.value, now.get(k)))
sys.exit("\n".join(bad) if bad else 0)
PY
python3 - "$PROMPARSE" "$W/m1.prom" "$W/m.prom" > "$W/lat" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import promparse
a = promparse.parse(open(sys.argv[2], "rb").read())
b = promparse.parse(open(sys.argv[3], "rb").read())
n = "adsync_change_latency_seconds_count"
print(int(promparse.value(b, n) - promparse.value(a, n)))
PY
expect "the second change: one more latency observed" "$(cat "$W/lat")" 1

echo "=== the unknown-command sentence lists metrics"
ctl_raw '{"cmd":"nonesuch"}' "$W/unknown.json"
check "metrics is in the list" grep -q 'this daemon knows .*metrics' "$W/unknown.json"

echo "=== SIGTERM"
kill -TERM "$DPID"
wait "$DPID"; DRC=$?
BG_PID=
expect "daemon exit status" "$DRC" 0
sanitizer_check "$W/daemon.err" "adsync daemon"
grep -E 'warn|error' "$W/daemon.err" | head -n 20
finish

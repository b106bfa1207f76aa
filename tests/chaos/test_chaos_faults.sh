#!/bin/bash
# Chaos 2 (issue 9): `adsync daemon` against an rsemu that fails on purpose,
# with Samba (gen:200):
#   test_chaos_faults.sh ADSYNC RSEMU SRCDIR
#
# rsemu answers 10 % of the API requests with a 500 (not processed), drops
# 5 % of the connections (half before processing, half after: the reply of
# a write it made is lost), stalls 2 % for 1.5 s and then closes them, and
# enforces Rackspace's throttle (60 GET, 30 writes, 2 domain writes per
# key) in a window of CHAOS_THROTTLE_WINDOW seconds (1) instead of 60,
# which adsync paces itself to (throttle_window, as in the demo). adsync
# retries a request up to max_retries = 8 times (the chance that one
# request fails 9 times in a row is 0.17^9, about 1e-7), so a failed
# operation would be a bug, not bad luck. An initial sync, then a stream of
# CHAOS_CHANGES changes (short 30, long 300; what test_chaos_kill.sh's
# delta case changes); rounds: short 1, long 5 (each from an empty rsemu
# and a new state). Checks per round:
#   - converged: rsemu equals AD (the daemon by itself, within 120 s);
#   - every fault was injected (each kind at least once) and every one was
#     retried until it succeeded: the last request adsync made on the path
#     of each failed one succeeded (a lookup of a lost create may end on
#     404 before the create is sent again; rsemu's request log);
#   - within bounds: no request took more than max_retries + 1 attempts
#     (the daemon's log, attempt=N);
#   - failures end as successes: every run in the history is "ok" with no
#     error;
#   - nothing duplicated: no object created twice, no create sent again
#     (a lost create is looked up, never re-sent blindly);
#   - nothing lost: the plan is empty once the daemon stops.
# rsemu's throttle rejections are counted and shown: adsync paces itself
# under the limits, so it should meet none (checked: 0).
# The functions called through wait_until look unreachable to shellcheck;
# the streams' subshells reseed RANDOM on purpose (their own sequence).
# shellcheck disable=SC2317,SC2031
# shellcheck source=tests/chaos/chaos_env.sh
. "$(dirname "$0")/chaos_env.sh" "$@"

TW=${CHAOS_THROTTLE_WINDOW:-1}
MAX_RETRIES=8
if [ -n "$CHAOS_LONG" ]; then ROUNDS=${CHAOS_ROUNDS:-5}; CHANGES=${CHAOS_CHANGES:-300}
else ROUNDS=${CHAOS_ROUNDS:-1}; CHANGES=${CHAOS_CHANGES:-30}; fi
FAULTS="error500=0.10,drop=0.025,drop_after=0.025,stall=0.02,stall_ms=1500"
echo "faults $FAULTS; throttle 60/30/2 per $TW s; $ROUNDS round(s) of an initial sync and $CHANGES changes"
rsemu_start --throttle "get=60,write=30,domain=2,altdomain=2,window=$TW" --faults "$FAULTS"
conf_set rackspace reads_per_minute 60
conf_set rackspace writes_per_minute 30
conf_set rackspace domain_writes_per_minute 2
conf_set rackspace throttle_window "$TW"
conf_set rackspace max_retries "$MAX_RETRIES"
curl -sf "$EMU_ADMIN/_emu/throttle" > "$W/throttle.json"
check "rsemu's throttle is on: $(cat "$W/throttle.json")" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if not d["off"] and d["write"] == 30 and d["get"] == 60 and
         d["window"] == int(sys.argv[2]) else 1)' "$W/throttle.json" "$TW"
people_load

for round in $(seq 1 "$ROUNDS"); do
	echo "=== round $round of $ROUNDS"
	if [ "$round" -gt 1 ]; then
		rm -rf "$W/state"
		# Back to the start-up objects, throttle and faults.
		curl -sf -o /dev/null -X POST "$EMU_ADMIN/_emu/reset" || { fail "rsemu reset"; break; }
		: > "$W/ever.txt"
	fi
	t0=$(now)
	inst_start
	wait_until "round $round: the initial sync ends" 240 inst_idle
	echo "     initial sync under faults: $(since "$t0") s"
	ever_set
	: > "$W/changes.txt"
	stream_start all 1 5
	wait_until "round $round: $CHANGES changes made" $((CHANGES * 2)) lines_ge "$W/changes.txt" "$CHANGES"
	stream_stop
	check_converged "round $round: rsemu equals AD (by itself)" 120
	runs_snapshot
	inst_stop

	reqlog_all "$W/reqlog.$round.json"
	cpy failures "$W/reqlog.$round.json" --probe "$PROBE_UA" > "$W/failures.txt"
	sed 's/^/     /' "$W/failures.txt"
	expect "round $round: failed requests never retried to success" \
	    "$(sed -n '1s/.* unresolved=\([0-9]*\).*/\1/p' "$W/failures.txt")" 0
	for f in error500 drop drop_after stall; do
		expect_ge "round $round: $f faults injected" \
		    "$(sed -n "1s/.* $f=\([0-9]*\).*/\1/p" "$W/failures.txt")" 1
	done
	read -r most where < <(cpy attempts "$W"/daemon.*.err)
	echo "     most attempts of one request: $most ($where)"
	check "round $round: at most max_retries + 1 = $((MAX_RETRIES + 1)) attempts a request" \
	    test "${most:-0}" -le $((MAX_RETRIES + 1))
	expect_ge "round $round: some request was retried" "${most:-0}" 2
	echo "     runs: $(wc -l < "$W/runs.txt") ($(cut -d' ' -f3 "$W/runs.txt" | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s=", "}'))"
	awk '$3 != "ok" || $4 != 0' "$W/runs.txt" | head -5 | sed 's/^/     not ok: /'
	expect "round $round: runs not ok, or with errors" "$(awk '$3 != "ok" || $4 != 0' "$W/runs.txt" | wc -l)" 0
	check_creates "round $round" "$W/reqlog.$round.json"
	check_plan_empty
	curl -sf "$EMU_ADMIN/_emu/stats" > "$W/stats.json"
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("     rsemu: %d requests, faults %s, throttled %d" % (s["requests"],
      s["faults_injected"], s["throttled"]))' "$W/stats.json"
	expect "round $round: rsemu's throttle rejections (adsync paces itself)" \
	    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["throttled"])' "$W/stats.json")" 0
	grep -h "rs_client_done: .* retry" "$W"/daemon.*.err | sed 's/.*error="\([^"]*\)".*/\1/' |
	    sort | uniq -c | sed 's/^/     retried after: /'
done

daemon_warnings
check_leftovers
chaos_finish

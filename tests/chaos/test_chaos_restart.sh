#!/bin/bash
# Chaos 3 (issue 9): the servers around `adsync daemon` go away and come
# back, with Samba (gen:200) and rsemu:
#   test_chaos_restart.sh ADSYNC RSEMU SRCDIR
#
# A. rsemu restarted mid-sync, its state kept (--state, the same ports):
#    during the initial sync (writes answered 100 ms late), once with
#    SIGTERM at a random point, once with SIGKILL while four creates it
#    made (on connections already used) wait 3 s for their answers; each
#    down a random 0.2-1.5 s. rsemu's
#    request log lives in memory, so before each stop the daemon is paused
#    (SIGSTOP) for as long as it takes to save the log, and continued
#    before rsemu goes: the saved parts hold every request. Checks: the
#    sync converges by itself (rsemu equals AD), no object created twice
#    and no create sent again across the parts (a create whose answer was
#    lost must be looked up, never sent again).
# B. Samba stopped and started mid-sync ("$AD_SAMBA_AD" "$AD_DIR" stop,
#    start, wait): while a stream of attribute changes runs, once while
#    the daemon reads AD (a full cycle asked for with `sync --now --full`,
#    page_size 2 so the read takes a hundred pages; the DC killed, its
#    process group with SIGKILL, as soon as `status` says "reading AD")
#    and once at a random moment (stopped with SIGTERM); down 1-3 s.
#    Checks: a read cut short fails the cycle as a whole (snapshot or
#    nothing: not one disable or delete reaches rsemu, and AD had no
#    removal; how many reads were cut is shown, and at least one of the
#    long run's rounds must have been), the change notifications come
#    back by themselves, and every change made around the outage reaches
#    rsemu.
# C. DC failover. A second DC joined to the domain is not possible in the
#    testbed in reasonable time (samba-tool domain join replicates over
#    DRS and needs the DC's DNS names, <GUID>._msdcs, which the namespace
#    does not resolve; docs/testbed.md), so the first URI is a TCP
#    forwarder (tcpproxy.py) to the same DC on another port,
#    ldaps://127.0.0.1:1636 (TLS passes through, the DC's certificate is
#    still verified: it names 127.0.0.1), and the second is the DC itself,
#    ldaps://127.0.0.1. The daemon starts on the first; the forwarder is
#    killed during a stream of changes (during a cycle when one is seen):
#    both the engine and the watcher must fail over to the second URI
#    (their log lines), and the changes keep arriving. Then the daemon
#    is restarted with the first URI dead from the start: it syncs
#    through the second. What this does not test: a DC with another
#    invocationId or USN (the watermark's full-resync rule).
# Each part ends with rsemu equal to AD; then no duplicate create in the
# whole request log, the plan empty, no sanitizer report, nothing left.
# The daemon's safety-net interval is 10 s here (300 by default): a cycle
# whose operations all failed while rsemu was down is retried by it.
# Long (CHAOS_LONG=1): CHAOS_ROUNDS (10) of each part's outages.
# The functions called through wait_until look unreachable to shellcheck;
# the streams' subshells reseed RANDOM on purpose (their own sequence).
# shellcheck disable=SC2317,SC2031
# shellcheck source=tests/chaos/chaos_env.sh
. "$(dirname "$0")/chaos_env.sh" "$@"

if [ -n "$CHAOS_LONG" ]; then ROUNDS=${CHAOS_ROUNDS:-10}; else ROUNDS=${CHAOS_ROUNDS:-1}; fi
conf_set sync interval 10
conf_set rackspace max_retries 5
conf_set ad page_size 2
PROXY_PORT=1636
PROXY_PID=
wait_for_diag() {
	tail -n 15 "$W/daemon.$NINST.err" | cut -c1-240 | sed 's/^/     /'
}

# rsemu_again SIG [ARGS...]: rsemu stopped with SIG and started again on
# the same ports with its state, after a random 0.2-1.5 s. The daemon is
# paused while rsemu's in-memory request log is saved ($W/reqlog.part.N).
NPART=0
rsemu_again() {
	local sig=$1 down i
	shift
	rand_tenths down 2 15
	NPART=$((NPART + 1))
	[ -z "$DPID" ] || kill -STOP "$DPID"
	sleep 0.2	# what it sent is received and logged
	reqlog_all "$W/reqlog.part.$NPART" || fail "rsemu's log saved"
	[ -z "$DPID" ] || kill -CONT "$DPID"
	kill "-$sig" "$RSEMU_PID"
	wait "$RSEMU_PID" 2>/dev/null
	RSEMU_PID=
	echo "     rsemu stopped with SIG$sig ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_id"])' "$W/reqlog.part.$NPART") requests logged); down $down s"
	sleep "$down"
	rm -f "$W/rsemu.ready"
	"$RSEMU" --listen "$RS_LISTEN" --admin-listen "${EMU_ADMIN#http://}" \
	    --tls-cert "$W/tls/server.pem" --tls-key "$W/tls/server.key" \
	    --state "$W/rsemu.db" --account "$RS_ACCOUNT" --user-key "$RS_KEY" \
	    --secret-key-file "$W/rsemu-secret.key" \
	    --domain example.com:both --domain example.net:both \
	    --throttle off --threads 4 "$@" \
	    --ready-file "$W/rsemu.ready" 2>>"$W/rsemu.log" &
	RSEMU_PID=$!
	for i in $(seq 1 200); do
		[ -s "$W/rsemu.ready" ] && break
		alive "$RSEMU_PID" || break
		sleep 0.05
	done
	check "rsemu back on $RS_LISTEN with its state" test -s "$W/rsemu.ready"
	[ -s "$W/rsemu.ready" ] || { tail -5 "$W/rsemu.log"; chaos_finish; }
}
creates_seen() {	# N: rsemu's log (since its start) holds N creates
	reqlog_inst && python3 -c '
import json, sys
sys.path.insert(0, sys.argv[3])
import chaos
l = json.load(open(sys.argv[1]))
sys.exit(0 if sum(1 for r in l["requests"] if chaos.created(r)) >= int(sys.argv[2]) else 1)' \
	    "$W/reqlog-inst.json" "$1" "$CHAOS_DIR"
}
latency_on() {
	emu_faults '{"rules":[
  {"method":"POST","path":"/v1/","match":"prefix","action":"latency","ms":100,"count":0},
  {"method":"PUT","path":"/v1/","match":"prefix","action":"latency","ms":100,"count":0}]}' ||
	    fail "cannot set rsemu faults"
}
removals_since() {	# MARK: disables and deletes since request MARK
	reqlog_all "$W/reqlog-b.json" &&
	    cpy removals "$W/reqlog-b.json" --probe "$PROBE_UA" --since "$1" > "$W/removals.txt"
	sed -n '1p' "$W/removals.txt"
}
proxy_start() {
	rm -f "$W/proxy.ready"
	# "$PY", not the python3 function: $! must be the forwarder itself.
	"$PY" "$CHAOS_DIR/tcpproxy.py" "$PROXY_PORT" 636 "$W/proxy.ready" 2>>"$W/proxy.log" &
	PROXY_PID=$!
	EXTRA_PIDS+=("$PROXY_PID")
	wait_until "the forwarder (first DC) listens on $PROXY_PORT" 10 test -s "$W/proxy.ready"
}
proxy_kill() {
	kill -KILL "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=
}
# connected_to URI THREAD: the current instance logged THREAD connecting
# to URI (from line $LOG_FROM of its log on).
LOG_FROM=1
connected_to() {
	tail -n "+$LOG_FROM" "$W/daemon.$NINST.err" |
	    grep -q " $2 ad_conn_ensure: ad: connected to $1 ("
}

people_load
: > "$W/changes.txt"
LOGS=()

echo "=== A. rsemu restarted during the initial sync"
for r in $(seq 1 "$ROUNDS"); do
	if [ "$r" -gt 1 ]; then	# another initial sync, from scratch
		runs_snapshot
		inst_stop
		rm -rf "$W/state"
		NPART=$((NPART + 1))
		reqlog_all "$W/reqlog.part.$NPART" && LOGS+=("$W/reqlog.part.$NPART")
		# That round's creates (the next one creates everything again).
		check_creates "A$((r - 1))" "${LOGS[@]}"
		LOGS=()
		curl -sf -o /dev/null -X POST "$EMU_ADMIN/_emu/reset" || fail "rsemu reset"
		: > "$W/ever.txt"
	fi
	latency_on
	req_mark
	inst_start
	n=$((20 + RANDOM % 60))
	wait_until "A$r: $n creates made" 60 creates_seen "$n"
	rsemu_again TERM
	LOGS+=("$W/reqlog.part.$NPART")
	# Creates made but unanswered when rsemu dies, their answers waiting
	# 3 s, on connections that carried requests before (the client's
	# connections are new after the restart; a reused one that dies is
	# where libcurl itself would send a request again).
	req_mark
	wait_until "A$r: 12 creates after the restart" 60 creates_seen 12
	emu_faults '{"rules":[{"method":"POST","path":"/mailboxes/","match":"substring","action":"latency","ms":3000,"count":0}]}' ||
	    fail "cannot set rsemu faults"
	req_mark
	wait_until "A$r: 4 creates made, unanswered" 60 creates_seen 4
	rsemu_again KILL
	LOGS+=("$W/reqlog.part.$NPART")
	latency_on
	check_converged "A$r: the initial sync converges after rsemu's restarts" 120
done
wait_until "A: the daemon idle" 60 inst_idle
emu_faults '{}'
ever_set

echo "=== B. Samba stopped and started mid-sync"
reqlog_all "$W/reqlog-b.json"
MARK_B=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_id"])' "$W/reqlog-b.json")
stream_start attrs 2 6
CUT=0
for r in $(seq 1 "$ROUNDS"); do
	# 1: while the daemon reads AD (a full cycle, a page of 10 at a time).
	hit=
	nfail=$(grep -c 'cycle (now[^)]*) failed' "$W/daemon.$NINST.err")
	for try in 1 2 3 4 5 6 7 8; do
		ctl sync --now --full > "$W/syncnow.out" 2>&1 &
		SYNCNOW=$!
		for _ in $(seq 1 100); do
			[ "$(inst_stage)" = "reading AD" ] && { hit=1; break; }
			alive "$SYNCNOW" || break
		done
		[ -n "$hit" ] && break
		wait "$SYNCNOW"
	done
	if [ -n "$hit" ]; then
		"$AD_SAMBA_AD" "$AD_DIR" kill > /dev/null
		echo "     B$r: Samba killed while the daemon read AD (try $try)"
	else
		"$AD_SAMBA_AD" "$AD_DIR" stop > /dev/null
		echo "     B$r: the read was never caught in $try tries; Samba stopped anyway"
	fi
	wait "$SYNCNOW"
	sed 's/^/     sync --now --full: /' "$W/syncnow.out" | head -3
	rand_tenths down 10 30
	sleep "$down"
	"$AD_SAMBA_AD" "$AD_DIR" start > /dev/null
	"$AD_SAMBA_AD" "$AD_DIR" wait > /dev/null || { fail "Samba back"; chaos_finish; }
	# The read may still end between `status` and the kill: then the
	# cycle is simply ok. Counted, and required once in the long run.
	if [ "$(grep -c 'cycle (now[^)]*) failed' "$W/daemon.$NINST.err")" -gt "$nfail" ]; then
		CUT=$((CUT + 1))
		echo "     B$r: the cut read failed its cycle as a whole"
	else
		echo "     B$r: the read ended before the DC went"
	fi
	# 2: at a random moment of the stream.
	rand_tenths t 5 40
	sleep "$t"
	echo "     B$r: Samba stopped at a random moment (stage: $(inst_stage))"
	"$AD_SAMBA_AD" "$AD_DIR" stop > /dev/null
	rand_tenths down 10 30
	sleep "$down"
	"$AD_SAMBA_AD" "$AD_DIR" start > /dev/null
	"$AD_SAMBA_AD" "$AD_DIR" wait > /dev/null || { fail "Samba back"; chaos_finish; }
done
n0=$(wc -l < "$W/changes.txt")
wait_until "B: 10 changes after the last outage" 60 lines_ge "$W/changes.txt" $((n0 + 10))
stream_stop
[ "$ROUNDS" -lt 5 ] || expect_ge "B: reads cut by the DC's death (failed cycles)" "$CUT" 1
wait_until "B: notifications back" 60 sh -c "'$ADSYNC' -c '$CONF' status --json | grep -q '\"notifications\": *true'"
check_converged "B: every change around the outages reached rsemu" 90
expect "B: disables and deletes sent during the outages (AD had no removal)" \
    "$(removals_since "$MARK_B")" "disables=0 deletes=0"
grep -h 'cycle (.*) failed\|notification lost\|notification unavailable' "$W/daemon.$NINST.err" |
    cut -d' ' -f3- | cut -c1-200 | sort | uniq -c | head -8 | sed 's/^/     /'

echo "=== C. DC failover: two URIs, the first one dies"
runs_snapshot
inst_stop
proxy_start
conf_set ad uri "ldaps://127.0.0.1:$PROXY_PORT ldaps://127.0.0.1"
inst_start
LOG_FROM=1
wait_until "C: the engine reads through the first URI" 60 connected_to "ldaps://127.0.0.1:$PROXY_PORT" engine
wait_until "C: the watcher watches through the first URI" 60 connected_to "ldaps://127.0.0.1:$PROXY_PORT" watch
wait_until "C: first cycle" 60 inst_cycles_ge 1
for r in $(seq 1 "$ROUNDS"); do
	if [ "$r" -gt 1 ]; then	# the first DC again: a restart takes it
		runs_snapshot
		inst_stop
		proxy_start
		inst_start
		LOG_FROM=1
		wait_until "C$r: on the first URI again" 60 connected_to "ldaps://127.0.0.1:$PROXY_PORT" engine
		wait_until "C$r: first cycle" 60 inst_cycles_ge 1
	fi
	stream_start attrs 1 5
	# During a cycle if one shows within 10 s, else at that moment.
	for _ in $(seq 1 50); do
		[ "$(inst_stage)" = idle ] || break
		sleep 0.1
	done
	LOG_FROM=$(($(wc -l < "$W/daemon.$NINST.err") + 1))
	echo "     C$r: the first DC dies (stage: $(inst_stage))"
	proxy_kill
	wait_until "C$r: the watcher fails over to the second URI" 60 connected_to "ldaps://127.0.0.1" watch
	n0=$(wc -l < "$W/changes.txt")
	wait_until "C$r: 10 more changes" 60 lines_ge "$W/changes.txt" $((n0 + 10))
	stream_stop
	check_converged "C$r: the changes arrive through the second URI" 60
	check "C$r: the engine failed over to the second URI" connected_to "ldaps://127.0.0.1" engine
done
echo "--- the first URI dead from the start"
runs_snapshot
inst_stop
ad_set "${PEOPLE_DN[0]}" title "Changed while the daemon was down"
inst_start
LOG_FROM=1
wait_until "C: the engine starts on the second URI" 60 connected_to "ldaps://127.0.0.1" engine
check_converged "C: it syncs through the second URI" 60
grep -h "ldaps://127.0.0.1:$PROXY_PORT" "$W"/daemon.*.err | grep -v 'connected to' | cut -d' ' -f3- |
    sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | head -5 | sed 's/^/     /'

echo "=== the end"
runs_snapshot
inst_stop
reqlog_all "$W/reqlog.last.json"
check_creates "A$ROUNDS-C" "${LOGS[@]}" "$W/reqlog.last.json"
check_plan_empty
extra_stop
daemon_warnings
check_leftovers
chaos_finish

# shellcheck shell=bash
# Variables and functions here are for the sourcing test scripts.
# shellcheck disable=SC2034,SC2120,SC2119,SC2317,SC2031
#
# The environment of the chaos tests (issue 9; tests/chaos/chaos.cmake,
# docs/testing-sync.md "Chaos"). Sourced, never run:
#
#   . "$(dirname "$0")/chaos_env.sh" "$@"   # args: ADSYNC RSEMU SRCDIR [...]
#
# On top of tests/integration/sync_env.sh (a Samba DC in its own network
# namespace, rsemu over TLS, $CONF, the check helpers), with the generated
# organisation gen:200 unless SYNC_ORG says otherwise (200 users: 160
# Exchange, 40 Rackspace Email, 29 of them in example.net; 9 lists and Big
# List, nested in the Exchange group). adsync binds as the Administrator
# (Samba hides deletions from a non-admin DirSync account, docs/ldap.md).
#
#   CHAOS_SEED=N   the seed of every random choice (printed; reproduces the
#                  kill points and the changes, not the timing of the rest)
#   CHAOS_LONG=1   the long version (make chaos): more kills, rounds, changes
#   CHAOS_KILLS=N  kills per kill case (short 5, long 200)
#
# Daemon instances:
#   inst_start                  `adsync -v daemon`, instance $NINST, PID
#                               $DPID, log $W/daemon.$NINST.err
#   inst_kill                   SIGKILL, checks it died of it (137), prints
#                               what it had sent (chaos.py atkill)
#   inst_stop                   SIGTERM, checks it exits 0
#   inst_wait_seen write|request [idle]   until this instance's first
#                               write (or request) is in rsemu's log; 1 if
#                               it died, 2 (with "idle") if it went idle first
#   inst_idle                   its status: a cycle ended, idle, nothing
#                               pending
# AD changes (as the Administrator):
#   people_load                 the users in scope at the start
#                               ($W/people.tsv: DN, ex|rs, mail; arrays
#                               PEOPLE_DN, PEOPLE_SVC, PEOPLE_MAIL, LISTS_DN);
#                               ever_set saves the scope of now as what
#                               must exist from then on
#   chaos_change [attrs|all|safe]  one random change (seeded), logged in
#                               $W/changes.txt
#   stream_start MODE MIN MAX   changes every MIN-MAX tenths of a second in
#                               the background (its own seed); stream_stop
# End state:
#   converged                   AD (ldapsearch) and rsemu's state agree
#                               (chaos.py compare), quietly; check_converged
#                               NAME waits for it and shows the differences
#   check_creates NAME [--since ID] [LOGS]   no object created twice, no
#                               create sent again (the whole request log,
#                               or the saved parts of an rsemu that was
#                               restarted; from request ID on)
#   check_plan_empty            `adsync plan --json` has no operation
#   runs_snapshot               the history (needs the daemon) to
#                               $W/runs.txt; check_no_running_run [MIN]
#                               then: none "running", MIN interrupted
#   extra_stop                  TERM to what EXTRA_PIDS names (a hook's
#                               sender, a proxy) before check_leftovers
#   check_leftovers             no process of ours left, no socket
#   chaos_finish                the seed again, then sync_env's finish
SYNC_ORG=${SYNC_ORG:-gen:200}
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/sync_env.sh" "$@"

CHAOS_DIR=$SRCDIR/tests/chaos
# The checks import chaos.py: no __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
CHAOS_LONG=${CHAOS_LONG:-}
SEED=${CHAOS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
if [ -n "$CHAOS_LONG" ]; then KILLS=${CHAOS_KILLS:-200}; else KILLS=${CHAOS_KILLS:-5}; fi
echo "chaos: seed $SEED (CHAOS_SEED=$SEED reproduces it)${CHAOS_LONG:+, long version}"

conf_set ad bind_dn "$AD_ADMIN_DN"
conf_set ad bind_password_file "$AD_ADMIN_PASSWORD_FILE"
conf_set daemon hook_listen ""
conf_set daemon web_listen ""
# The probe config follows (same bind), with its own state.
sed -e "s|^user_agent = .*|user_agent = $PROBE_UA|" \
    -e "s|^state_dir = .*|state_dir = $W/probe-state|" "$CONF" > "$PROBE_CONF"

SOCK=$W/state/ctl.sock
DPID=
DPIDS=()
NINST=0
DSTART=
STREAM_PID=
EXTRA_PIDS=()	# other processes a test starts (sender, proxy): stopped on exit

cpy() { python3 "$CHAOS_DIR/chaos.py" "$@"; }
ctl() { "$ADSYNC" -c "$CONF" "$@"; }
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $1}"; }
# rand_tenths VAR MIN MAX: VAR = a random delay in seconds, MIN-MAX tenths.
# Never in a subshell: bash reseeds RANDOM there, and the seed would not
# reproduce the delays.
rand_tenths() {
	local _rt=$(($2 + RANDOM % ($3 - $2 + 1)))
	printf -v "$1" '%d.%d' $((_rt / 10)) $((_rt % 10))
}
lines_ge() { [ "$(wc -l < "$1")" -ge "$2" ]; }	# FILE N
sleep_from() {	# T0 SECS: until SECS after T0
	while [ "$(awk "BEGIN{print ($(date +%s.%N) - $1 < $2)}")" = 1 ]; do
		sleep 0.05
	done
}
# wait_until NAME SECS CMD...: polls CMD (wall clock, every 0.2 s) until it
# succeeds; pass/fail. CMD may be slow: the limit is the clock's.
wait_until() {
	local name=$1 secs=$2 t0
	shift 2
	t0=$(now)
	while :; do
		if "$@" >/dev/null 2>&1; then
			pass "$name ($(since "$t0") s)"
			return 0
		fi
		if [ "$(awk "BEGIN{print ($(date +%s.%N) - $t0 >= $secs)}")" = 1 ]; then
			fail "$name (not within $secs s)"
			if declare -F wait_for_diag >/dev/null; then wait_for_diag; fi
			return 1
		fi
		sleep 0.2
	done
}

chaos_cleanup() {
	local p
	stream_stop quiet
	for p in "${EXTRA_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "$DPID" ] && alive "$DPID"; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
}
trap 'rc=$?; chaos_cleanup; (exit $rc); sync_cleanup' EXIT

# ---- daemon instances ------------------------------------------------
inst_start() {
	NINST=$((NINST + 1))
	"$ADSYNC" -c "$CONF" -v daemon --allow-root > "$W/daemon.$NINST.out" 2> "$W/daemon.$NINST.err" &
	DPID=$!
	BG_PID=$DPID	# killed by sync_cleanup if the test dies
	DPIDS+=("$DPID")
	DSTART=$(now)
}
# The log since the mark (this instance's requests), to $W/reqlog-inst.json.
reqlog_inst() {
	curl -sf -o "$W/reqlog-inst.json" "$EMU_ADMIN/_emu/requests?since=$REQ_MARK&limit=200000"
}
reqlog_all() {	# [FILE]: the whole log (default $W/reqlog-all.json)
	curl -sf -o "${1:-$W/reqlog-all.json}" "$EMU_ADMIN/_emu/requests?since=0&limit=200000"
}
inst_kill() {
	local rc kt
	alive "$DPID" || { fail "instance $NINST died before its kill"; tail -n 20 "$W/daemon.$NINST.err" | sed 's/^/     /'; return 1; }
	kill -KILL "$DPID"
	kt=$(now)
	wait "$DPID" 2>/dev/null
	rc=$?
	BG_PID=
	DPID=
	expect "instance $NINST killed ($(since "$DSTART") s after its start)" "$rc" 137
	reqlog_inst && cpy atkill "$W/reqlog-inst.json" --probe "$PROBE_UA" "$kt" |
	    tee "$W/atkill.$NINST.txt" | sed 's/^/     /'
}
inst_stop() {
	local rc
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	rc=$?
	BG_PID=
	DPID=
	expect "instance $NINST stops on SIGTERM" "$rc" 0
}
inst_wait_seen() {	# write|request [idle]: 0 seen, 1 died, 2 idle, 3 not within 60 s
	local t0
	t0=$(now)
	while [ "$(awk "BEGIN{print ($(date +%s.%N) - $t0 < 60)}")" = 1 ]; do
		alive "$DPID" || return 1
		if reqlog_inst && cpy seen "$W/reqlog-inst.json" --probe "$PROBE_UA" "$1"; then
			return 0
		fi
		[ "${2:-}" != idle ] || ! inst_idle || return 2
		sleep 0.05
	done
	return 3
}
status_json() { ctl status --json > "$W/status.json" 2>/dev/null; }
inst_idle() {	# a cycle ended, idle, nothing pending or queued
	status_json || return 1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d.get("cycles", 0) >= 1 and d.get("state") == "idle" and
         not d.get("pending") and not d.get("queue") else 1)' "$W/status.json"
}
inst_cycles_ge() {	# N
	status_json || return 1
	python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1])).get("cycles", 0) >= int(sys.argv[2]) else 1)' \
	    "$W/status.json" "$1"
}
inst_stage() {	# the running cycle's stage ("reading AD", "applying", ...)
	status_json || return 1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print((d.get("running") or {}).get("stage", "idle"))' "$W/status.json"
}
# history_runs: every run as "RUN TRIGGER STATUS ERRORS ERROR", newest first.
history_runs() {
	ctl history -n 1000 --json > "$W/history.json" 2>/dev/null || return 1
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.strip():
        continue
    o = json.loads(line)
    for r in (o["runs"] if "runs" in o else [o]):
        print("%s %s %s %s %s" % (r["run"], r["trigger"], r["status"],
              r["counts"]["errors"], r.get("error", "")))' "$W/history.json"
}

# ---- AD ----------------------------------------------------------------
ad_read() {	# the users and groups of now, to $W/users.ldif, $W/groups.ldif
	ldap_search -E pr=1000/noprompt -b "$PEOPLE" '(objectClass=user)' \
	    cn mail displayName givenName sn title telephoneNumber department l \
	    company employeeID userAccountControl > "$W/users.ldif" &&
	ldap_search -E pr=1000/noprompt -b "$GROUPS_OU" '(objectClass=group)' \
	    cn mail displayName member > "$W/groups.ldif"
}
people_load() {	# $W/people.tsv: DN<TAB>ex|rs<TAB>mail, users in scope at the start
	ad_read || { echo "FAIL: ldapsearch"; exit 1; }
	python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import chaos
users = chaos.ldif(sys.argv[2])
groups = {chaos.first(g, "dn").lower(): g for g in chaos.ldif(sys.argv[3])}
ex = {m.lower() for m in groups[sys.argv[4].lower()].get("member", [])}
rs = {m.lower() for m in groups[sys.argv[5].lower()].get("member", [])}
for u in users:
    dn, mail = chaos.first(u, "dn"), chaos.first(u, "mail").lower()
    if dn.lower() in ex:
        print("%s\tex\t%s" % (dn, mail))
    elif dn.lower() in rs:
        print("%s\trs\t%s" % (dn, mail))' "$CHAOS_DIR" "$W/users.ldif" "$W/groups.ldif" "$EXG" "$RSG" > "$W/people.tsv"
	mapfile -t PEOPLE_DN < <(cut -f1 "$W/people.tsv")
	mapfile -t PEOPLE_SVC < <(cut -f2 "$W/people.tsv")
	mapfile -t PEOPLE_MAIL < <(cut -f3 "$W/people.tsv")
	mapfile -t LISTS_DN < <(sed -n 's/^dn: \(CN=List .*\)$/\1/p' "$W/groups.ldif")
	echo "     AD: ${#PEOPLE_DN[@]} users in scope, ${#LISTS_DN[@]} lists"
}
ever_set() {	# what is in scope now must exist from now on (disabled when out)
	ad_read && cpy expected "$W/users.ldif" "$W/groups.ldif" "$EXG" "$RSG" > "$W/ever.txt"
}

# chaos_change [all|attrs|safe]: one random change in AD, as the
# Administrator; "attrs" only changes attributes, "safe" no removal
# (attributes, enables, additions), "all" also takes users out of their
# group (and back), disables and enables accounts, changes list members and
# adds users. The state of the toggles lives in the shell that calls it (a
# stream's subshell).
declare -A CH_OUT=() CH_OFF=()
CH_N=0
chaos_change() {
	local mode=${1:-all} r i dn svc grp v kind n ok=0
	CH_N=$((CH_N + 1))
	n=$CH_N
	i=$((RANDOM % ${#PEOPLE_DN[@]}))
	dn=${PEOPLE_DN[$i]}
	svc=${PEOPLE_SVC[$i]}
	r=$((RANDOM % 100))
	case $mode in
	attrs) r=$((r % 70)) ;;
	safe) [ "$r" -lt 70 ] || [ "$r" -ge 95 ] || r=$((r % 70)) ;;
	esac
	if [ "$r" -lt 30 ]; then
		kind=title v="Chaos $SEED-$n title"
		ad_set "$dn" title "$v" || ok=1
	elif [ "$r" -lt 45 ]; then
		kind=displayName v="Chaos Name $SEED-$n"
		ad_set "$dn" displayName "$v" || ok=1
	elif [ "$r" -lt 60 ]; then
		kind=telephoneNumber v="+1 555 $((RANDOM % 900 + 100)) $n"
		ad_set "$dn" telephoneNumber "$v" || ok=1
	elif [ "$r" -lt 70 ]; then
		kind=l v="Chaos City $n"
		ad_set "$dn" l "$v" || ok=1
	elif [ "$r" -lt 80 ]; then
		# Out of its group and back in (the mailbox is disabled, then
		# enabled again: never deleted).
		if [ "$svc" = ex ]; then grp="Hosted Exchange Users"; else grp="Rackspace Email Users"; fi
		if [ -n "${CH_OUT[$dn]:-}" ]; then
			kind=group-add v=$grp
			if ad_member "$grp" add "$dn"; then CH_OUT[$dn]=""; else ok=1; fi
		else
			kind=group-remove v=$grp
			if ad_member "$grp" delete "$dn"; then CH_OUT[$dn]=1; else ok=1; fi
		fi
	elif [ "$r" -lt 88 ]; then
		if [ -n "${CH_OFF[$dn]:-}" ]; then
			kind=enable v=544
			if ad_set "$dn" userAccountControl 544; then CH_OFF[$dn]=""; else ok=1; fi
		else
			kind=disable v=546
			if ad_set "$dn" userAccountControl 546; then CH_OFF[$dn]=1; else ok=1; fi
		fi
	elif [ "$r" -lt 95 ]; then
		grp=${LISTS_DN[$((RANDOM % ${#LISTS_DN[@]}))]}
		kind=list-member v=${grp%%,*}
		# Add; if it is a member already, remove it instead.
		ad_member "${v#CN=}" add "$dn" 2>/dev/null ||
		    { kind=list-unmember; ad_member "${v#CN=}" delete "$dn" || ok=1; }
	else
		kind=new-user v="chaos$SEED-$n@example.com"
		dn="CN=Chaos New $SEED-$n,$PEOPLE"
		ldapadd "${ADMIN_LDAP[@]}" >/dev/null <<EOF || ok=1
dn: $dn
objectClass: user
sAMAccountName: chaos$n-$((SEED % 1000))
givenName: Chaos
sn: New $n
displayName: Chaos New $SEED-$n
mail: $v
title: New hire $n
userAccountControl: 544

dn: $EXG
changetype: modify
add: member
member: $dn
-
EOF
	fi
	# Only what AD took (a change fails while the DC is down).
	[ "$ok" = 0 ] || return 1
	printf '%s\t%s\t%s\t%s\n' "$n" "$kind" "$dn" "$v" >> "$W/changes.txt"
}
# stream_start MODE MIN MAX: chaos_change MODE every MIN-MAX tenths of a
# second, in the background with its own seed, until stream_stop.
stream_start() {
	rm -f "$W/stream.stop"
	(
		RANDOM=$((SEED * 7 + ${STREAM_N:-0}))
		CH_N=$(( (${STREAM_N:-0} + 1) * 100000 ))
		d=0
		while [ ! -e "$W/stream.stop" ]; do
			chaos_change "$1" 2>>"$W/stream.err" ||
			    echo "stream: change $CH_N not made" >>"$W/stream.err"
			rand_tenths d "$2" "$3"
			sleep "$d"
		done
	) &
	STREAM_PID=$!
	STREAM_N=$((${STREAM_N:-0} + 1))
}
stream_stop() {
	[ -n "$STREAM_PID" ] || return 0
	touch "$W/stream.stop"
	wait "$STREAM_PID" 2>/dev/null
	STREAM_PID=
	[ "${1:-}" = quiet ] || echo "     changes made so far: $(wc -l < "$W/changes.txt" 2>/dev/null || echo 0)" \
	    "($(cut -f2 "$W/changes.txt" 2>/dev/null | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s=", "}'))"
}

# ---- end state -----------------------------------------------------------
[ -f "$W/ever.txt" ] || : > "$W/ever.txt"
converged() {	# quietly: AD and rsemu agree now
	ad_read && emu_state >/dev/null &&
	    cpy compare "$W/users.ldif" "$W/groups.ldif" "$EXG" "$RSG" "$W/state.json" \
		"$W/ever.txt" > "$W/compare.txt"
}
check_converged() {	# NAME SECS: waits until rsemu equals AD, then says so
	if wait_until "$1" "$2" converged; then
		sed -n '1p' "$W/compare.txt" | sed 's/^/     /'
	else
		sed 's/^/     /' "$W/compare.txt"
	fi
}
check_creates() {	# NAME [--since ID] [LOG...]: no duplicate, no create sent again
	local name=$1 since=()
	shift
	if [ "${1:-}" = --since ]; then since=(--since "$2"); shift 2; fi
	local logs=("$@")
	if [ ${#logs[@]} = 0 ]; then
		reqlog_all || { fail "$name: rsemu's request log unreadable"; return; }
		logs=("$W/reqlog-all.json")
	fi
	set -- "$name"
	cpy creates "${logs[@]}" --probe "$PROBE_UA" "${since[@]}" > "$W/creates.txt"
	sed 's/^/     /' "$W/creates.txt"
	expect "$1: request log complete (dropped)" \
	    "$(sed -n '1s/.* dropped=\([0-9]*\).*/\1/p' "$W/creates.txt")" 0
	expect "$1: objects created twice" \
	    "$(sed -n '1s/.* duplicated=\([0-9]*\).*/\1/p' "$W/creates.txt")" 0
	expect "$1: creates answered with an error rsemu did not inject (sent again)" \
	    "$(sed -n '1s/.* failed=\([0-9]*\).*/\1/p' "$W/creates.txt")" 0
}
check_plan_empty() {	# the daemon stopped: adsync plan has nothing to do
	adsync_run plan --json > /dev/null
	expect_rc "plan after convergence" 0
	expect "operations of the plan after convergence" "$(json_ops | wc -l)" 0
}
runs_snapshot() {	# the daemon's history to $W/runs.txt (while it runs)
	history_runs > "$W/runs.txt" || fail "adsync history"
	expect_ge "runs in the history" "$(wc -l < "$W/runs.txt")" 1
}
check_no_running_run() {	# after runs_snapshot: the killed runs are closed
	expect "runs left 'running' (after the kills)" "$(awk '$3 == "running"' "$W/runs.txt" | wc -l)" 0
	expect_ge "runs closed as interrupted by the kills" \
	    "$(grep -c ' interrupted' "$W/runs.txt")" "${1:-1}"
}
extra_stop() {	# stops what EXTRA_PIDS names (TERM), before check_leftovers
	local p
	for p in "${EXTRA_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
}
check_leftovers() {
	local k left="" p
	for k in $(seq 1 "$NINST"); do
		sanitizer_check "$W/daemon.$k.err" "daemon instance $k"
	done
	for p in "${DPIDS[@]}" "${EXTRA_PIDS[@]}" $STREAM_PID; do
		alive "$p" && left="$left $p"
	done
	expect "processes we started left running" "${left# }" ""
	expect "adsync processes on this configuration left running" \
	    "$(pgrep -f -- "-c $CONF" | tr '\n' ' ')" ""
	check_not "control socket removed" test -e "$SOCK"
}
daemon_warnings() {	# the daemons' warnings, counted (for the log)
	echo "     warnings of the daemons:"
	cat "$W"/daemon.*.err 2>/dev/null | awk '$3 == "warn" || $3 == "fatal"' |
	    cut -d' ' -f4- | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn |
	    head -n 12 | sed 's/^/     /'
}
chaos_finish() {
	echo "chaos: seed $SEED; reproduce with CHAOS_SEED=$SEED${CHAOS_LONG:+ CHAOS_LONG=1}" \
	    "$0 $ADSYNC $RSEMU $SRCDIR ${CHAOS_ARGS:-}"
	finish
}

#!/bin/bash
# Chaos 4 (issue 9): a mass removal held by the guard, with Samba (gen:200)
# and rsemu:
#   test_chaos_guard.sh ADSYNC RSEMU SRCDIR
#
# `adsync daemon` with max_deletes = 10 has synced the organisation. The
# whole Exchange group is emptied in AD (one ldapmodify: its 160 users and
# its 10 lists leave); the Rackspace Email group stays. The daemon sees it
# by itself (change notification) and holds the removals: its run is
# "held", and rsemu's request log has not one disable (PUT enabled=false)
# or DELETE, every Exchange mailbox is still enabled and every list still
# there. Then, still before the approval, the daemon is killed with
# SIGKILL and restarted (its start-up full read plans the same removals:
# held again) and asked for `sync --now`: still not one disable or delete.
# `adsync approve` of the newest held run: every Exchange mailbox disabled
# (none deleted), every list deleted, each with exactly one request (no
# removal sent twice), the Rackspace Email mailboxes untouched; rsemu
# equals AD and the plan is empty.
# Long (CHAOS_LONG=1): CHAOS_ROUNDS (10) rounds; between two, the group's
# members come back (enables, the lists created again: once each).
# The functions called through wait_until look unreachable to shellcheck;
# the streams' subshells reseed RANDOM on purpose (their own sequence).
# shellcheck disable=SC2317,SC2031
# shellcheck source=tests/chaos/chaos_env.sh
. "$(dirname "$0")/chaos_env.sh" "$@"

if [ -n "$CHAOS_LONG" ]; then ROUNDS=${CHAOS_ROUNDS:-10}; else ROUNDS=${CHAOS_ROUNDS:-1}; fi
conf_set sync max_deletes 10
conf_set sync max_delete_percent 100

held_run() {	# the newest held run's number, or nothing (daemon running)
	ctl history -n 50 --json 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["status"] == "held":
        print(r["run"]); break'
}
held_after() {	# RUN: a held run newer than RUN exists
	local h
	h=$(held_run)
	[ -n "$h" ] && [ "$h" -gt "${1:-0}" ]
}
removals_since() {	# MARK: "disables=N deletes=M" in rsemu's log since MARK
	reqlog_all "$W/reqlog-g.json" &&
	    cpy removals "$W/reqlog-g.json" --probe "$PROBE_UA" --since "$1" > "$W/removals.txt"
	sed -n '1p' "$W/removals.txt"
}
log_last_id() {
	reqlog_all "$W/reqlog-g.json" &&
	    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_id"])' "$W/reqlog-g.json"
}
# counts KIND: "enabled disabled" mailboxes of KIND (ex, rs) in rsemu
counts() {
	emu_state > /dev/null
	awk -F'\t' -v k="$1" '$2 == k && $4 == "f:enabled" { if ($5 == "true") e++; else d++ }
	    END { printf "%d %d\n", e, d }' "$W/state.flat"
}
n_lists() { emu_state > /dev/null; awk -F'\t' '$2 == "dl" && $4 == "@"' "$W/state.flat" | wc -l; }

people_load
mapfile -t EXG_MEMBERS < <(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import chaos
for g in chaos.ldif(sys.argv[2]):
    if chaos.first(g, "dn").lower() == sys.argv[3].lower():
        print("\n".join(g.get("member", [])))' "$CHAOS_DIR" "$W/groups.ldif" "$EXG")
echo "     the Exchange group: ${#EXG_MEMBERS[@]} members"
inst_start
wait_until "the first sync" 120 inst_idle
check_creates "the first sync"
ever_set
LAST_HELD=0

for r in $(seq 1 "$ROUNDS"); do
	echo "=== round $r of $ROUNDS: the Exchange group emptied"
	read -r ex_on ex_off < <(counts ex)
	read -r rs_on rs_off < <(counts rs)
	lists=$(n_lists)
	echo "     rsemu: Exchange $ex_on enabled / $ex_off disabled, Rackspace Email $rs_on / $rs_off, $lists lists"
	MARK=$(log_last_id)
	printf 'dn: %s\nchangetype: modify\nreplace: member\n-\n\n' "$EXG" | ldap_modify ||
	    fail "emptying the Exchange group"
	wait_until "R$r: the daemon holds the removals (a held run)" 60 held_after "$LAST_HELD"
	RUN=$(held_run)
	expect "R$r: removals sent before the approval" "$(removals_since "$MARK")" "disables=0 deletes=0"
	expect "R$r: Exchange mailboxes still enabled" "$(counts ex)" "$ex_on $ex_off"
	expect "R$r: lists still there" "$(n_lists)" "$lists"
	ctl status > "$W/status.txt"
	check "R$r: status names the held run $RUN" grep -q "^held: run $RUN waits for" "$W/status.txt"

	echo "--- killed and restarted while held"
	rand_tenths d 0 20
	sleep "$d"
	inst_kill
	inst_start
	wait_until "R$r: restarted, held again" 60 held_after "$RUN"
	wait_until "R$r: idle" 60 inst_idle
	ctl sync --now > "$W/syncnow.txt" 2>&1
	sed 's/^/     sync --now: /' "$W/syncnow.txt" | head -2
	RUN=$(held_run)
	LAST_HELD=$RUN
	expect "R$r: removals sent before the approval, after the kill and sync --now" \
	    "$(removals_since "$MARK")" "disables=0 deletes=0"
	expect "R$r: Exchange mailboxes still enabled" "$(counts ex)" "$ex_on $ex_off"

	echo "--- approve run $RUN"
	ctl approve "$RUN" > "$W/approve.txt" 2>&1
	expect "R$r: approve exits 0" "$?" 0
	sed 's/^/     /' "$W/approve.txt" | head -3
	expect "R$r: Exchange mailboxes after the approval (enabled, disabled)" "$(counts ex)" "0 $((ex_on + ex_off))"
	expect "R$r: Rackspace Email mailboxes untouched" "$(counts rs)" "$rs_on $rs_off"
	expect "R$r: lists after the approval" "$(n_lists)" 0
	expect "R$r: removals sent (one per mailbox, one per list)" "$(removals_since "$MARK")" \
	    "disables=$ex_on deletes=$lists"
	dup=$(sed -n '2,$p' "$W/removals.txt" | awk '{print $1, $2}' | sort | uniq -d | head -3)
	expect "R$r: a removal sent twice" "$dup" ""
	check_converged "R$r: rsemu equals AD" 30
	if [ "$r" -lt "$ROUNDS" ]; then
		echo "--- the members come back"
		{
			printf 'dn: %s\nchangetype: modify\nadd: member\n' "$EXG"
			printf 'member: %s\n' "${EXG_MEMBERS[@]}"
			printf -- '-\n\n'
		} | ldap_modify || fail "restoring the Exchange group"
		check_converged "R$r: back: rsemu equals AD" 60
		check_creates "R$r" --since "$MARK"
	fi
done

runs_snapshot
inst_stop
check_plan_empty
daemon_warnings
check_leftovers
chaos_finish

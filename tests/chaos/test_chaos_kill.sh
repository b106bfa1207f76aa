#!/bin/bash
# Chaos 1 (issue 9): `adsync daemon` killed with SIGKILL at random moments,
# then restarted, against Samba (gen:200) and rsemu:
#   test_chaos_kill.sh ADSYNC RSEMU SRCDIR initial|delta|password [PWHOOK]
#
# initial   during an initial sync: every POST and PUT is answered
#           CHAOS_LATENCY_MS (150) late (made at once, answered later), so
#           at a kill some creates are made but unanswered; one create of
#           each round's first instance is answered 10 s late and that
#           instance is killed only once it is made, so every round has a
#           kill on a create in flight. The kills, as in test_daemon_crash:
#           a random 0.1-1.5 s after the instance's first write or first
#           request, or 0.5-3 s after its start (start-up, the recovery of
#           the previous kill's ops, the read). Rounds of 5 kills, each from
#           an empty rsemu and a new state directory, then a last instance
#           finishes the sync. Per round: rsemu equals AD, no object
#           created twice, no create sent again, the plan is empty, no run
#           left "running".
# delta     during changes: after a clean initial sync, first a case not
#           left to chance: the daemon dies while rsemu has removed user A
#           from Big List but not answered yet, B leaves the Exchange group
#           while it is down, and after the restart both must be out of the
#           list (then both come back). Then a stream of
#           ldapmodify changes (every 0.1-0.6 s: titles, display names,
#           phones, cities, users out of their group and back, accounts
#           disabled and enabled, list members, new users) runs while the
#           daemon is killed (0.3-4 s after its start, or 0-0.8 s after
#           its first write; PUTs and POSTs answered 150 ms late) and
#           restarted 0-1.5 s later (changes keep coming while it is
#           down). The last instance runs on for 15 more changes, made
#           after its start-up read (so they arrive through notifications
#           and the DirSync cookie only), then the stream stops and the
#           daemon must converge by itself within 60 s: every changed
#           attribute, group and list membership and account state has
#           its final value in rsemu (the whole of AD is compared, not
#           only what changed).
# password  during password pushes: Samba runs adsync-pwhook (enrolled as
#           in test_pwsync.sh). First a case not left to chance: the
#           daemon is killed, a reset P1 waits in the hook's spool, the
#           restarted daemon applies a newer reset P2, then the spool is
#           delivered: the mailbox must keep P2. Then, with the hook's
#           long-running sender, a stream of
#           admin password resets of 16 users (every 0.3-1 s) runs while
#           the daemon is killed (0.3-4 s after its start, or 0-0.6 s after
#           a reset) and restarted. After the last instance has taken 8
#           more resets, the stream stops, the hook's spool is flushed once
#           (adsync-pwhook --sender --once: the long-running sender may be
#           in its 60 s backoff after the kills) and every user's mailbox
#           must have the LAST password set in AD
#           (/_emu/verify-password) within 60 s; the passwords are in no
#           log, state file or spool.
#
# Every case ends with: rsemu equals AD (chaos.py compare), no duplicate
# create in rsemu's whole request log, `adsync plan` empty, no sanitizer
# report, nothing of ours left running. CHAOS_KILLS (short 5, long 200)
# and CHAOS_SEED (printed) as in chaos_env.sh.
# The functions called through wait_until look unreachable to shellcheck;
# the streams' subshells reseed RANDOM on purpose (their own sequence).
# shellcheck disable=SC2317,SC2031
CASE=${4:?usage: test_chaos_kill.sh ADSYNC RSEMU SRCDIR initial|delta|password [PWHOOK]}
PWHOOK=${5:-}
CHAOS_ARGS="$CASE $PWHOOK"
case $CASE in
initial | delta | password) ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
# shellcheck source=tests/chaos/chaos_env.sh
. "$(dirname "$0")/chaos_env.sh" "$@"

echo "case $CASE: $KILLS kills (CHAOS_KILLS)"
KILLED_IN_FLIGHT=0
KILL_WRITES=0

# The writes of instance $NINST at its kill, added up.
tally_kill() {
	local f w
	f=$(sed -n 's/.* in_flight_creates=\([0-9]*\).*/\1/p' "$W/atkill.$NINST.txt")
	w=$(sed -n 's/.* writes=\([0-9]*\).*/\1/p' "$W/atkill.$NINST.txt")
	KILLED_IN_FLIGHT=$((KILLED_IN_FLIGHT + ${f:-0}))
	[ "${w:-0}" = 0 ] || KILL_WRITES=$((KILL_WRITES + 1))
}
wait_final() {	# the last instance: its first cycle ends, ok
	wait_until "instance $NINST ends its first cycle" 180 inst_idle
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print((d.get("last") or {}).get("status"))' "$W/status.json" > "$W/last-status.txt"
	expect "its cycle's status" "$(cat "$W/last-status.txt")" ok
}
end_checks() {	# NAME MIN: the checks every case ends with (after runs_snapshot
	# and the daemon's stop); MIN runs at least were interrupted by kills
	check_converged "$1: rsemu equals AD" 5
	check_creates "$1"
	check_plan_empty
	check_no_running_run "$2"
	nrec=$(cat "$W"/daemon.*.err | grep -c 'from a crashed run')
	echo "     ops recovered from crashed runs (all instances): $nrec"
}

case_initial() {
	local per=5 rounds round k mode delay what kt t0 nk=0 skip r
	local latency=${CHAOS_LATENCY_MS:-150}
	rounds=$(((KILLS + per - 1) / per))
	people_load
	for round in $(seq 1 "$rounds"); do
		echo "=== round $round of $rounds: an initial sync, killed"
		if [ "$round" -gt 1 ]; then
			rm -rf "$W/state"
			curl -sf -o /dev/null -X POST "$EMU_ADMIN/_emu/reset" ||
			    { fail "rsemu reset"; break; }
		fi
		skip=$((RANDOM % 60))
		emu_faults "{\"rules\":[
  {\"method\":\"POST\",\"path\":\"/mailboxes/\",\"match\":\"substring\",\"action\":\"latency\",\"ms\":10000,\"count\":1,\"skip\":$skip},
  {\"method\":\"POST\",\"path\":\"/v1/\",\"match\":\"prefix\",\"action\":\"latency\",\"ms\":$latency,\"count\":0},
  {\"method\":\"PUT\",\"path\":\"/v1/\",\"match\":\"prefix\",\"action\":\"latency\",\"ms\":$latency,\"count\":0}]}" ||
		    { fail "cannot set rsemu faults"; break; }
		for k in $(seq 1 "$per"); do
			[ "$nk" -lt "$KILLS" ] || break
			nk=$((nk + 1))
			req_mark
			if [ $((k % 2)) = 1 ]; then
				mode="write"
				rand_tenths delay 1 15
			elif [ $((RANDOM % 2)) = 0 ]; then
				mode=start
				rand_tenths delay 5 30
			else
				mode=request
				rand_tenths delay 1 15
			fi
			case $mode in
			write) what="its first write" ;;
			request) what="its first API request" ;;
			*) what="its start" ;;
			esac
			echo "--- kill $nk of $KILLS: $delay s after $what"
			inst_start
			t0=$DSTART
			if [ "$mode" != start ]; then
				inst_wait_seen "$mode" idle
				r=$?
				case $r in
				0) echo "     $mode seen $(since "$t0") s after the start" ;;
				2) echo "     instance $NINST went idle first (the sync was done)" ;;
				*) fail "instance $NINST: no $mode ($r)"; tail -n 20 "$W/daemon.$NINST.err" | sed 's/^/     /' ;;
				esac
				t0=$(now)
			fi
			sleep_from "$t0" "$delay"
			if [ "$k" = 1 ]; then	# and until the slow create is made
				for _ in $(seq 1 300); do
					alive "$DPID" || break
					reqlog_inst && python3 -c '
import json, sys
log = json.load(open(sys.argv[1]))
sys.exit(0 if any(r.get("latency_ms", 0) >= 10000 for r in log["requests"]) else 1)' \
					    "$W/reqlog-inst.json" && break
					sleep 0.05
				done
			fi
			inst_kill || break
			tally_kill
		done
		echo "--- round $round: restart, let the sync finish"
		inst_start
		wait_final
		runs_snapshot
		inst_stop
		end_checks "round $round" 1
	done
	echo "     kills with creates in flight: $KILLED_IN_FLIGHT; kills after the instance wrote: $KILL_WRITES"
	expect_ge "creates made but not yet answered at the kills" "$KILLED_IN_FLIGHT" 1
}

# kill_stream WHAT: KILLS kills while a stream runs; instance 1 is running.
# WHAT=write: odd kills 0-0.8 s after the instance's first write;
# WHAT=password: 0-0.6 s after a password reset (the stream's log grows).
kill_stream() {
	local k mode delay t0 gap n0
	for k in $(seq 1 "$KILLS"); do
		req_mark
		if [ "$k" = 1 ]; then t0=$(now); else inst_start; t0=$DSTART; fi
		if [ $((RANDOM % 2)) = 0 ]; then
			mode=start
			rand_tenths delay 3 40
		else
			mode=$1
			rand_tenths delay 0 8
			[ "$mode" = write ] || rand_tenths delay 0 6
		fi
		echo "--- kill $k of $KILLS: $delay s after ${mode/start/its start}"
		case $mode in
		write)
			inst_wait_seen write || fail "instance $NINST: no write within 60 s"
			t0=$(now)
			;;
		password)
			n0=$(wc -l < "$W/pw.txt")
			for _ in $(seq 1 200); do
				[ "$(wc -l < "$W/pw.txt")" -gt "$n0" ] && break
				sleep 0.05
			done
			t0=$(now)
			;;
		esac
		sleep_from "$t0" "$delay"
		inst_kill || break
		tally_kill
		rand_tenths gap 0 15
		sleep "$gap"
	done
}

case_delta() {
	people_load
	echo "=== a clean initial sync"
	inst_start
	wait_final
	ever_set
	echo "=== a list-member removal in flight at a kill, another after it"
	# Not left to chance: rsemu has removed A from Big List but not yet
	# answered when the daemon dies; the restart's recovery plans the
	# removal again, and B, who left meanwhile, joins it in one batch.
	local i ia="" ib=""
	for i in "${!PEOPLE_SVC[@]}"; do
		[ "${PEOPLE_SVC[$i]}" = ex ] || continue
		if [ -z "$ia" ] && [ $((RANDOM % 8)) = 0 ]; then ia=$i
		elif [ -n "$ia" ] && [ -z "$ib" ] && [ $((RANDOM % 8)) = 0 ]; then ib=$i; fi
	done
	[ -n "$ib" ] || ib=$(( (ia + 1) % ${#PEOPLE_DN[@]} ))
	echo "     A: ${PEOPLE_MAIL[$ia]}, B: ${PEOPLE_MAIL[$ib]}"
	emu_faults '{"rules":[{"method":"PUT","path":"/distributionlists/big","match":"substring","action":"latency","ms":8000,"count":1}]}' ||
	    fail "cannot set rsemu faults"
	req_mark
	ad_member "Hosted Exchange Users" delete "${PEOPLE_DN[$ia]}"
	list_put_made() {
		reqlog_inst && python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
sys.exit(0 if any(r["method"] == "PUT" and r["path"].endswith("/distributionlists/big")
                  for r in l["requests"]) else 1)' "$W/reqlog-inst.json"
	}
	wait_until "the removal of A from Big List is made in rsemu" 30 list_put_made
	inst_kill
	emu_faults '{}'
	ad_member "Hosted Exchange Users" delete "${PEOPLE_DN[$ib]}"
	inst_start
	check_converged "A and B out of Big List after the restart" 30
	ad_member "Hosted Exchange Users" add "${PEOPLE_DN[$ia]}" "${PEOPLE_DN[$ib]}"
	emu_faults '{"rules":[
  {"method":"POST","path":"/v1/","match":"prefix","action":"latency","ms":150,"count":0},
  {"method":"PUT","path":"/v1/","match":"prefix","action":"latency","ms":150,"count":0}]}' ||
	    fail "cannot set rsemu faults"
	echo "=== $KILLS kills during a stream of changes"
	: > "$W/changes.txt"
	stream_start all 1 6
	kill_stream write
	echo "=== the last instance, 15 more changes after its start-up read"
	req_mark
	inst_start
	wait_until "instance $NINST: first cycle" 120 inst_cycles_ge 1
	n0=$(wc -l < "$W/changes.txt")
	wait_until "15 more changes" 60 lines_ge "$W/changes.txt" $((n0 + 15))
	stream_stop
	check_converged "every change reached rsemu (by itself)" 60
	runs_snapshot
	inst_stop
	end_checks "delta" 1
	echo "     kills after the instance wrote: $KILL_WRITES"
}

case_password() {
	local i pick pu id
	[ -x "$PWHOOK" ] || sync_skip "adsync-pwhook not built"
	HOOKFILE=$W/dc1.hook
	SPOOL=$W/spool
	conf_set daemon hook_listen 127.0.0.1:18733
	conf_set daemon hook_names localhost
	echo "=== enrol DC1, the hook in Samba"
	adsync_run hook enroll DC1 -o "$HOOKFILE" > /dev/null
	expect_rc "hook enroll" 0
	sed -i "s|^\[global\]\$|[global]\n\tcheck password script = $PWHOOK -c $HOOKFILE --spool $SPOOL|" \
	    "$AD_DIR/etc/smb.conf"
	"$AD_SAMBA_AD" "$AD_DIR" stop >/dev/null
	"$AD_SAMBA_AD" "$AD_DIR" start >/dev/null
	"$AD_SAMBA_AD" "$AD_DIR" wait >/dev/null || { fail "Samba restarts with the hook"; chaos_finish; }
	people_load
	echo "=== a clean initial sync, the hook's sender"
	inst_start
	wait_final
	echo "=== a change spooled while the daemon is dead, a newer one after"
	# Not left to chance: P1 waits in the hook's spool (the daemon was
	# killed), P2 is set after the restart and applied, then the spool is
	# delivered: the mailbox must keep P2, AD's password.
	pu=$((RANDOM % ${#PEOPLE_DN[@]}))
	pw_reset() {	# DN PASSWORD
		printf 'dn: %s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n\n' \
		    "$1" "$(printf '"%s"' "$2" | iconv -t utf-16le | base64 -w0)" | ldap_modify
	}
	pw_is() { echo "${PEOPLE_MAIL[$pu]} $1" > "$W/pw1.txt"; cpy passwords "$EMU_ADMIN" "$W/pw1.txt"; }
	inst_kill
	pw_reset "${PEOPLE_DN[$pu]}" "Chaos-$SEED-P1x!" || fail "reset P1"
	inst_start
	wait_until "restarted" 60 inst_idle
	pw_reset "${PEOPLE_DN[$pu]}" "Chaos-$SEED-P2x!" || fail "reset P2"
	wait_until "P2 is set on ${PEOPLE_MAIL[$pu]}" 30 pw_is "Chaos-$SEED-P2x!"
	"$PWHOOK" -c "$HOOKFILE" --spool "$SPOOL" --sender --once > "$W/once.txt" 2>&1
	id=$(sed -n 's/.*delivered capture \([0-9a-f]*\) .*/\1/p' "$W/once.txt" | head -1)
	check "the spooled P1 reached the daemon ($id)" test -n "$id"
	# Set (pw_pass's line) or dropped as older than P2 (pw_drop's).
	wait_until "the daemon decided about P1" 30 grep -Eq "pw_(pass|drop): .*${id:-none}" "$W/daemon.$NINST.err"
	grep -h "pw_pass: .*${id:-none}" "$W/daemon.$NINST.err" | cut -d' ' -f3- | sed 's/^/     /'
	check "the mailbox keeps P2, the last password set in AD" pw_is "Chaos-$SEED-P2x!"
	echo "${PEOPLE_MAIL[$pu]} Chaos-$SEED-P2x!" > "$W/pw.txt"
	PASSWORDS_EXTRA=("Chaos-$SEED-P1x!")
	"$PWHOOK" -c "$HOOKFILE" --spool "$SPOOL" --sender >> "$W/sender.log" 2>&1 &
	EXTRA_PIDS+=($!)
	# 16 users, both services.
	PW_DN=() PW_MAIL=()
	for i in $(seq 1 16); do
		pick=$((RANDOM % ${#PEOPLE_DN[@]}))
		PW_DN+=("${PEOPLE_DN[$pick]}")
		PW_MAIL+=("${PEOPLE_MAIL[$pick]}")
	done
	rm -f "$W/pwstream.stop"
	(
		RANDOM=$((SEED * 11 + 1))
		n=0
		while [ ! -e "$W/pwstream.stop" ]; do
			n=$((n + 1))
			i=$((RANDOM % ${#PW_DN[@]}))
			pw="Chaos-$SEED-${n}x!"
			if printf 'dn: %s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n\n' \
			    "${PW_DN[$i]}" "$(printf '"%s"' "$pw" | iconv -t utf-16le | base64 -w0)" |
			    ldap_modify; then
				printf '%s %s\n' "${PW_MAIL[$i]}" "$pw" >> "$W/pw.txt"
			else
				echo "password stream: reset of ${PW_DN[$i]} failed" >&2
			fi
			rand_tenths d 3 10
			sleep "$d"
		done
	) &
	STREAM_PID=$!
	echo "=== $KILLS kills during password resets"
	kill_stream password
	echo "=== the last instance, 8 more resets"
	inst_start
	wait_until "instance $NINST: first cycle" 120 inst_cycles_ge 1
	n0=$(wc -l < "$W/pw.txt")
	wait_until "8 more resets" 60 lines_ge "$W/pw.txt" $((n0 + 8))
	touch "$W/pwstream.stop"
	wait "$STREAM_PID"
	STREAM_PID=
	echo "     password resets: $(wc -l < "$W/pw.txt") of $(cut -d' ' -f1 "$W/pw.txt" | sort -u | wc -l) users"
	wait_until "the hook's spool flushed (--sender --once)" 30 \
	    "$PWHOOK" -c "$HOOKFILE" --spool "$SPOOL" --sender --once
	pw_ok() { cpy passwords "$EMU_ADMIN" "$W/pw.txt" > "$W/pwcheck.txt"; }
	wait_until "every mailbox has the last password set in AD" 60 pw_ok
	sed 's/^/     /' "$W/pwcheck.txt"
	echo "     captures received: $(cat "$W"/daemon.*.err | grep -c 'receiver.*queued\|capture.*queued' || true)"
	runs_snapshot
	inst_stop
	end_checks "password" 0
	local leaks=0 f pw
	while read -r _ pw; do
		for f in "$W"/daemon.*.err "$W"/sender.log "$W/state"/* "$SPOOL"/* "$AD_DIR"/log/*; do
			[ -f "$f" ] || continue
			if grep -qaF -- "$pw" "$f"; then
				echo "     password found in $f"
				leaks=$((leaks + 1))
			fi
		done
	done < <(cat "$W/pw.txt"; printf 'x %s\n' "${PASSWORDS_EXTRA[@]}")
	expect "test passwords in logs, state and spool" "$leaks" 0
}

"case_$CASE"
extra_stop
daemon_warnings
check_leftovers
chaos_finish

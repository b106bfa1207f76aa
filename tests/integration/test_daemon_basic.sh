#!/bin/bash
# The daemon end to end (issue 6, docs/daemon.md): `adsync daemon` against
# the sample organisation in Samba and rsemu, nothing triggered by hand
# unless said:
#   test_daemon_basic.sh ADSYNC RSEMU SRCDIR
# the first (full) cycle at start; a title change, a group removal and
# return, a rename and a deletion in AD each reach rsemu by themselves;
# `status`, `history`, `alerts`; `sync --now` and `sync --now --full`
# answer with their cycle; a second daemon on the same state directory is
# refused; SIGHUP logs what changed, and a broken file is refused with the
# old settings kept; SIGTERM stops it cleanly (socket removed).
# Binds as the Administrator: Samba hides deletions from a non-admin
# DirSync account (docs/ldap.md), so only then does a deletion arrive
# without the daily full read.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

conf_set ad bind_dn "$AD_ADMIN_DN"
conf_set ad bind_password_file "$AD_ADMIN_PASSWORD_FILE"
MBX=example.com/ex/mailboxes
ALICE="CN=Alice Anderson,$PEOPLE"
TRENT="CN=Trent Taylor,$PEOPLE"
GRACE="CN=Grace Green,$PEOPLE"
SOCK=$W/state/ctl.sock

ctl() { "$ADSYNC" -c "$CONF" "$@"; }
field_is() {	# DOMAIN KIND NAME FIELD VALUE: rsemu has it now
	emu_state >/dev/null 2>&1
	[ "$(st_field "$1" "$2" "$3" "$4")" = "$5" ]
}
cycles_done() {	# N: at least N cycles have ended
	local n
	n=$(ctl status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("cycles", 0))') || return 1
	[ "$n" -ge "$1" ]
}

echo "=== start"
"$ADSYNC" -c "$CONF" -v daemon --allow-root > "$W/daemon.out" 2> "$W/daemon.err" &
DPID=$!
BG_PID=$DPID	# killed by sync_cleanup if the test dies
wait_for "control socket up" 10 test -S "$SOCK"
wait_for "first cycle done" 60 cycles_done 1
emu_state
sample_mailboxes_as_expected

echo "=== status, history, alerts"
ctl status > "$W/status.txt"; cat "$W/status.txt"
check "status says idle" grep -q '^state: idle' "$W/status.txt"
check "status names the DC" grep -q '^domain controller: dc1' "$W/status.txt"
check "status: a last cycle" grep -qE '^last cycle: run [0-9]+ \(.*\), (partial|ok)' "$W/status.txt"
ctl status --json > "$W/status.json"
check "status --json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["objects"] > 40, d' "$W/status.json"
check "status counts objects per service" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["objects_by_service"]; assert s["ex"] > 0 and s["rs"] > 0 and s["ex"] + s["rs"] == d["objects"] and d["queue"] == 0, d' "$W/status.json"
check "status says it per service" grep -qE '^synced objects: [0-9]+ \(Hosted Exchange [0-9]+, Rackspace Email [0-9]+\)' "$W/status.txt"
# The sandbox (docs/SECURITY.md): on by default, the kernel's own view.
check "status names the sandbox" grep -qE '^sandbox: (Landlock ABI [0-9]+ \(files|no Landlock in this kernel).*seccomp' "$W/status.txt"
check "the kernel: no_new_privs and a seccomp filter" grep -qzE 'NoNewPrivs:[[:space:]]+1.*Seccomp:[[:space:]]+2' "/proc/$DPID/status"
check "the kernel: no capability left" grep -qE '^CapEff:[[:space:]]+0+$' "/proc/$DPID/status"
ctl history -n 5 > "$W/hist.txt"; cat "$W/hist.txt"
check "history lists the start run" grep -q ' start ' "$W/hist.txt"
ctl alerts > "$W/alerts.txt"; head -n 12 "$W/alerts.txt"
check "alerts: the sample's empty mail" grep -q "specified in the mail attribute" "$W/alerts.txt"
ctl alerts --json | head -n 1 > "$W/alert1.json"
check "alerts --json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["message"] and d["level"], d' "$W/alert1.json"

echo "=== root is refused without --allow-root (docs/SECURITY.md)"
if [ "$(id -u)" = 0 ]; then
	"$ADSYNC" -c "$CONF" daemon > "$W/root.out" 2> "$W/root.err"
	expect "daemon as root exits 1" "$?" 1
	check "daemon as root says why and the fix" grep -q "will not run as root: run it as the adsync user.*--allow-root" "$W/root.err"
fi

echo "=== a second daemon on the same state is refused"
"$ADSYNC" -c "$CONF" daemon --allow-root > "$W/d2.out" 2> "$W/d2.err"
expect "second daemon exits 1" "$?" 1
check "second daemon says why" grep -q "another adsync daemon is running" "$W/d2.err"

echo "=== changes arrive by themselves"
ad_set "$ALICE" title "Chief Daemon Officer"
wait_for "title change reaches rsemu" 15 field_is example.com ex alice.anderson jobTitle "Chief Daemon Officer"
ad_member "Hosted Exchange Users" delete "$TRENT"
wait_for "leaving the group disables" 15 field_is example.com ex trent.taylor enabled false
ad_member "Hosted Exchange Users" add "$TRENT"
wait_for "coming back enables" 15 field_is example.com ex trent.taylor enabled true
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=Grace Greenwood\ndeleteoldrdn: 1\n\n' "$GRACE" | ldap_modify
ad_set "CN=Grace Greenwood,$PEOPLE" displayName "Grace Greenwood"
wait_for "rename: the new display name arrives" 15 field_is example.com ex grace.green displayName "Grace Greenwood"
ad_delete "$TRENT"
wait_for "deleted in AD disables" 15 field_is example.com ex trent.taylor enabled false
check "trent's mailbox still exists (disabled, never deleted)" field_is example.com ex trent.taylor name trent.taylor

echo "=== sync --now"
ctl sync --now --json > "$W/now.json"; RC=$?
cat "$W/now.json"
expect "sync --now exit status (sample alerts: partial)" "$RC" 2
check "sync --now answers with its run" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["trigger"] == "now" and d["run"] > 0 and not d["full_read"], d' "$W/now.json"
ctl sync --now --full > "$W/nowfull.txt"; cat "$W/nowfull.txt"
check "sync --now --full reads in full" grep -q '(full)' "$W/nowfull.txt"
check_not "sync --now --dry-run is refused" ctl sync --now --dry-run

echo "=== explain"
ctl explain alice.anderson@example.com > "$W/explain1.txt"; RC=$?
cat "$W/explain1.txt"
expect "explain by address: exit status" "$RC" 0
check "explain: the AD object" grep -q "^in AD: user CN=Alice Anderson,$PEOPLE" "$W/explain1.txt"
check "explain: the scope rule" grep -q "a direct member of CN=Hosted Exchange Users" "$W/explain1.txt"
check "explain: where it is synced" grep -q "^synced: ex mailbox alice.anderson@example.com, enabled" "$W/explain1.txt"
check "explain: in step" grep -q "^pending: nothing" "$W/explain1.txt"
check "explain: the last operations" grep -q "update done" "$W/explain1.txt"
ctl explain "CN=Nina Nomail,$PEOPLE" > "$W/explain2.txt"
cat "$W/explain2.txt"
check "explain by DN: the empty mail alert" grep -q "^alert: error The value '' specified in the mail attribute" "$W/explain2.txt"
check "explain by DN: synced nowhere" grep -q "^synced: nowhere" "$W/explain2.txt"
ALICE_GUID=$(ad_guid "$ALICE")
ctl explain "$ALICE_GUID" --json > "$W/explain3.json"
check "explain by GUID, --json" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["guid"] == sys.argv[2] and d["synced"][0]["address"] == "alice.anderson@example.com", d' "$W/explain3.json" "$ALICE_GUID"
ctl explain nobody@example.com > "$W/explain4.txt" 2>&1; RC=$?
expect "explain of an unknown address fails" "$RC" 1
check "explain of an unknown address says what to give" grep -q "give the object's DN or GUID" "$W/explain4.txt"

echo "=== the guard holds a mass disable; approve and reject"
# At most one removal per run without a decision (the daemon reads the
# new limit at SIGHUP).
conf_set sync max_deletes 1
kill -HUP "$DPID"
wait_for "SIGHUP: max_deletes = 1 taken" 10 grep -q 'configuration changed: \[sync\] max_deletes = 1' "$W/daemon.err"
wait_for "the reload's cycle ended" 15 cycles_done $(( $(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycles"])') ))
held_run() {	# the newest held run's number, or nothing
	ctl history -n 50 --json | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["status"] == "held":
        print(r["run"]); break'
}
BOB="CN=Bob Baker,$PEOPLE"
CAROL="CN=Carol Chen,$PEOPLE"
DAVID="CN=David Dunn,$PEOPLE"
ERIN="CN=Erin Evans,$PEOPLE"
held_not() { local r; r=$(held_run); [ -n "$r" ] && [ "$r" != "${1:-}" ]; }
ad_member "Hosted Exchange Users" delete "$BOB" "$CAROL"
wait_for "two removals make a held run" 15 held_not
RUN1=$(held_run)
echo "held run: $RUN1"
check "held: bob still enabled" field_is example.com ex bob.baker enabled true
check "held: carol still enabled" field_is example.com ex carol.chen enabled true
ctl alerts > "$W/alerts2.txt"
check "held: an alert says how to approve" grep -q 'adsync approve RUN' "$W/alerts2.txt"
ctl status > "$W/status2.txt"
check "held: status names the run" grep -q "^held: run $RUN1 waits for" "$W/status2.txt"
ctl approve "$RUN1" > "$W/approve.txt"; RC=$?
cat "$W/approve.txt"
check "approve answers with the cycle that applied them" grep -q '(approve)' "$W/approve.txt"
check "approved: bob disabled" field_is example.com ex bob.baker enabled false
check "approved: carol disabled" field_is example.com ex carol.chen enabled false
check_not "the same run cannot be approved twice" ctl approve "$RUN1"

ad_member "Hosted Exchange Users" delete "$DAVID" "$ERIN"
wait_for "two more removals make another held run" 15 held_not "$RUN1"
RUN2=$(held_run)
echo "held run: $RUN2"
ctl reject "$RUN2" > "$W/reject.txt"; RC=$?
cat "$W/reject.txt"
expect "reject exit status" "$RC" 0
check "reject says how many" grep -q "run $RUN2: 2 held removals rejected" "$W/reject.txt"
ctl sync --now > /dev/null
check "rejected: david still enabled" field_is example.com ex david.dunn enabled true
check "rejected: erin still enabled" field_is example.com ex erin.evans enabled true
ctl alerts > "$W/alerts3.txt"
check "rejected: a warning per object" grep -q "david.dunn@example.com .*rejected by the administrator" "$W/alerts3.txt"
check_not "rejected: no new held run" held_not "$RUN2"
check_not "a rejected run cannot be approved" ctl approve "$RUN2"
# Back in scope: the rejection is over; out again later: held again.
ad_member "Hosted Exchange Users" add "$DAVID" "$ERIN"
ctl sync --now > /dev/null
ctl alerts > "$W/alerts4.txt"
check_not "back in scope: the warnings cleared" grep -q "david.dunn@example.com .*rejected" "$W/alerts4.txt"
conf_set sync max_deletes 500

echo "=== a refused operation: retried, then backed off, an alert; --full retries"
FRANK="CN=Frank Fischer,$PEOPLE"
FPATH=/v1/customers/me/domains/example.com/ex/mailboxes/frank.fischer
emu_faults '{"rules":[{"method":"PUT","path":"'"$FPATH"'","match":"substring","action":"error500","count":0}]}' ||
    fail "cannot set rsemu faults"
for i in 1 2 3; do
	ad_set "$FRANK" title "Refused $i"
	ctl sync --now > "$W/refused$i.txt"
done
check "the third refusal is an error of the cycle" grep -q "1 errors" "$W/refused3.txt"
req_mark
ad_set "$FRANK" title "Refused 4"
ctl sync --now > "$W/refused4.txt"; cat "$W/refused4.txt"
emu_requests >/dev/null
expect "after 3 failures in a row: not sent again at once" "$(req_count "^PUT example.com/ex/mailboxes/frank.fischer ")" 0
ctl alerts > "$W/alerts5.txt"
check "the failure is an open alert with the next try" grep -q "frank.fischer@example.com): failed 3 times in a row .*tries again after" "$W/alerts5.txt"
emu_faults '{}'
ctl sync --now --full > "$W/refused5.txt"; cat "$W/refused5.txt"
check "a full cycle tries again, and it succeeds" field_is example.com ex frank.fischer jobTitle "Refused 4"
ctl alerts > "$W/alerts6.txt"
check_not "the alert cleared once it synced" grep -q "frank.fischer@example.com): failed" "$W/alerts6.txt"

echo "=== a running cycle shows its progress"
emu_faults '{"rules":[{"method":"PUT","path":"/v1/customers/me/domains/example.com/ex/mailboxes/","match":"prefix","action":"latency","ms":1500,"count":0}]}' ||
    fail "cannot set rsemu faults"
ad_set "$ALICE" title "Progress One"
progress_seen() {
	ctl status > "$W/status-run.txt" 2>/dev/null &&
	    grep -qE '^state: syncing \(change, since .*: applying, [0-9]+ of [0-9]+ operations' "$W/status-run.txt"
}
wait_for "status shows the cycle applying, with its operations done of total" 10 progress_seen
cat "$W/status-run.txt" | head -n 1
emu_faults '{}'
wait_for "the slowed change arrived" 15 field_is example.com ex alice.anderson jobTitle "Progress One"

echo "=== SIGHUP"
conf_set sync interval 77
kill -HUP "$DPID"
wait_for "SIGHUP logs the change" 10 grep -q 'configuration changed: \[sync\] interval = 77 (was: 300)' "$W/daemon.err"
check "SIGHUP logs max_deletes back" grep -q 'configuration changed: \[sync\] max_deletes = 500 (was: 1)' "$W/daemon.err"
cp "$CONF" "$W/conf.good"
echo "this is not a setting" >> "$CONF"
kill -HUP "$DPID"
wait_for "a broken file is refused" 10 grep -q 'has errors; the running configuration stays' "$W/daemon.err"
cp "$W/conf.good" "$CONF"
check "still answering after the reloads" ctl status
ad_set "$ALICE" title "After Reload"
wait_for "changes still arrive after the reloads" 15 field_is example.com ex alice.anderson jobTitle "After Reload"

echo "=== SIGTERM"
kill -TERM "$DPID"
T0=$(date +%s)
wait "$DPID"; DRC=$?
BG_PID=
expect "daemon exit status" "$DRC" 0
expect_ge "stopped within 10 s" $((10 - ($(date +%s) - T0))) 0
check_not "control socket removed" test -e "$SOCK"
check "logged the stop" grep -q 'stopped' "$W/daemon.err"
sanitizer_check "$W/daemon.err" "adsync daemon"
grep -E 'warn|error' "$W/daemon.err" | head -n 20
finish

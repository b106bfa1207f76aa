#!/bin/bash
# A crash between the journal and the API's answer (docs/testing-sync.md,
# issue 5):
#   test_sync_crash.sh ADSYNC RSEMU SRCDIR
# 1. rsemu holds back its replies to mailbox creates; adsync is killed with
#    SIGKILL as soon as the first create reached rsemu (which made the
#    mailbox). The next `sync --once` reconciles the pending operations
#    ("recovered" > 0): every mailbox exists, and no create that rsemu
#    received is ever sent again (the lost create is found by name).
# 2. drop_after on one create (rsemu makes the mailbox, the reply is lost):
#    exactly one POST for it, and the mailbox exists once.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

echo "=== 1. SIGKILL while creates are in flight"
emu_faults '{"rules":[{"method":"POST","path":"/mailboxes/","match":"substring","action":"latency","ms":4000,"count":0}]}' ||
    { echo "FAIL: cannot set rsemu faults"; exit 1; }
req_mark
adsync_bg sync --once --json
seen=0
for _ in $(seq 1 600); do	# up to 30 s (AD read, inventory, first POST)
	emu_requests 2>/dev/null
	if grep -q '^POST .*/mailboxes/' "$W/reqs.txt" 2>/dev/null; then seen=1; break; fi
	kill -0 "$BG_PID" 2>/dev/null || break
	sleep 0.05
done
check "a mailbox create reached rsemu while adsync ran" test "$seen" = 1
kill -KILL "$BG_PID" 2>/dev/null
bg_wait
check "adsync was killed (status 137)" test "$BG_RC" = 137
emu_faults '{}'
emu_requests
grep '^POST ' "$W/reqs.txt" | sed 's/ [0-9]*$//' | sort > "$W/posts1.txt"
echo "     creates received before the kill: $(tr '\n' ' ' < "$W/posts1.txt")"
emu_state
n1=$(for d in example.com example.net; do for k in ex rs; do st_names $d $k; done; done | wc -l)
expect_ge "mailboxes rsemu made before the kill" "$n1" 1
expect "state of the killed run: nothing else but the creates received" \
    "$(req_writes | grep -vc '^POST ')" 0

req_mark
adsync_run sync --once --json
expect_rc "the run after the crash" 2
expect_ge "summary recovered" "$(summary_get recovered)" 1
emu_requests
show_reqs 10
grep '^POST ' "$W/reqs.txt" | sed 's/ [0-9]*$//' | sort > "$W/posts2.txt"
expect "creates sent again after the crash" \
    "$(comm -12 "$W/posts1.txt" "$W/posts2.txt" | tr '\n' ' ')" ""
expect "POSTs answered 409 (already exists)" "$(req_count '^POST .* 409$')" 0
emu_state
sample_mailboxes_as_expected
expect "lists" "$(st_names example.com dl | tr '\n' ' ')" "$(words "$SAMPLE_DL_COM" | tr '\n' ' ')"
req_mark
adsync_run sync --once --json
emu_requests
expect "writes of the next sync" "$(req_writes | wc -l)" 0

echo "=== 2. the reply to a create is lost (drop_after)"
conf_set sync state_dir "$W/state2"
curl -sf -o /dev/null -X POST "$EMU_ADMIN/_emu/reset" || { echo "FAIL: rsemu reset"; exit 1; }
REQ_MARK=0
emu_faults '{"rules":[{"method":"POST","path":"/example.com/ex/mailboxes/alice.anderson","match":"substring","action":"drop_after","count":1}]}' ||
    { echo "FAIL: cannot set rsemu faults"; exit 1; }
adsync_run sync --once --json
expect_rc "sync with a lost reply" 2
emu_requests
show_reqs 5
expect "POSTs of alice's mailbox" \
    "$(grep -c '^POST example\.com/ex/mailboxes/alice\.anderson ' "$W/reqs.txt")" 1
curl -sf -o "$W/faults.json" "$EMU_ADMIN/_emu/faults"
expect "the drop_after rule fired" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rules"][0]["fired"])' "$W/faults.json")" 1
emu_state
expect "alice's mailbox exists" "$(st_field example.com ex alice.anderson displayName)" "Alice Anderson"
sample_mailboxes_as_expected
req_mark
adsync_run sync --once --json
emu_requests
expect "writes of the next sync" "$(req_writes | wc -l)" 0
finish

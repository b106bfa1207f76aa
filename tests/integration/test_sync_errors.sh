#!/bin/bash
# Failures (docs/testing-sync.md, issue 5):
#   test_sync_errors.sh ADSYNC RSEMU SRCDIR
# AD unreachable (a wrong URI, then the DC stopped) and a bad bind password:
# exit 1, "nothing applied", not one request to rsemu. A second adsync on
# the same state_dir is refused, naming the PID of the one running. The
# service's mailbox limit: the seed's "Performed action 'Create' for user
# ... Mailbox limit exceeded." per refused mailbox, exit 2, the rest
# applied.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

no_requests() {	# NAME: rsemu received nothing since the mark
	emu_requests
	expect "$1: requests to rsemu" "$(wc -l < "$W/reqs.txt")" 0
}

echo "=== AD unreachable: a URI nobody listens on"
conf_set ad uri ldaps://127.0.0.2
req_mark
adsync_run sync --once
expect_rc "wrong URI" 1
expect_out "wrong URI: nothing applied" "nothing applied"
expect_out "wrong URI: names the URI" "ldaps://127.0.0.2"
no_requests "wrong URI"
conf_set ad uri "$AD_URI"

echo "=== a bad bind password"
( umask 077; printf 'Wrong-Passw0rd!' > "$W/bad.pw" )
audit_secret sync_errors/wrong_bind_password 'Wrong-Passw0rd!'	# the secrets audit
conf_set ad bind_password_file "$W/bad.pw"
req_mark
adsync_run sync --once
expect_rc "bad password" 1
expect_out "bad password: nothing applied" "nothing applied"
expect_out "bad password: invalid credentials" "invalid credentials"
expect_out "bad password: names the account" "$AD_BIND_DN"
no_requests "bad password"
adsync_run plan
expect_rc "plan with a bad password" 1
conf_set ad bind_password_file "$AD_BIND_PASSWORD_FILE"

echo "=== a second adsync on the same state_dir"
# Every API read waits 1.5 s, so the first sync is still running.
emu_faults '{"rules":[{"method":"GET","path":"/v1/","match":"prefix","action":"latency","ms":1500,"count":0}]}' ||
    { echo "FAIL: cannot set rsemu faults"; exit 1; }
req_mark
adsync_bg sync --once --json
for _ in $(seq 1 400); do	# until its first API request (it holds the lock)
	emu_requests 2>/dev/null
	[ -s "$W/reqs.txt" ] && break
	kill -0 "$BG_PID" 2>/dev/null || break
	sleep 0.05
done
check "the first sync is running" alive "$BG_PID"
adsync_run sync --once
expect_rc "second sync on the same state" 1
expect_out "names the running adsync's PID ($BG_PID)" "$BG_PID"
check "says the state is in use (lock)" grep -qi 'lock\|in use\|already running' "$W/err"
adsync_run plan
expect_rc "plan on the same state" 1
expect_out "plan: names the PID" "$BG_PID"
emu_faults '{}'
bg_wait
expect "the first sync finished normally (exit 2: the sample's alerts)" "$BG_RC" 2
emu_state
sample_mailboxes_as_expected

echo "=== the DC stopped"
"$AD_SAMBA_AD" "$AD_DIR" stop > /dev/null
req_mark
adsync_run sync --once
expect_rc "DC stopped" 1
expect_out "DC stopped: nothing applied" "nothing applied"
no_requests "DC stopped"
"$AD_SAMBA_AD" "$AD_DIR" start > /dev/null
"$AD_SAMBA_AD" "$AD_DIR" wait > /dev/null || { echo "FAIL: the DC did not come back"; exit 1; }
req_mark
adsync_run sync --once --json
expect_rc "DC back" 2
emu_requests
expect "writes after the DC came back" "$(req_writes | wc -l)" 0

echo "=== the mailbox limit (20 per domain)"
curl -sf -o /dev/null -X POST "$EMU_ADMIN/_emu/reset" || { echo "FAIL: rsemu reset"; exit 1; }
rsemu_start --mailbox-limit 20
conf_set sync state_dir "$W/state-limit"
req_mark
adsync_run sync --once --json
expect_rc "limit reached" 2
emu_requests
emu_state
com=$( (st_names example.com ex; st_names example.com rs) | wc -l)
expect "mailboxes in example.com (the limit)" "$com" 20
expect_names "example.net is under the limit" example.net rs "$SAMPLE_RS_NET"
expect "contacts applied" "$( (st_names example.com contact; st_names example.net contact) | wc -l)" 2
expect_names "lists applied" example.com dl "$SAMPLE_DL_COM"
alerts_load
limit_alerts=$(grep -ciF "Mailbox limit exceeded" "$W/alerts.txt")
expect_ge "Mailbox limit alerts" "$limit_alerts" 17
for u in $SAMPLE_EX_COM; do
	[ "$(st_field example.com ex "$u" enabled)" = "<absent>" ] || continue
	alert_has "$u: the seed's limit message" "Performed action 'Create' for user" "$u@example.com" "Mailbox limit exceeded"
done
for u in $SAMPLE_RS_COM; do
	[ "$(st_field example.com rs "$u" enabled)" = "<absent>" ] || continue
	alert_has "$u: the seed's limit message" "Performed action 'Create' for user" "$u@example.com" "Mailbox limit exceeded"
done
expect_ge "summary errors (at least the limit alerts)" "$(summary_get errors)" "$limit_alerts"
finish

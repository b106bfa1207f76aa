#!/bin/bash
# The mass-removal guard (docs/testing-sync.md, issue 5):
#   test_sync_guard.sh ADSYNC RSEMU SRCDIR
# More disables than max_deletes: the run is held (exit 2, status "held",
# nothing sent) until --allow-deletes; the same with max_delete_percent;
# a directory showing nothing in scope while the state has objects is an
# error (exit 1, "nothing applied"), never a mass disable.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

MBX=example.com/ex/mailboxes
conf_set sync max_deletes 3
conf_set sync max_delete_percent 100

echo "=== first sync"
adsync_run sync --once --json
expect_rc "first sync" 2

echo "=== five users leave the Exchange group, max_deletes = 3"
FIVE="erin.evans grace.green heidi.hoffmann ivan.ivanov mallory.moore"
ad_member "Hosted Exchange Users" delete "CN=Erin Evans,$PEOPLE" "CN=Grace Green,$PEOPLE" \
    "CN=Heidi Hoffmann,$PEOPLE" "CN=Ivan Ivanov,$PEOPLE" "CN=Mallory Moore,$PEOPLE"
adsync_run plan
expect_rc "plan" 0
req_mark
adsync_run sync --once --json
expect_rc "held run" 2
expect "summary status" "$(summary_get status)" held
expect "summary held" "$(summary_get held)" 5
expect "summary disabled" "$(summary_get disabled)" 0
alert_re "a held alert" '^held'
emu_requests
show_reqs 20
expect "writes of the held run" "$(req_writes | wc -l)" 0
emu_state
for u in $FIVE; do
	expect "$u still enabled" "$(st_field example.com ex "$u" enabled)" true
done
# Held again on the next run: the guard is not a one-off.
req_mark
adsync_run sync --once --json
expect_rc "held again" 2
expect "held again: status" "$(summary_get status)" held
emu_requests
expect "writes of the second held run" "$(req_writes | wc -l)" 0

echo "=== --allow-deletes"
req_mark
adsync_run sync --once --allow-deletes --json
expect_rc "allowed run (the sample's alerts remain)" 2
expect "summary status" "$(summary_get status)" partial
expect "summary disabled" "$(summary_get disabled)" 5
emu_requests
show_reqs 20
expect "writes of the allowed run" "$(req_writes | sort | tr '\n' '|')" \
    "$(for u in $FIVE; do echo "PUT $MBX/$u 200"; done | sort | tr '\n' '|')"
emu_state
for u in $FIVE; do
	expect "$u disabled" "$(st_field example.com ex "$u" enabled)" false
done

echo "=== max_delete_percent = 5, three users leave"
conf_set sync max_deletes 500
conf_set sync max_delete_percent 5
THREE="niaj.nguyen olivia.obrien rupert.russell"
ad_member "Hosted Exchange Users" delete "CN=Niaj Nguyen,$PEOPLE" \
    "CN=Olivia O'Brien,$PEOPLE" "CN=Rupert Russell,$PEOPLE"
req_mark
adsync_run sync --once --json
expect_rc "held by percent" 2
expect "summary status" "$(summary_get status)" held
expect "summary held" "$(summary_get held)" 3
emu_requests
expect "writes of the held run" "$(req_writes | wc -l)" 0
conf_set sync max_delete_percent 50
req_mark
adsync_run sync --once --json
expect "summary status with 50%" "$(summary_get status)" partial
expect "summary disabled" "$(summary_get disabled)" 3
emu_requests
expect "writes with 50%" "$(req_writes | sort | tr '\n' '|')" \
    "$(for u in $THREE; do echo "PUT $MBX/$u 200"; done | sort | tr '\n' '|')"

echo "=== nothing in scope: both groups emptied"
printf 'dn: %s\nchangetype: modify\nreplace: member\n-\n\ndn: %s\nchangetype: modify\nreplace: member\n-\n\n' \
    "$EXG" "$RSG" | ldap_modify
expect "members left in the Exchange group" \
    "$(ldap_search -b "$EXG" -s base '(objectClass=*)' member | grep -c '^member')" 0
for flags in "" "--allow-deletes"; do
	req_mark
	# shellcheck disable=SC2086
	adsync_run sync --once $flags
	expect_rc "empty scope ${flags:-without flags}: failed as a whole" 1
	expect_out "empty scope: nothing applied" "nothing applied"
	expect_out "empty scope: says nothing is in scope" "nothing in scope"
	emu_requests
	show_reqs 10
	expect "requests to rsemu with an empty scope" "$(wc -l < "$W/reqs.txt")" 0
done
adsync_run plan
expect_rc "plan with an empty scope" 1
expect_out "plan: nothing in scope" "nothing in scope"
finish

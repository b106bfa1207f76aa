#!/bin/bash
# Changes in AD after the first sync, each followed by one `sync --once`
# whose requests are compared with the exact ones expected
# (docs/testing-sync.md, issue 5):
#   test_sync_lifecycle.sh ADSYNC RSEMU SRCDIR
# leaving the group disables (never deletes), coming back enables,
# ACCOUNTDISABLE disables, deleting the AD user disables, a changed title
# is one PUT of jobTitle alone, a changed local part of mail is refused
# ("Service ID"), list membership churn, a list and a contact leaving the
# group are deleted.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

TRENT="CN=Trent Taylor,$PEOPLE"
GRACE="CN=Grace Green,$PEOPLE"
IVAN="CN=Ivan Ivanov,$PEOPLE"
HEIDI="CN=Heidi Hoffmann,$PEOPLE"
JUDY="CN=Judy Jones,$PEOPLE"
JANE="CN=Jane Beta,$CONTACTS"
JANE_GUID=$(ad_guid "$JANE")
MBX=example.com/ex/mailboxes

# step NAME: one sync --once --json with the request log around it.
step() {
	echo "=== $1"
	req_mark
	adsync_run sync --once --json
	emu_requests
	show_reqs 20
	emu_state
}
# writes_are NAME "LINE|LINE...": the write requests of the step, exactly
# (order free; GETs are not compared).
writes_are() {
	local got want
	got=$(req_writes | sort | tr '\n' '|')
	want=$(printf '%s\n' "$2" | tr '|' '\n' | sed '/^$/d' | sort | tr '\n' '|')
	expect "$1" "$got" "$want"
}
body_is() {	# NAME METHOD PATH JSON: the (one) body sent, exactly
	expect "$1" "$(req_body "$2" "$3" | tr '\n' '|')" "$4|"
}

step "first sync"
expect_rc "first sync" 2
sample_mailboxes_as_expected

ad_member "Hosted Exchange Users" delete "$TRENT"
step "trent leaves the Exchange group"
expect_rc "sync" 2
writes_are "leaving the group: one PUT, no DELETE" "PUT $MBX/trent.taylor 200"
body_is "leaving the group: PUT enabled=false only" PUT $MBX/trent.taylor '{"enabled": "false"}'
expect "trent disabled in rsemu" "$(st_field example.com ex trent.taylor enabled)" false
expect "summary disabled" "$(summary_get disabled)" 1

ad_member "Hosted Exchange Users" add "$TRENT"
step "trent back in the group"
writes_are "back in the group: one PUT" "PUT $MBX/trent.taylor 200"
body_is "back in the group: PUT enabled=true" PUT $MBX/trent.taylor '{"enabled": "true"}'
expect "trent enabled again" "$(st_field example.com ex trent.taylor enabled)" true
expect "summary enabled" "$(summary_get enabled)" 1

ad_set "$GRACE" userAccountControl 66050	# 66048 | ACCOUNTDISABLE
step "grace's account disabled in AD"
writes_are "ACCOUNTDISABLE: one PUT" "PUT $MBX/grace.green 200"
body_is "ACCOUNTDISABLE: PUT enabled=false" PUT $MBX/grace.green '{"enabled": "false"}'
expect "grace disabled" "$(st_field example.com ex grace.green enabled)" false

ad_set "$GRACE" userAccountControl 66048
step "grace's account enabled again"
writes_are "account enabled: one PUT" "PUT $MBX/grace.green 200"
expect "grace enabled" "$(st_field example.com ex grace.green enabled)" true

# Samba 4.17 hides tombstones (and the member values a deletion removes)
# from DirSync by accounts that are not administrators, even with
# "Replicating Directory Changes" (real AD returns them; see
# test_ldap.sh, incremental_case): from here on adsync binds as the
# administrator, as the deletion cases of test_ldap.sh do.
conf_set ad bind_dn "$AD_ADMIN_DN"
conf_set ad bind_password_file "$AD_ADMIN_PASSWORD_FILE"
step "bind as the administrator: nothing changed"
writes_are "changing the bind account writes nothing" ""
ad_delete "$IVAN"
step "ivan deleted in AD"
writes_are "deleted in AD: one PUT, no DELETE" "PUT $MBX/ivan.ivanov 200"
body_is "deleted in AD: PUT enabled=false" PUT $MBX/ivan.ivanov '{"enabled": "false"}'
expect "ivan's mailbox kept, disabled" "$(st_field example.com ex ivan.ivanov enabled)" false

ad_set "$HEIDI" title "Head of People"
step "heidi's title changed"
expect_rc "sync" 2
writes_are "title: one PUT" "PUT $MBX/heidi.hoffmann 200"
body_is "title: PUT of jobTitle alone" PUT $MBX/heidi.hoffmann '{"jobTitle": "Head of People"}'
expect "heidi jobTitle" "$(st_field example.com ex heidi.hoffmann jobTitle)" "Head of People"
expect "summary updated" "$(summary_get updated)" 1

ad_set "$JUDY" mail judith.jones@example.com
step "judy's mail local part changed"
expect_rc "sync (refused change)" 2
writes_are "Service ID change: nothing written" ""
alert_has "Service ID alert for judy" "Service ID" "Judy Jones"
expect "old mailbox untouched (enabled)" "$(st_field example.com ex judy.jones enabled)" true
expect "no new mailbox" "$(st_field example.com ex judith.jones enabled)" "<absent>"
ad_set "$JUDY" mail judy.jones@example.com
step "judy's mail restored"
writes_are "mail restored: nothing written" ""
no_alert "no Service ID alert any more" "Service ID"

ad_member Sales add "CN=Carol Chen,$PEOPLE" "CN=Peggy Park,$PEOPLE"
ad_member Sales delete "CN=José Muñoz,$PEOPLE"
step "Sales: carol and peggy in, jose out"
check "membership churn: only PUTs on the Sales list" \
    test "$(req_writes | grep -vc '^PUT example\.com/ex/distributionlists/sales 204$')" = 0
check "membership churn: at least one PUT" test "$(req_writes | wc -l)" -ge 1
check "members added and removed in the bodies" python3 -c '
import json, sys
add, rem = set(), set()
for line in sys.stdin:
    b = json.loads(line)
    for r in (b.get("Members") or {}).get("Recipients", []):
        (add if r["Action"] == "Add" else rem).add(r["Value"].lower())
ok = add == {"carol.chen@example.com", "peggy.park@example.com"} and rem == {"jose.munoz@example.com"}
if not ok: print("     add %s remove %s" % (sorted(add), sorted(rem)))
sys.exit(0 if ok else 1)' < <(req_body PUT example.com/ex/distributionlists/sales)
sales=$(st_members example.com sales | tr '\n' ' ')
check "Sales has carol and peggy" grep -q 'carol.chen@example.com.*peggy.park@example.com' <<< "$sales"
check_not "Sales lacks jose" grep -q jose.munoz <<< "$sales"

ad_member "Hosted Exchange Users" delete "CN=Announcements,$GROUPS_OU"
step "Announcements leaves the Exchange group"
writes_are "list out of scope: one DELETE" "DELETE example.com/ex/distributionlists/announce 204"
expect "Announcements gone" "$(st_names example.com dl | tr '\n' ' ')" "engineering managers sales "
expect "summary deleted" "$(summary_get deleted)" 1

ad_member "Hosted Exchange Users" delete "$JANE"
step "Jane Beta (contact) leaves the Exchange group"
writes_are "contact out of scope: one DELETE" "DELETE example.net/ex/contacts/$JANE_GUID 200"
expect "Jane's contact gone" "$(st_names example.net contact | wc -l)" 0

step "nothing changed"
writes_are "a last sync writes nothing" ""
adsync_run plan --json
expect "nothing planned" "$(json_ops | wc -l)" 0
finish

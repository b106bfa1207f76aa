#!/bin/bash
# Adoption of what the service already has (docs/testing-sync.md, issue 5):
#   test_sync_adopt.sh ADSYNC RSEMU SRCDIR
# A mailbox whose address is a user's mail, a contact named by a contact's
# objectGUID and a list with a group's address exist before the first
# sync: it adopts them (one PUT each, never a POST; no reads but the
# inventory's indexes). A user whose address lives in the OTHER service
# gets the seed's "already exist in another service" alert and no POST.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

ACME=$(ad_guid "CN=Acme Supplies,$CONTACTS")
[ -n "$ACME" ] || { echo "FAIL: no objectGUID for Acme Supplies"; exit 1; }
PW='Pre-existing-Passw0rd!'
audit_secret sync_adopt/mailbox_password "$PW"	# the secrets audit (tests/audit)
D=/customers/me/domains

# ---- what the service holds before adsync runs (through the probe) ------
pre() { rsemu_api "$@" > /dev/null || { echo "FAIL: pre-create $*"; exit 1; }; }
pre POST $D/example.com/ex/mailboxes/alice.anderson displayName="Pre Alice" \
    firstName=Old password="$PW" size=2048
pre POST $D/example.com/rs/mailboxes/uma.underwood displayName="Pre Uma" \
    password="$PW" size=1024
pre POST "$D/example.com/ex/contacts/$ACME" displayName="Pre Acme" \
    externalEmail=orders@acme.example
pre --body '{"CommonName":"managers","DisplayName":"Pre Managers"}' \
    POST $D/example.com/ex/distributionlists
# bob is an Exchange user, xavier a Rackspace Email one: each already has
# a mailbox in the other service.
pre POST $D/example.com/rs/mailboxes/bob.baker displayName="Bob In RS" \
    password="$PW" size=1024
pre POST $D/example.com/ex/mailboxes/xavier.xu displayName="Xavier In EX" \
    password="$PW" size=1024

req_mark
adsync_run sync --once --json
expect_rc "first sync (the sample has broken users)" 2
emu_requests
show_reqs 100
emu_state

# Adopted: exactly one request each, a PUT.
one_put() {	# NAME PATH STATUS
	expect "$1: requests on $2" "$(grep -F " $2 " "$W/reqs.txt" | tr '\n' '|')" "PUT $2 $3|"
}
one_put "alice adopted" example.com/ex/mailboxes/alice.anderson 200
one_put "uma adopted" example.com/rs/mailboxes/uma.underwood 200
one_put "Acme Supplies adopted" "example.com/ex/contacts/$ACME" 200
mgr=$(grep -F ' example.com/ex/distributionlists/managers ' "$W/reqs.txt")
check "Managers adopted: only PUTs on the list (1 or 2)" \
    test "$(grep -c '^PUT ' <<< "$mgr")" -ge 1 -a "$(grep -c '^PUT ' <<< "$mgr")" -le 2 \
    -a "$(grep -vc '^PUT ' <<< "$mgr")" = 0
check_not "no POST creating a list named managers" \
    grep -qi '"commonname": "managers"' <<< "$(req_body POST example.com/ex/distributionlists)"
check "reads are inventory indexes only" test "$(grep '^GET ' "$W/reqs.txt" |
    grep -vcE '^GET example\.(com|net)/(ex|rs)/(mailboxes|contacts|distributionlists)(\?[^ ]*)? 200$')" = 0
expect "alice displayName taken from AD" "$(st_field example.com ex alice.anderson displayName)" "Alice Anderson"
expect "alice firstName taken from AD" "$(st_field example.com ex alice.anderson firstName)" Alice
expect "alice jobTitle taken from AD" "$(st_field example.com ex alice.anderson jobTitle)" "Account Manager"
expect "uma displayName taken from AD" "$(st_field example.com rs uma.underwood displayName)" "Uma Underwood"
expect "Acme displayName taken from AD" "$(st_field example.com contact "$ACME" displayName)" "Acme Supplies"
expect "Managers DisplayName taken from AD" "$(st_field example.com dl managers DisplayName)" Managers
expect "Managers members" "$(st_members example.com managers | tr '\n' ' ')" \
    "alice.anderson@example.com judy.jones@example.com paula@example.com sybil.schmidt@example.com "

# In the other service: the seed's alert, no POST, the mailbox untouched.
alert_has "bob: already in Rackspace Email" "already exist in another service" "Bob Baker"
alert_has "xavier: already in Hosted Exchange" "already exist in another service" "Xavier Xu"
expect "requests on bob's and xavier's mailboxes" "$(req_count '/mailboxes/(bob\.baker|xavier\.xu) ')" 0
expect "bob's RS mailbox untouched" "$(st_field example.com rs bob.baker displayName)" "Bob In RS"
expect "xavier's EX mailbox untouched" "$(st_field example.com ex xavier.xu displayName)" "Xavier In EX"

# Everything else was created as usual.
expect_names "Exchange mailboxes" example.com ex \
    "$(words "$SAMPLE_EX_COM xavier.xu" | grep -vx bob.baker)"
expect_names "Rackspace Email mailboxes" example.com rs \
    "$(words "$SAMPLE_RS_COM bob.baker" | grep -vx xavier.xu)"
expect_names "lists" example.com dl "$SAMPLE_DL_COM"
expect "POSTs answered 409 (a create of something that exists)" "$(req_count '^POST .* 409$')" 0

# The adopted objects are synced state now: nothing more to write.
req_mark
adsync_run sync --once --json
emu_requests
show_reqs 20
expect "writes of the second sync" "$(req_writes | wc -l)" 0
finish

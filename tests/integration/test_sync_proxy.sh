#!/bin/bash
# proxyAddresses -> Exchange alternate addresses (docs/testing-sync.md,
# issue 5):
#   test_sync_proxy.sh ADSYNC RSEMU SRCDIR
# sync_proxy_addresses = false: no alternate-address request at all; true:
# alice's two smtp: aliases are added, bob's other.org alias is refused
# with the seed's message and never sent, X500:/SIP: and contacts' and
# lists' proxies are ignored; removing one value from proxyAddresses
# removes that address only.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

# example.net is an accepted domain of example.com, so alice@example.net
# may be an alternate address of alice.anderson@example.com.
rsemu_start --accepted-domain example.com:example.net
ALICE="CN=Alice Anderson,$PEOPLE"
A=example.com/ex/mailboxes/alice.anderson/emailaddresses
B=example.com/ex/mailboxes/bob.baker/emailaddresses

echo "=== sync_proxy_addresses = false"
req_mark
adsync_run sync --once --json
expect_rc "first sync" 2
emu_requests
emu_state
expect "alternate-address requests" "$(req_count '/emailaddresses')" 0
expect "alice's addresses" "$(st_addresses example.com alice.anderson | tr '\n' ' ')" \
    "alice.anderson@example.com "
no_alert "no alternate-address alert while off" "alternate address"
adsync_run plan --json
expect "nothing planned" "$(json_ops | wc -l)" 0

echo "=== sync_proxy_addresses = true"
conf_set sync sync_proxy_addresses true
adsync_run plan --json
json_ops > "$W/ops.txt"
cat "$W/ops.txt"
check "plan: address-add for alice@example.com" grep -qx 'address-add ex mailbox alice.anderson@example.com' "$W/ops.txt"
check "plan: only address ops" test "$(grep -vc '^address-add ex mailbox ' "$W/ops.txt")" = 0
req_mark
adsync_run sync --once --json
expect_rc "sync with proxies" 2
emu_requests
show_reqs 30
emu_state
check "POST alice@example.com" grep -qx "POST $A/alice@example.com 200" "$W/reqs.txt"
check "POST alice@example.net" grep -qx "POST $A/alice@example.net 200" "$W/reqs.txt"
check "POST b.baker@example.net" grep -qx "POST $B/b.baker@example.net 200" "$W/reqs.txt"
expect "requests for bob@other.org" "$(req_count 'bob@other\.org')" 0
alert_has "bob@other.org refused with the seed's message" \
    "The alternate address" "bob@other.org" "was not in the primary domain or any of the alternate domains"
expect "X500:/SIP: values never sent" "$(req_count 'x500|sip:|/o=')" 0
expect "no address request for a mailbox's own address" \
    "$(req_count '/emailaddresses/(alice\.anderson|bob\.baker|paula)@example\.com ')" 0
expect "contacts and lists untouched" "$(req_writes | grep -c '/contacts\|/distributionlists')" 0
check "every write is an alternate-address POST" \
    test "$(req_writes | grep -vcE '^POST example\.com/ex/mailboxes/[^/]+/emailaddresses/[^ ]+ 200$')" = 0
expect "alice's addresses" "$(st_addresses example.com alice.anderson | tr '\n' ' ')" \
    "alice.anderson@example.com alice@example.com alice@example.net "
expect "bob's addresses" "$(st_addresses example.com bob.baker | tr '\n' ' ')" \
    "b.baker@example.net bob.baker@example.com "

echo "=== smtp:alice@example.net removed from proxyAddresses"
printf 'dn: %s\nchangetype: modify\ndelete: proxyAddresses\nproxyAddresses: smtp:alice@example.net\n-\n\n' "$ALICE" | ldap_modify
req_mark
adsync_run sync --once --json
emu_requests
show_reqs 20
emu_state
expect "writes after the removal" "$(req_writes | tr '\n' '|')" "DELETE $A/alice@example.net 200|"
expect "alice's addresses" "$(st_addresses example.com alice.anderson | tr '\n' ' ')" \
    "alice.anderson@example.com alice@example.com "

echo "=== nothing changed"
req_mark
adsync_run sync --once --json
emu_requests
expect "writes of a sync without changes" "$(req_writes | wc -l)" 0
finish

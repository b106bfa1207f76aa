#!/bin/bash
# The sample organisation end to end (docs/testing-sync.md, issue 5):
#   test_sync_sample.sh ADSYNC RSEMU SRCDIR
# `plan` shows the creates and changes nothing; `sync --once` applies them
# (exit 2: the sample has broken users), rsemu then holds exactly the
# expected mailboxes, contacts and lists with the mapped attributes, the
# seed's alerts are printed; a second `sync --once` writes nothing and
# `plan --json` is empty.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

ALICE="CN=Alice Anderson,$PEOPLE"
ACME=$(ad_guid "CN=Acme Supplies,$CONTACTS")
JANE=$(ad_guid "CN=Jane Beta,$CONTACTS")
DELTA=$(ad_guid "CN=Delta Partner,$CONTACTS")
if [ -z "$ACME" ] || [ -z "$JANE" ]; then echo "FAIL: no objectGUID for the contacts"; exit 1; fi

# ---- plan: shows the creates, changes nothing --------------------------
req_mark
adsync_run plan
expect_rc "plan" 0
check "plan shows alice's create" grep -qiE '^create +ex/mailbox +alice\.anderson@example\.com' "$W/out"
check "plan shows walter's create (Rackspace Email)" grep -qiE '^create +rs/mailbox +walter\.white@example\.com' "$W/out"
check "plan shows the Sales list" grep -qiE '^create +ex/dl +sales@example\.com' "$W/out"
adsync_run plan --json
expect_rc "plan --json" 0
json_ops > "$W/ops.txt"
expect "planned Exchange mailbox creates (example.com)" \
    "$(grep -c '^create ex mailbox .*@example\.com$' "$W/ops.txt")" \
    "$(echo "$SAMPLE_EX_COM" | wc -w)"
expect "planned Rackspace Email mailbox creates" \
    "$(grep -c '^create rs mailbox ' "$W/ops.txt")" \
    "$(echo "$SAMPLE_RS_COM $SAMPLE_RS_NET" | wc -w)"
expect "planned contact creates" "$(grep -c '^create ex contact ' "$W/ops.txt")" 2
check "planned list creates include the four lists" \
    test "$(grep -cE '^create ex dl (sales|engineering|managers|announce)@example\.com$' "$W/ops.txt")" = 4
check "nothing planned for barbara, chris, oscar, nina, nick, bea" \
    test "$(grep -ciE 'barbara|chris|oscar|nick|bea\.building|social' "$W/ops.txt")" = 0
# Every key of the contract on alice's op, with her anchor and DN.
check "plan --json op keys, anchor and dn" python3 - "$W/out" "$(ad_guid "$ALICE")" "$ALICE" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o.get("address", "").lower() == "alice.anderson@example.com":
        keys = {"op", "service", "kind", "address", "anchor", "dn", "changes", "values", "reason"}
        missing = keys - set(o)
        ok = (not missing and o["op"] == "create" and o["service"] == "ex"
              and o["kind"] == "mailbox" and o["anchor"].lower() == sys.argv[2]
              and o["dn"] == sys.argv[3]
              and {"field": "jobTitle", "old": "", "new": "Account Manager"} in o["changes"])
        if not ok:
            print("     op: %s (missing keys %s)" % (line.strip()[:400], sorted(missing)))
        sys.exit(0 if ok else 1)
print("     no op for alice.anderson@example.com")
sys.exit(1)
PY
check "plan --json ends with a summary" grep -q '^{"summary":' "$W/out"
emu_requests
show_reqs 20
expect "write requests made by plan" "$(req_writes | wc -l)" 0
emu_state
expect "objects in rsemu after plan" \
    "$(for d in example.com example.net; do for k in ex rs contact dl; do st_names $d $k; done; done | wc -l)" 0

# plan --offline never asks the service; sync --once --dry-run writes
# nothing.
req_mark
adsync_run plan --offline --json
expect_rc "plan --offline" 0
expect "plan --offline: creates planned" "$(json_ops | grep -c '^create ')" "$(grep -c '^create ' "$W/ops.txt")"
emu_requests
expect "requests made by plan --offline" "$(wc -l < "$W/reqs.txt")" 0
req_mark
adsync_run sync --once --dry-run
expect_rc "sync --once --dry-run" 0
check "dry run shows alice's create" grep -qiE '^create +ex/mailbox +alice\.anderson@example\.com' "$W/out"
emu_requests
expect "write requests made by sync --dry-run" "$(req_writes | wc -l)" 0

# ---- the first sync --------------------------------------------------
req_mark
adsync_run sync --once --json
expect_rc "first sync (the sample has broken users)" 2
expect "summary status" "$(summary_get status)" partial
emu_state
emu_requests
show_reqs 10
sample_mailboxes_as_expected
expect "dora (disabled in AD) created disabled" "$(st_field example.com ex dora.disabled enabled)" false
expect "derek (disabled in AD) created disabled" "$(st_field example.com rs derek.dormant enabled)" false
expect "grace (66048, DONT_EXPIRE_PASSWORD) enabled" "$(st_field example.com ex grace.green enabled)" true
expect_names "contacts in example.com (Acme Supplies)" example.com contact "$ACME"
expect_names "contacts in example.net (Jane Beta)" example.net contact "$JANE"
expect_names "lists in example.com" example.com dl "$SAMPLE_DL_COM"
echo "     lists in example.net: $(st_names example.net dl | tr '\n' ' ')"
n_obj=$(for d in example.com example.net; do for k in ex rs contact dl; do st_names $d $k; done; done | wc -l)
expect "summary created = objects in rsemu" "$(summary_get created)" "$n_obj"
# The seed's order: mailboxes, then contacts, then lists, then members.
check "writes in order: mailboxes, contacts, lists, members" python3 -c '
import re, sys
phase = []
for l in open(sys.argv[1]):
    m, p = l.split()[:2]
    if m == "GET":
        continue
    if re.match(r"[^/]+/(ex|rs)/mailboxes/[^/]+$", p): phase.append(0)
    elif "/emailaddresses/" in p: phase.append(1)
    elif "/contacts/" in p: phase.append(2)
    elif p.endswith("/distributionlists"): phase.append(3)
    else: phase.append(4)
ok = phase == sorted(phase) and set(phase) == {0, 2, 3, 4}
if not ok: print("     phases in order sent: %s" % phase)
sys.exit(0 if ok else 1)' "$W/reqs.txt"
expect "POSTs that failed" "$(grep '^POST ' "$W/reqs.txt" | grep -vc ' 20[0-9]$')" 0
expect "DELETEs" "$(req_count '^DELETE ')" 0

# Exchange user, field by field (Exchange-only company/department).
f() { st_field example.com ex "$1" "$2"; }
expect "alice displayName" "$(f alice.anderson displayName)" "Alice Anderson"
expect "alice firstName" "$(f alice.anderson firstName)" Alice
expect "alice lastName" "$(f alice.anderson lastName)" Anderson
expect "alice jobTitle" "$(f alice.anderson jobTitle)" "Account Manager"
expect "alice company" "$(f alice.anderson company)" "Example Corp"
expect "alice department" "$(f alice.anderson department)" Sales
expect "alice businessNumber" "$(f alice.anderson businessNumber)" "+1 212 555 0100"
expect "alice mobileNumber" "$(f alice.anderson mobileNumber)" "+1 212 555 5100"
expect "alice pagerNumber" "$(f alice.anderson pagerNumber)" "+1 212 555 7100"
expect "alice homeNumber" "$(f alice.anderson homeNumber)" "+1 212 555 8100"
expect "alice faxNumber" "$(f alice.anderson faxNumber)" "+1 212 555 9100"
expect "alice addressLine1" "$(f alice.anderson addressLine1)" "350 Fifth Avenue"
expect "alice city" "$(f alice.anderson city)" "New York"
expect "alice state" "$(f alice.anderson state)" NY
expect "alice zip" "$(f alice.anderson zip)" 10118
expect "alice country" "$(f alice.anderson country)" "United States"
expect "alice enabled" "$(f alice.anderson enabled)" true
expect "alice size (exchange_mailbox_size)" "$(f alice.anderson size)" 102400
expect "alice has only her primary address (proxies off)" \
    "$(st_addresses example.com alice.anderson | tr '\n' ' ')" "alice.anderson@example.com "
# Non-ASCII end to end.
expect "renee firstName" "$(f renee.dubois firstName)" "Renée"
expect "renee displayName" "$(f renee.dubois displayName)" "Renée Dubois"
expect "hanako displayName" "$(f hanako.nihon displayName)" "日本 花子"
expect "hanako firstName" "$(f hanako.nihon firstName)" "花子"
expect "hanako lastName" "$(f hanako.nihon lastName)" "日本"
expect "hanako addressLine1" "$(f hanako.nihon addressLine1)" "丸の内 1-1"
expect "hanako city" "$(f hanako.nihon city)" "東京"
expect "hanako state" "$(f hanako.nihon state)" "東京都"
expect "hanako country" "$(f hanako.nihon country)" "日本"
# The same through the API's own Show (a signed GET over TLS).
check "hanako through the API" python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
ok = (o["displayName"] == "日本 花子" and o["contactInfo"]["city"] == "東京"
      and o["enabled"] is True)
if not ok: print("     %s" % o)
sys.exit(0 if ok else 1)' < <(rsemu_get example.com/ex/mailboxes/hanako.nihon)
expect "olivia lastName (apostrophe)" "$(f olivia.obrien lastName)" "O'Brien"
expect "soren city" "$(f soren.kjaergaard city)" "København"
# trent has nothing but names and mail.
for fld in jobTitle company department businessNumber city; do
	v=$(f trent.taylor "$fld")
	check "trent $fld unset ($v)" test "$v" = "<null>" -o -z "$v"
done
# The create bodies: Exchange mailboxes never carry Rackspace-only fields
# and the reverse; the password is there (rsemu redacts it).
check "alice's POST body: EX fields, no RS-only ones, a password" python3 -c '
import json, sys
b = json.loads(sys.argv[1] or "null") or {}
rs_only = {"initials", "generationQualifier", "organizationUnit", "homeFaxNumber", "userID", "employeeType"}
ok = (b.get("company") == "Example Corp" and b.get("department") == "Sales"
      and b.get("password") == "<redacted>" and not rs_only & set(b))
if not ok: print("     body: %s" % b)
sys.exit(0 if ok else 1)' "$(req_body POST example.com/ex/mailboxes/alice.anderson | head -1)"

# Rackspace Email user, field by field (Rackspace-only fields).
g() { st_field example.com rs "$1" "$2"; }
expect "walter displayName" "$(g walter.white displayName)" "Walter White Sr."
expect "walter firstName" "$(g walter.white firstName)" Walter
expect "walter lastName" "$(g walter.white lastName)" White
expect "walter generationQualifier" "$(g walter.white generationQualifier)" "Sr."
expect "walter organizationUnit" "$(g walter.white organizationUnit)" "Example Corp"
expect "walter title" "$(g walter.white title)" "Operations Analyst"
expect "walter userID (employeeID)" "$(g walter.white userID)" E01040
expect "walter employeeType" "$(g walter.white employeeType)" Employee
expect "walter businessStreet" "$(g walter.white businessStreet)" "1 Fanatical Place"
expect "walter businessCity" "$(g walter.white businessCity)" "San Antonio"
expect "walter businessState" "$(g walter.white businessState)" TX
expect "walter businessPostalCode" "$(g walter.white businessPostalCode)" 78218
expect "walter businessCountry" "$(g walter.white businessCountry)" "United States"
expect "walter businessNumber" "$(g walter.white businessNumber)" "+1 210 555 0140"
expect "walter homeNumber" "$(g walter.white homeNumber)" "+1 210 555 8140"
expect "walter mobileNumber" "$(g walter.white mobileNumber)" "+1 210 555 5140"
expect "walter faxNumber" "$(g walter.white faxNumber)" "+1 210 555 9140"
expect "walter homeFaxNumber" "$(g walter.white homeFaxNumber)" "+1 210 555 8140"
expect "walter enabled" "$(g walter.white enabled)" true
expect "walter size (rackspace_email_mailbox_size)" "$(g walter.white size)" 25600
expect "amelie firstName" "$(g amelie.laurent firstName)" "Amélie"
expect "gretchen lastName" "$(g gretchen.weiss lastName)" "Weiß"
expect "bjorn businessStreet (example.net)" "$(st_field example.net rs bjorn.hansen businessStreet)" "Strøget 12"
check "walter's POST body: no Exchange-only fields" python3 -c '
import json, sys
b = json.loads(sys.argv[1] or "null") or {}
ok = b.get("generationQualifier") == "Sr." and not {"company", "department"} & set(b)
if not ok: print("     body: %s" % b)
sys.exit(0 if ok else 1)' "$(req_body POST example.com/rs/mailboxes/walter.white | head -1)"

# Contacts and lists.
expect "Acme displayName" "$(st_field example.com contact "$ACME" displayName)" "Acme Supplies"
expect "Acme externalEmail" "$(st_field example.com contact "$ACME" externalEmail)" "orders@acme.example"
expect "Jane displayName" "$(st_field example.net contact "$JANE" displayName)" "Jane Beta"
expect "Jane externalEmail" "$(st_field example.net contact "$JANE" externalEmail)" "jane@beta.example"
expect "Managers members" "$(st_members example.com managers | tr '\n' ' ')" \
    "alice.anderson@example.com judy.jones@example.com paula@example.com sybil.schmidt@example.com "
expect "Announcements has no members" "$(st_members example.com announce | wc -l)" 0
sales=$(st_members example.com sales | tr '\n' ' ')
for m in alice.anderson hanako.nihon jose.munoz max.mixedcase "$ACME"; do
	check "Sales has $m" grep -qiF " $m@example.com " <<< " $sales"
done
for m in nick.nogroup "$DELTA"; do
	check_not "Sales lacks $m" grep -qiF "$m@" <<< "$sales"
done
eng=$(st_members example.com engineering | tr '\n' ' ')
for m in bob.baker carol.chen frank.fischer juergen.grossmann; do
	check "Engineering has $m" grep -qiF " $m@example.com " <<< " $eng"
done
for m in chris.cross nora.nobody; do
	check_not "Engineering lacks $m" grep -qiF "$m@" <<< "$eng"
done

# The seed's alerts for the sample's broken objects.
alert_has "nina: empty mail" "The value '' specified in the mail attribute" "Nina Nomail"
alert_has "oscar: Not authorized" "Not authorized" "oscar"
alert_has "barbara: in both services" "already exist in another service" "Barbara Both"
alert_has "chris: in both services" "already exist in another service" "Chris Cross"
alert_has "Carlos Peña: no otherMailBox" "otherMailBox attribute" "Carlos Peña" "is invalid"
alert_has "Eve External: no otherMailBox" "otherMailBox attribute" "Eve External" "is invalid"
alert_re "Nomail Contact: no mail" 'nomail contact.*mail'
alert_re "Building Access: not mail-enabled" 'building access.*mail'
expect_ge "summary alerts" "$(summary_get alerts)" 8

# ---- a second sync right after: nothing to do ---------------------------
req_mark
adsync_run sync --once --json
expect_rc "second sync (same alerts)" 2
emu_requests
show_reqs 10
expect "write requests of the second sync" "$(req_writes | wc -l)" 0
for k in created updated enabled disabled deleted; do
	expect "second sync $k" "$(summary_get $k)" 0
done
# The text form: the alerts, then one summary line.
adsync_run sync --once
expect_rc "third sync, text output" 2
check "text: the alerts, one per line" grep -qE "^error +Not authorized: user CN=Oscar Outsider," "$W/out"
check "text: the summary line" grep -qE \
    '^run [0-9]+ partial: 0 created, 0 updated, 0 enabled, 0 disabled, 0 deleted, [0-9]+ errors' "$W/out"
adsync_run plan --json
expect_rc "plan after the sync" 0
expect "operations planned after the sync" "$(json_ops | wc -l)" 0
adsync_run plan
check_not "text plan shows no operation" grep -qE '^(create|adopt|update|enable|disable|delete|address-|members-)' "$W/out"

# ---- one domain: contacts need no otherMailBox ---------------------------
echo "=== domains = example.com only, a fresh state and an empty rsemu"
CARLOS=$(ad_guid "CN=Carlos Peña,$CONTACTS")
EVE=$(ad_guid "CN=Eve External,$CONTACTS")
curl -sf -o /dev/null -X POST "$EMU_ADMIN/_emu/reset" || { echo "FAIL: rsemu reset"; exit 1; }
REQ_MARK=0
conf_set sync domains example.com
conf_set sync state_dir "$W/state-one"
adsync_run sync --once --json
expect_rc "one-domain sync" 2
emu_state
expect_names "every contact with mail in example.com, otherMailBox or not" \
    example.com contact "$ACME $JANE $CARLOS $EVE"
expect "Carlos Peña displayName" "$(st_field example.com contact "$CARLOS" displayName)" "Carlos Peña"
expect "Carlos Peña externalEmail" "$(st_field example.com contact "$CARLOS" externalEmail)" "carlos.pena@gamma.example"
no_alert "no otherMailBox alert with one domain" "otherMailBox"
alert_has "yvonne (example.net): Not authorized" "Not authorized" "Yvonne Young" "example.net"
expect "nothing in example.net" "$(for k in ex rs contact dl; do st_names example.net $k; done | wc -l)" 0
finish

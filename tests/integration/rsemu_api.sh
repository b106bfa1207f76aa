#!/usr/bin/env bash
# rsemu end to end over TLS (tests/integration/rsemu.cmake):
#   rsemu_api.sh RSEMU_BINARY SOURCE_DIR
# Starts rsemu on ephemeral ports (--ready-file) with a throwaway CA from
# tests/testbed/mkcert.sh, signs requests with openssl as a real client
# must, and checks auth failures, mailbox round trips, paging past 250, the
# distribution-list JSON flow, business rules, 417 on Expect, the admin
# API (state, verify-password, redacted request log), --state across a
# restart and the throttle. Exits 77 when curl or openssl is missing.
# Every process it starts is stopped by its PID.
set -uo pipefail
rsemu=${1:?usage: rsemu_api.sh RSEMU SOURCE_DIR}
src=${2:?usage: rsemu_api.sh RSEMU SOURCE_DIR}
for tool in curl openssl base64; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool missing"; exit 77; }
done

work=$(mktemp -d /tmp/rsemu-it.XXXXXX)
pid=""
fails=0
stop() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		local rc=$?
		pid=""
		return $rc
	fi
	return 0
}
# The secrets audit (tests/audit): the API secret and the mailbox
# passwords, then $work (rsemu's log and state).
AUDIT_HOME=$src/tests/audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"
audit_secret rsemu_api/secret_key 'c2VjcmV0LWtleS1mb3ItdGVzdHM='
for _pw in Welcome-2026 Recover-2026 Paging-2026; do
	audit_secret rsemu_api/mailbox_password "$_pw"
done
cleanup() { stop; audit_keep work "$work"; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

"$src/tests/testbed/mkcert.sh" "$work/tls" >/dev/null 2>&1 || { echo "SKIP: mkcert failed"; exit 77; }
( umask 077; printf 'c2VjcmV0LWtleS1mb3ItdGVzdHM=\n' > "$work/secret.key" )
KEY=itUserKey0001
UA="rsemu-it/1 (test)"
ACCT=100042

start() {	# start [extra rsemu args...]
	rm -f "$work/ready"
	"$rsemu" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	    --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server.key" \
	    --state "$work/state.db" --account $ACCT --user-key $KEY \
	    --secret-key-file "$work/secret.key" \
	    --domain ex.test:exchange --domain rs.test:rsemail --domain both.test \
	    --accepted-domain ex.test:alias.test --threads 2 "$@" \
	    --ready-file "$work/ready" 2>>"$work/rsemu.log" &
	pid=$!
	for _ in $(seq 1 200); do
		[ -s "$work/ready" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$work/rsemu.log"; echo "FAIL: rsemu died"; exit 1; }
		sleep 0.05
	done
	[ -s "$work/ready" ] || { echo "FAIL: rsemu not ready"; exit 1; }
	api=https://$(sed -n 's/^listen=//p' "$work/ready")/v1/customers/me/domains
	admin=http://$(sed -n 's/^admin=//p' "$work/ready")
}

sig() {	# the X-Api-Signature value, signed now with $UA
	local ts hash
	ts=$(date -u +%Y%m%d%H%M%S)
	hash=$( { printf %s "$KEY$UA$ts"; tr -d '\n' < "$work/secret.key"; } |
	    openssl dgst -sha1 -binary | base64)
	printf '%s:%s:%s' "$KEY" "$ts" "$hash"
}

# call METHOD PATH [curl args...]: sets $status; body in $work/body,
# headers in $work/hdr. Sends Expect: (empty) as a good client does.
call() {
	local m=$1 p=$2
	shift 2
	status=$(curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' \
	    --cacert "$work/tls/ca.pem" -A "$UA" -H "X-Api-Signature: $(sig)" \
	    -H 'Accept: application/json' -H 'Expect:' -X "$m" "$@" "$api$p")
}
form() { call "$1" "$2" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$3"; }
json() { call "$1" "$2" -H 'Content-Type: application/json' --data-raw "$3"; }

check() {	# check NAME EXPECTED_STATUS [FIXED_STRING_IN_BODY]
	local ok=1
	[ "$status" = "$2" ] || ok=0
	if [ $# -ge 3 ] && ! grep -qF -- "$3" "$work/body"; then ok=0; fi
	if [ $ok = 1 ]; then
		echo "ok   $1"
	else
		echo "FAIL $1: status $status (want $2), body: $(head -c 400 "$work/body")"
		fails=$((fails + 1))
	fi
}
has() {	# has NAME FILE FIXED_STRING
	if grep -qiF -- "$3" "$2"; then echo "ok   $1"; else
		echo "FAIL $1: $3 not in $(head -c 300 "$2")"; fails=$((fails + 1)); fi
}
hasnot() {
	if grep -qF -- "$3" "$2"; then echo "FAIL $1: $3 found"; fails=$((fails + 1));
	else echo "ok   $1"; fi
}

start --throttle off

# --- authentication -------------------------------------------------------
status=$(curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' --cacert "$work/tls/ca.pem" \
    -A "$UA" -H 'Accept: application/json' \
    -H "X-Api-Signature: $KEY:$(date -u +%Y%m%d%H%M%S):46VIwd66mOFGG8IkbgnLlXnfnkU=" "$api")
check "auth: bad hash is 403" 403 '{"unauthorizedFault":{"message":"Authentication failed.","details":"'
has "auth: x-error-message" "$work/hdr" "x-error-message: Authentication failed."
status=$(curl -s -o "$work/body" -w '%{http_code}' --cacert "$work/tls/ca.pem" -A "$UA" \
    -H 'Accept: application/json' "$api")
check "auth: missing header is 403" 403 '"code":403'
old=$(date -u -d '-20 minutes' +%Y%m%d%H%M%S)
hash=$( { printf %s "$KEY$UA$old"; tr -d '\n' < "$work/secret.key"; } | openssl dgst -sha1 -binary | base64)
status=$(curl -s -o "$work/body" -w '%{http_code}' --cacert "$work/tls/ca.pem" -A "$UA" \
    -H 'Accept: application/json' -H "X-Api-Signature: $KEY:$old:$hash" "$api")
check "auth: timestamp outside the window is 403" 403 'Authentication failed.'
call GET ""
check "auth: good signature lists domains" 200 '"name":"both.test","accountNumber":100042,"serviceType":"both"'
status=$(curl -s -o "$work/body" -w '%{http_code}' --cacert "$work/tls/ca.pem" -A "$UA" \
    -H "X-Api-Signature: $(sig)" -H 'Accept: application/json' \
    "${api%/customers/me/domains}/customers/999/domains")
check "other account is Customer Not Found" 404 '"resourceType":"Customer"'

# --- RS mailbox round trip ----------------------------------------------
form POST /rs.test/rs/mailboxes/john.smith 'password=Welcome-2026&size=25600&displayName=John%20Smith&firstName=John&enabled=TRUE'
check "rs add" 200
call GET /rs.test/rs/mailboxes/john.smith
check "rs show nests contactInfo" 200 '"contactInfo":{"firstName":"John","lastName":null'
has "rs show createdDate US-style" "$work/body" '"createdDate":"'
has "rs show lastLogin empty" "$work/body" '"lastLogin":""'
form PUT /rs.test/rs/mailboxes/john.smith 'lastName=Smith&emailForwardingAddresses=a%40x.org,%20b%40y.org'
check "rs edit" 200
call GET /rs.test/rs/mailboxes/john.smith
check "rs edit applied" 200 '"emailForwardingAddressList":["a@x.org","b@y.org"]'
form PUT /rs.test/rs/mailboxes/john.smith 'enabled=false'
check "rs disable" 200
call GET '/rs.test/rs/mailboxes?enabled=false&fields=enabled'
check "rs index enabled=false" 200 '"rsMailboxes":[{"name":"john.smith","displayName":"John Smith","enabled":false}]'
form PUT /rs.test/rs/mailboxes/john.smith 'emailForwardingAddressList=a%40x.org'
check "rs read-only name refused on write" 400 'Unknown field'
call DELETE /rs.test/rs/mailboxes/john.smith
check "rs delete" 200
call GET /rs.test/rs/mailboxes/john.smith
check "rs deleted is recoverable" 404 '"additionalData":{"isRecoverable":true}'
form POST /rs.test/rs/mailboxes/john.smith 'recoverDeleted=true&password=Recover-2026'
check "rs recover" 200
call GET /rs.test/rs/mailboxes/john.smith
check "rs recovered keeps fields" 200 '"lastName":"Smith"'
form POST /rs.test/rs/mailboxes/weak 'password=password&size=100'
check "weak password refused" 400 'validationFault'
form POST /rs.test/rs/mailboxes/nopw 'size=100'
check "missing password" 400 'Missing required field: password'
form POST /rs.test/rs/mailboxes/JOHN.SMITH 'password=Welcome-2026&size=100'
check "name collision (any case)" 409 'already exists'
form POST /ex.test/rs/mailboxes/x 'password=Welcome-2026&size=100'
check "rs on exchange-only domain" 400 'no Rackspace Email service'
call GET /nosuch.test/rs/mailboxes
check "unknown domain" 404 '"resourceType":"Domain"'

# --- paging past 250 --------------------------------------------------
urls=()
for i in $(seq -w 1 260); do urls+=("$api/rs.test/rs/mailboxes/p$i"); done
curl -s -o /dev/null --cacert "$work/tls/ca.pem" -A "$UA" -H "X-Api-Signature: $(sig)" \
    -H 'Expect:' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-raw 'password=Paging-2026&size=100' "${urls[@]}"
call GET '/rs.test/rs/mailboxes?size=250&offset=0&startswith=p'
check "paging: first page" 200 '"offset":0,"size":250,"total":260'
n=$(grep -o '"name":"p' "$work/body" | wc -l)
[ "$n" = 250 ] && echo "ok   paging: 250 rows" || { echo "FAIL paging: $n rows"; fails=$((fails + 1)); }
call GET '/rs.test/rs/mailboxes?size=250&offset=250&startswith=p'
n=$(grep -o '"name":"p' "$work/body" | wc -l)
[ "$n" = 10 ] && echo "ok   paging: last page 10 rows" || { echo "FAIL paging last: $n"; fails=$((fails + 1)); }
call GET '/rs.test/rs/mailboxes?size=251'
check "paging: size 251 refused" 400 'badRequestFault'
call GET '/rs.test/rs/mailboxes?startswith=p&contains=1'
check "startswith and contains refused" 400

# --- Exchange, contacts, distribution lists -----------------------------
form POST /ex.test/ex/mailboxes/ann 'password=Welcome-2026&size=2048&displayName=Ann%20Lee'
check "ex add" 200
form POST /ex.test/ex/mailboxes/ann/emailaddresses/ann.lee@alias.test ''
check "ex alternate on accepted domain" 200
form POST /ex.test/ex/mailboxes/ann/emailaddresses/ann@other.test ''
check "ex alternate on foreign domain" 400 'The alternate address was not in the primary domain or any of the alternate domains'
form POST /ex.test/ex/contacts/0b1e4c2a-1111-2222-3333-444455556666 'displayName=Ext%20Person&externalEmail=ext%40partner.org'
check "contact add (objectGUID name)" 200
json POST /ex.test/ex/distributionlists '{"CommonName":"staff","DisplayName":"Staff","Members":{"Recipients":[{"Action":"Add","Value":"ann"},{"Action":"Add","Value":"0b1e4c2a-1111-2222-3333-444455556666@ex.test"}]}}'
check "dl create" 204
call GET /ex.test/ex/distributionlists/staff
check "dl show" 200 '"CommonName":"staff","DisplayName":"Staff","Description":null,"MemberCount":2,"PrimarySmtpAddress":"staff@ex.test"'
json PUT /ex.test/ex/distributionlists/staff '{"Members":{"Recipients":[{"Action":"Remove","Value":"ann@ex.test"}]},"EmailAddresses":[{"Action":"Add","Value":"team@alias.test","AddressPrimary":true,"AddressProtocol":"smtp"}]}'
check "dl update" 204
call GET /ex.test/ex/distributionlists/staff/members
check "dl members" 200 '{"Recipients":[{"Value":"0b1e4c2a-1111-2222-3333-444455556666@ex.test"'
call GET /ex.test/ex/distributionlists/staff/emailaddresses
check "dl addresses" 200 '"AddressPrimary":true,"AddressProtocol":"smtp","Value":"team@alias.test"'
json PUT /ex.test/ex/distributionlists/staff '{"Members":{"Recipients":[{"Action":"Add","Value":"nobody"}]}}'
check "dl unknown member named" 400 'nobody'
form PUT /ex.test/ex/distributionlists/staff 'DisplayName=x'
check "dl refuses form bodies" 400 'NOT supported in v1'
call GET '/ex.test/ex/distributionlists?limit=101'
check "dl limit over 100" 400
call GET '/ex.test/ex/distributionlists?limit=100'
check "dl marker index" 200 '"Order":"asc"'
has "dl index key" "$work/body" '"DistributionLists":[{"CommonName":"staff"'
form POST /ex.test/ex/contacts/staff 'displayName=x&externalEmail=x%40y.org'
check "one namespace for lists and contacts" 409

# --- transport rules --------------------------------------------------
status=$(curl -s -o "$work/body" -w '%{http_code}' --cacert "$work/tls/ca.pem" -A "$UA" \
    -H "X-Api-Signature: $(sig)" -H 'Expect: 100-continue' \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-raw 'password=Welcome-2026&size=1' "$api/rs.test/rs/mailboxes/expect")
check "Expect: 100-continue gets 417" 417
status=$(curl -s -o "$work/body" -w '%{http_code}' --cacert "$work/tls/ca.pem" -A "$UA" \
    -H "X-Api-Signature: $(sig)" -H 'Accept:' "$api/rs.test/rs/mailboxes")
check "GET without Accept" 400 'Accept header required'

# --- admin API ---------------------------------------------------------
curl -s -o "$work/state.json" "$admin/_emu/state"
has "state has the recovered mailbox" "$work/state.json" '"name":"john.smith"'
has "state has the list" "$work/state.json" '"distributionLists":[{"CommonName":"staff"'
hasnot "state has no hashes" "$work/state.json" 'hash'
hasnot "state has no passwords" "$work/state.json" 'Recover-2026'
curl -s -o "$work/body" -X POST -d '{"domain":"rs.test","mailbox":"john.smith","password":"Recover-2026"}' "$admin/_emu/verify-password"
has "verify-password match" "$work/body" '{"match":true}'
curl -s -o "$work/body" -X POST -d '{"domain":"ex.test","mailbox":"ann","password":"wrong"}' "$admin/_emu/verify-password"
has "verify-password mismatch" "$work/body" '{"match":false}'
curl -s -o "$work/body" "$admin/_emu/requests?limit=200000"
has "request log has writes" "$work/body" '"method":"POST","path":"/v1/customers/me/domains/rs.test/rs/mailboxes/john.smith"'
has "request log redacts" "$work/body" '"password":"<redacted>"'
hasnot "request log has no password" "$work/body" 'Welcome-2026'
hasnot "request log has no signature" "$work/body" "$KEY:2"
curl -s -o "$work/body" "$admin/_emu/stats"
has "stats count auth failures" "$work/body" '"auth_failures":3'
curl -s -o "$work/body" -X POST -d '{"rules":[{"method":"GET","path":"/rs/mailboxes/john","action":"error500","count":1}]}' "$admin/_emu/faults"
call GET /rs.test/rs/mailboxes/john.smith
check "fault rule: one 500" 500 'appsFault'
call GET /rs.test/rs/mailboxes/john.smith
check "fault rule: then normal" 200

# --- restart with --state, then the throttle -----------------------------
stop || { echo "FAIL: rsemu exit status on SIGTERM"; fails=$((fails + 1)); }
start --throttle get=3,window=60
call GET /rs.test/rs/mailboxes/john.smith
check "state survives a restart" 200 '"lastName":"Smith"'
call GET /rs.test/rs/mailboxes/p001
check "throttle: 2nd GET" 200
call GET /rs.test/rs/mailboxes/p002
check "throttle: 3rd GET" 200
call GET /rs.test/rs/mailboxes/p003
check "throttle: 4th GET refused" 403 '{"unauthorizedFault":{"message":"Exceeded request limits"'
has "throttle: x-error-message" "$work/hdr" 'x-error-message: Exceeded request limits'
hasnot "throttle: no Retry-After" "$work/hdr" 'Retry-After'
form POST /rs.test/rs/mailboxes/after 'password=Welcome-2026&size=1'
check "throttle: writes have their own bucket" 200
curl -s -o /dev/null -X POST "$admin/_emu/reset"
call GET /rs.test/rs/mailboxes/john.smith
check "reset: empty again (and windows cleared)" 404
stop || { echo "FAIL: rsemu exit status on SIGTERM"; fails=$((fails + 1)); }
if grep -q 'ERROR: AddressSanitizer\|LeakSanitizer\|runtime error' "$work/rsemu.log"; then
	echo "FAIL: sanitizer report:"; cat "$work/rsemu.log"; fails=$((fails + 1))
fi
[ $fails = 0 ] && echo "all rsemu checks passed" || echo "$fails rsemu checks failed"
[ $fails = 0 ]

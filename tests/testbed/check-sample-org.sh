#!/bin/bash
# Smoke test of the AD fixture, run by with-ad.sh --org sample (CTest
# testbed_sample_org): the sample organisation is in the DC, over LDAPS
# verified with AD_CA, and the service account can use DirSync.
set -uo pipefail
: "${AD_URI:?run under tests/testbed/with-ad.sh}"
export LDAPTLS_CACERT=$AD_CA LDAPTLS_REQCERT=demand
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect() {	# expect WHAT GOT WANT
	if [ "$2" = "$3" ]; then ok "$1 = $3"; else bad "$1: got '$2', want '$3'"; fi
}

svc() { ldapsearch -LLL -o ldif-wrap=no -x -H "$AD_URI" -D "$AD_BIND_UPN" -y "$AD_BIND_PASSWORD_FILE" "$@"; }
count() {	# count BASE FILTER: entries found (paged, as svc-adsync)
	svc -E pr=500/noprompt -b "$1" "$2" 1.1 | grep -c '^dn'
}
B=$AD_BASE_DN
G="OU=Groups,$B"

expect "users in OU=People" "$(count "OU=People,$B" '(&(objectCategory=person)(objectClass=user))')" 48
expect "users in OU=Disabled" "$(count "OU=Disabled,$B" '(objectClass=user)')" 2
expect "disabled users (UAC bit 2)" \
    "$(count "$B" '(&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=2)(!(sAMAccountName=Guest))(!(sAMAccountName=krbtgt)))')" 2
expect "groups in OU=Groups" "$(count "$G" '(objectClass=group)')" 9
expect "mail-enabled groups" "$(count "$G" '(&(objectClass=group)(mail=*))')" 6
expect "contacts" "$(count "OU=Contacts,$B" '(objectClass=contact)')" 6
expect "users with proxyAddresses" "$(count "OU=People,$B" '(&(objectClass=user)(proxyAddresses=*))')" 3
expect "users without mail" "$(count "OU=People,$B" '(&(objectClass=user)(!(mail=*)))')" 1

members() {	# members GROUP-CN: number of member values
	svc -b "CN=$1,$G" -s base '(objectClass=*)' member | grep -c '^member'
}
expect "Hosted Exchange Users members" "$(members 'Hosted Exchange Users')" 38
expect "Rackspace Email Users members" "$(members 'Rackspace Email Users')" 20
expect "Sales members" "$(members Sales)" 9
expect "Announcements members" "$(members Announcements)" 0
expect "in both service groups" "$(count "$B" "(&(memberOf=CN=Hosted Exchange Users,$G)(memberOf=CN=Rackspace Email Users,$G))")" 2
expect "nested in Engineering" "$(svc -b "CN=Platform Team,$G" -s base '(objectClass=*)' memberOf | grep -c "^memberOf: CN=Engineering,")" 1
expect "groupType of Hosted Exchange Users" "$(svc -b "CN=Hosted Exchange Users,$G" -s base '(objectClass=*)' groupType | sed -n 's/^groupType: //p')" -2147483646

# Non-ASCII round trip: search by the UTF-8 value, read it back (base64 in LDIF).
for name in '日本 花子' 'Renée Dubois' 'Jürgen Großmann' 'Søren Kjærgaard' 'José Muñoz'; do
	got=$(svc -b "OU=People,$B" "(displayName=$name)" displayName |
	    sed -n 's/^displayName:: //p' | base64 -d)
	expect "displayName round trip" "$got" "$name"
done
expect "Exchange attribute targetAddress" \
    "$(svc -b "CN=Acme Supplies,OU=Contacts,$B" -s base '(objectClass=*)' targetAddress | sed -n 's/^targetAddress: //p')" \
    "SMTP:orders@acme.example"
expect "alice's proxyAddresses" "$(svc -b "OU=People,$B" '(sAMAccountName=alice)' proxyAddresses | grep -c '^proxyAddresses')" 4

# A sample user's password works (it was written offline with ldbadd).
if ldapsearch -x -H "$AD_URI" -D "alice@$AD_REALM" -w 'Sample-Passw0rd!' -b '' -s base dn >/dev/null 2>&1; then
	ok "bind as alice with the sample password"
else
	bad "bind as alice with the sample password"
fi
# A wrong bind password is refused (the server checks passwords at all).
if ldapsearch -x -H "$AD_URI" -D "alice@$AD_REALM" -w 'wrong' -b '' -s base dn >/dev/null 2>&1; then
	bad "wrong password accepted"
else
	ok "wrong password refused"
fi

# DirSync (flags 0) as svc-adsync: needs "Replicating Directory Changes".
# (DirSync returns an object only for requested attributes that have
# replication metadata: objectGUID alone returns nothing.)
out=$(svc -b "$B" -E '!dirSync=0/0' '(objectClass=user)' name mail 2>&1)
n=$(grep -c '^dn' <<<"$out")
if [ "$n" -ge 50 ] && grep -q '^# cookie::\|cookie' <<<"$out"; then
	ok "DirSync as svc-adsync: $n users and a cookie"
else
	bad "DirSync as svc-adsync: $n entries; $(head -3 <<<"$out")"
fi
# ... which an ordinary user (alice) lacks: the grant is what makes it work.
if ldapsearch -x -H "$AD_URI" -D "alice@$AD_REALM" -w 'Sample-Passw0rd!' -b "$B" \
    -E '!dirSync=0/0' '(objectClass=user)' name >/dev/null 2>&1; then
	bad "DirSync flags 0 allowed for alice (no grant)"
else
	ok "DirSync flags 0 refused for alice (no grant)"
fi
# ... and the Administrator's password file works too.
if ldapsearch -x -H "$AD_URI" -D "$AD_ADMIN_DN" -y "$AD_ADMIN_PASSWORD_FILE" -b '' -s base dn >/dev/null 2>&1; then
	ok "bind as $AD_ADMIN_DN"
else
	bad "bind as $AD_ADMIN_DN"
fi
# TLS verification is real: without the CA the LDAPS bind fails.
if LDAPTLS_CACERT=/dev/null ldapsearch -x -H "$AD_URI" -D "$AD_BIND_UPN" -y "$AD_BIND_PASSWORD_FILE" \
    -b '' -s base dn >/dev/null 2>&1; then
	bad "LDAPS accepted without the CA"
else
	ok "LDAPS refused without the CA"
fi
for f in "$AD_BIND_PASSWORD_FILE" "$AD_ADMIN_PASSWORD_FILE"; do
	expect "mode of $(basename "$f")" "$(stat -c %a "$f")" 600
done

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"

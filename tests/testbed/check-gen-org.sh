#!/bin/bash
# Checks a generated organisation (CTest testbed_gen), run by
#   with-ad.sh --org gen:N --members M -- check-gen-org.sh N M
# over LDAPS verified with AD_CA, as the service account.
set -uo pipefail
: "${AD_URI:?run under tests/testbed/with-ad.sh}"
N=${1:?N} M=${2:?M}
export LDAPTLS_CACERT=$AD_CA LDAPTLS_REQCERT=demand
fails=0
expect() {
	if [ "$2" = "$3" ]; then echo "ok   $1 = $3"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}
svc() { ldapsearch -LLL -o ldif-wrap=no -x -H "$AD_URI" -D "$AD_BIND_UPN" -y "$AD_BIND_PASSWORD_FILE" "$@"; }
count() { svc -E pr=1000/noprompt -b "$1" "$2" 1.1 | grep -c '^dn'; }
B=$AD_BASE_DN G="OU=Groups,$B"
nl=$((N / 20 - 1)); [ "$nl" -ge 1 ] || nl=1
big=$((M < N ? M : N))
expect "users" "$(count "OU=People,$B" '(objectClass=user)')" "$N"
expect "groups" "$(count "$G" '(objectClass=group)')" $((nl + 3))
expect "users in neither service group" "$(count "OU=People,$B" \
    "(&(objectClass=user)(!(memberOf=CN=Hosted Exchange Users,$G))(!(memberOf=CN=Rackspace Email Users,$G)))")" 0
expect "Rackspace Email Users members" \
    "$(svc -b "CN=Rackspace Email Users,$G" -s base '(objectClass=*)' member | grep -c '^member')" $(((N + 4) / 5))
# Ranged retrieval of Big List, 1500 values a slice as real AD would.
lo=0 total=0
while :; do
	out=$(svc -b "CN=Big List,$G" -s base '(objectClass=*)' "member;range=$lo-$((lo + 1499))")
	got=$(grep -c '^member;range=' <<<"$out")
	total=$((total + got))
	if grep -q '^member;range=[0-9]*-\*:' <<<"$out" || [ "$got" -eq 0 ]; then break; fi
	lo=$((lo + 1500))
done
expect "Big List members read in ranges" "$total" "$big"
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"

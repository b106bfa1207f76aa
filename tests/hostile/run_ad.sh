#!/bin/bash
# Hostile values in Active Directory (tests/hostile/cases.md, category
# "ad"), against a real Samba DC (the sample organisation) and rsemu:
#   run_ad.sh ADSYNC RSEMU SRCDIR DECODER
#
# 1. A first `sync --once` syncs the sample as usual.
# 2. Every "sample" row's object is made or changed at once over LDAPS
#    (inject_NAME), and one `sync --once --json` runs: each row's alert
#    (all its fragments on one alert line: the object and the fix) must be
#    there, and what the row says must be unaffected: the sample's other
#    mailboxes, lists and contacts as they were, the object's own values
#    in rsemu, no crash, no sanitizer report; then a second sync writes
#    nothing (hostile values cause no churn).
# 3. "raw" rows: values Samba refuses over LDAP (invalid UTF-8, over 64
#    KiB) are written into the stopped DC's partition with ldbmodify
#    (tdb:// on the partition file: no Samba modules, so no syntax or
#    rangeUpper check), together with a NUL byte that Samba does take over
#    LDAP. Each sync names one of them (the run that names it is that
#    row's answer); the object is then repaired over LDAP and the next
#    sync is run. A benign change made before (heidi's title) shows
#    whether the rest of the run was applied.
# 4. "decoder" rows: what neither LDAP nor ldb can store (an empty value:
#    "Attribute value cannot be empty"; overlong or surrogate UTF-8, more
#    values than the model takes) goes through the decoder itself,
#    tests/hostile/hostile_decode.c (the model unit API, ad_decode_*).
#
# The "large" rows (a 10,000-member list) are run_ad_large.sh's.
# The case_*, inject_* and unaffected_* functions are called by name.
# shellcheck disable=SC2317
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/../integration/sync_env.sh" "$@"
DECODER=${4:?usage: run_ad.sh ADSYNC RSEMU SRCDIR DECODER}
HW=$W/hostile
# shellcheck source=tests/hostile/hostile_lib.sh
. "$SRCDIR/tests/hostile/hostile_lib.sh"

H_OU="OU=Hostile,$AD_BASE_DN"
printf 'dn: %s\nchangetype: add\nobjectClass: organizationalUnit\n\n' "$H_OU" | ldap_modify ||
    { echo "FAIL: cannot make $H_OU"; exit 1; }

b64() { printf '%b' "$1" | base64 -w0; }
# add_user CN MAIL [EXTRA LDIF LINES...]: an enabled user in OU=Hostile.
add_user() {
	local cn=$1 mail=$2 sam
	shift 2
	sam=h$(printf '%s' "$cn" | md5sum | cut -c1-12)
	{
		printf 'dn: CN=%s,%s\nchangetype: add\nobjectClass: user\n' "$cn" "$H_OU"
		printf 'sAMAccountName: %s\nuserAccountControl: 544\ndisplayName: %s\n' "$sam" "$cn"
		[ -z "$mail" ] || printf 'mail:: %s\n' "$(b64 "$mail")"
		for l in "$@"; do printf '%s\n' "$l"; done
		printf '\n'
	} | ldap_modify || { echo "     cannot add user $cn"; return 1; }
}
add_group() {	# CN MAIL: a universal distribution group
	{
		printf 'dn: CN=%s,%s\nchangetype: add\nobjectClass: group\n' "$1" "$H_OU"
		printf 'sAMAccountName: hg%s\ngroupType: 8\n' "$(printf '%s' "$1" | md5sum | cut -c1-10)"
		[ -z "$2" ] || printf 'mail: %s\n' "$2"
		printf '\n'
	} | ldap_modify || { echo "     cannot add group $1"; return 1; }
}
hdn() { printf 'CN=%s,%s' "$1" "$H_OU"; }
EXG_CN="Hosted Exchange Users"
RSG_CN="Rackspace Email Users"

# ---- phase 2: the sample rows' objects ----------------------------------
inject_ad_ctrl_displayname() {
	printf 'dn: CN=Bob Baker,%s\nchangetype: modify\nreplace: displayName\ndisplayName:: %s\n-\n\n' \
	    "$PEOPLE" "$(b64 'Bob\x01\x07\x1b[31m Baker')" | ldap_modify
}
inject_ad_long_street() {
	ad_set "CN=Carol Chen,$PEOPLE" streetAddress "$(head -c 1000 /dev/zero | tr '\0' S)"
}
inject_ad_mail_invalid() { add_user "Hostile BadMail" "not-an-address" && ad_member "$EXG_CN" add "$(hdn "Hostile BadMail")"; }
inject_ad_mail_two_at() { add_user "Hostile TwoAt" "a@b@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile TwoAt")"; }
inject_ad_mail_long_local() {
	add_user "Hostile LongLocal" "$(head -c 65 /dev/zero | tr '\0' l)@example.com" &&
	    ad_member "$EXG_CN" add "$(hdn "Hostile LongLocal")"
}
inject_ad_mail_leading_dot() { add_user "Hostile LeadDot" ".lead@example.com" && ad_member "$RSG_CN" add "$(hdn "Hostile LeadDot")"; }
inject_ad_mail_non_ascii() { add_user "Hostile Umlaut" "jörg@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile Umlaut")"; }
inject_ad_mail_space() { add_user "Hostile Space" "john doe@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile Space")"; }
inject_ad_mail_foreign_domain() { add_user "Hostile Foreign" "x@foreign.example" && ad_member "$EXG_CN" add "$(hdn "Hostile Foreign")"; }
inject_ad_mail_none() { add_user "Hostile NoMail" "" && ad_member "$RSG_CN" add "$(hdn "Hostile NoMail")"; }
inject_ad_dup_mail_new_users() {
	add_user "Hostile Dup One" "dup@example.com" && add_user "Hostile Dup Two" "dup@example.com" &&
	    ad_member "$EXG_CN" add "$(hdn "Hostile Dup One")" "$(hdn "Hostile Dup Two")"
}
inject_ad_dup_mail_synced_user() { add_user "Hostile Alice Twin" "alice.anderson@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile Alice Twin")"; }
inject_ad_dup_mail_user_list() { add_user "Hostile Sales Twin" "sales@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile Sales Twin")"; }
inject_ad_dup_mail_list_user() { add_group "Hostile Bob List" "bob.baker@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile Bob List")"; }
inject_ad_dup_mail_other_service() { add_user "Hostile Uma Twin" "uma.underwood@example.com" && ad_member "$EXG_CN" add "$(hdn "Hostile Uma Twin")"; }
inject_ad_contact_bad_mail() {
	printf 'dn: %s\nchangetype: add\nobjectClass: contact\ndisplayName: Hostile Contact\nmail: not valid\n\n' \
	    "$(hdn "Hostile Contact")" | ldap_modify && ad_member "$EXG_CN" add "$(hdn "Hostile Contact")"
}
inject_ad_contact_in_rs_group() {
	printf 'dn: %s\nchangetype: add\nobjectClass: contact\ndisplayName: Hostile RS Contact\nmail: rsc@partner.example\n\n' \
	    "$(hdn "Hostile RS Contact")" | ldap_modify && ad_member "$RSG_CN" add "$(hdn "Hostile RS Contact")"
}
PROXY_N=5000
inject_ad_proxy_5000() {
	local i
	add_user "Hostile Proxy" "hostile.proxy@example.com" || return 1
	{
		printf 'dn: %s\nchangetype: modify\nreplace: proxyAddresses\n' "$(hdn "Hostile Proxy")"
		printf 'proxyAddresses: SMTP:hostile.proxy@example.com\n'
		for i in $(seq 2 "$PROXY_N"); do printf 'proxyAddresses: smtp:p%d@other.org\n' "$i"; done
		printf -- '-\n\n'
	} | ldap_modify || { echo "     cannot set $PROXY_N proxyAddresses"; return 1; }
	ad_member "$EXG_CN" add "$(hdn "Hostile Proxy")"
}
inject_ad_both_groups() {
	add_user "Hostile Both" "hostile.both@example.com" &&
	    ad_member "$EXG_CN" add "$(hdn "Hostile Both")" && ad_member "$RSG_CN" add "$(hdn "Hostile Both")"
}
inject_ad_circular_groups() {
	add_group "Hostile Loop A" "loopa@example.com" && add_group "Hostile Loop B" "loopb@example.com" &&
	    printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\nmember: CN=Alice Anderson,%s\n-\n\ndn: %s\nchangetype: modify\nadd: member\nmember: %s\n-\n\n' \
	    "$(hdn "Hostile Loop A")" "$(hdn "Hostile Loop B")" "$PEOPLE" "$(hdn "Hostile Loop B")" "$(hdn "Hostile Loop A")" | ldap_modify &&
	    ad_member "$EXG_CN" add "$(hdn "Hostile Loop A")" "$(hdn "Hostile Loop B")"
}
inject_ad_group_self_member() {
	add_group "Hostile Self" "selfish@example.com" &&
	    printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\nmember: CN=Bob Baker,%s\n-\n\n' \
	    "$(hdn "Hostile Self")" "$(hdn "Hostile Self")" "$PEOPLE" | ldap_modify &&
	    ad_member "$EXG_CN" add "$(hdn "Hostile Self")"
}
inject_ad_foreign_principal() {
	# A member from a trusted (foreign) domain: Samba makes a
	# foreignSecurityPrincipal for the SID.
	ad_member "$EXG_CN" add "<SID=S-1-5-21-1111-2222-3333-1105>"
}
inject_ad_computer_member() {
	printf 'dn: CN=HOSTILEPC,%s\nchangetype: add\nobjectClass: computer\nsAMAccountName: HOSTILEPC$\nuserAccountControl: 4096\nmail: hostilepc@example.com\n\n' \
	    "$H_OU" | ldap_modify && ad_member "$EXG_CN" add "CN=HOSTILEPC,$H_OU"
}
inject_ad_list_member_unsynced() {
	add_user "Hostile Outsider" "outsider@example.com" && add_group "Hostile Club" "club@example.com" &&
	    ad_member "$EXG_CN" add "$(hdn "Hostile Club")" &&
	    printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\n-\n\n' "$(hdn "Hostile Club")" "$(hdn "Hostile Outsider")" | ldap_modify
}
inject_ad_title_markup() {
	ad_set "CN=David Dunn,$PEOPLE" title "<script>alert(1)</script> & \"Co\""
}

# ---- running ----------------------------------------------------------------
SYNC_N=0
sync_json() {	# a sync --once --json; the alerts to $W/alerts.txt
	SYNC_N=$((SYNC_N + 1))
	req_mark
	adsync_run sync --once --json
	cp "$W/out" "$HW/sync$SYNC_N.out"
	cp "$W/err" "$HW/sync$SYNC_N.err"
	alerts_load
	cp "$W/alerts.txt" "$HW/sync$SYNC_N.alerts"
	emu_requests
	emu_state
}
# The answer of a row: the alert lines (LEVEL DN MESSAGE) and stderr of a
# sync.
answer_of() {	# N
	cat "$HW/sync$1.alerts" "$HW/sync$1.err" > "$HOUT"
}

# ---- unaffected checks --------------------------------------------------------
# The sample's mailboxes and lists (the hostile objects that legitimately
# get one are tolerated).
TOLERATED="hostile.proxy loopa loopb selfish club"
# names_ok DOMAIN KIND "WANT..." ["TOLERATED..."]: silent expect_names.
names_ok() {
	local got want
	got=$(st_names "$1" "$2" | grep -vxF -f <(words "${4:-}"; echo) | tr '\n' ' ')
	want=$(words "$3" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] && return 0
	echo "     $1 $2: missing: $(comm -23 <(words "$want") <(words "$got") | tr '\n' ' ')extra: $(comm -13 <(words "$want") <(words "$got") | tr '\n' ' ')"
	return 1
}
OTHERS_OK=
others_compute() {
	OTHERS_OK=1
	names_ok example.com ex "$SAMPLE_EX_COM" "$TOLERATED" || OTHERS_OK=2
	names_ok example.com rs "$SAMPLE_RS_COM" "$TOLERATED" || OTHERS_OK=2
	names_ok example.net rs "$SAMPLE_RS_NET" || OTHERS_OK=2
	names_ok example.com dl "$SAMPLE_DL_COM" "$TOLERATED" || OTHERS_OK=2
	[ "$( (st_names example.com contact; st_names example.net contact) | wc -l)" = 2 ] || { echo "     contacts: not the sample's two"; OTHERS_OK=2; }
}
unaffected_others_synced() {
	[ -n "$OTHERS_OK" ] || others_compute
	[ "$OTHERS_OK" = 1 ]
}
unaffected_run_ok() {	# the sync finished (partial: the sample's own alerts)
	[ "$MAIN_RC" = 2 ] || { echo "     the sync exited $MAIN_RC, want 2 (partial)"; return 1; }
}
unaffected_no_sanitizer() { h_sanitizer "$HW/sync$MAIN_N.err" "$W/rsemu.log"; }
unaffected_steady() {	# the sync after it wrote nothing
	[ "$STEADY_WRITES" = 0 ] || { echo "     the next sync wrote $STEADY_WRITES time(s):"; sed 's/^/       | /' "$HW/steady.writes" | head; return 1; }
}
unaffected_bob_kept() { [ "$(st_field example.com ex bob.baker displayName)" = "Bob Baker" ] || { echo "     bob's displayName in rsemu: $(st_field example.com ex bob.baker displayName)"; return 1; }; }
unaffected_carol_kept() { [ "$(st_field example.com ex carol.chen addressLine1)" = "$CAROL_STREET" ] || { echo "     carol's addressLine1 changed"; return 1; }; }
unaffected_alice_kept() {
	if [ "$(st_field example.com ex alice.anderson displayName)" != "Alice Anderson" ] ||
	    [ "$(req_count_main 'alice\.anderson')" != 0 ]; then
		echo "     alice's mailbox was written"
		return 1
	fi
}
unaffected_sales_kept() { [ "$(req_count_main 'distributionlists/sales')" = 0 ] || { echo "     the sales list was written"; return 1; }; }
unaffected_bob_mbx_kept() { [ "$(req_count_main 'ex/mailboxes/bob\.baker')" = 0 ] || { echo "     bob's mailbox was written"; return 1; }; }
unaffected_uma_kept() { [ "$(req_count_main 'uma\.underwood')" = 0 ] || { echo "     uma's mailbox was written"; return 1; }; }
unaffected_proxy_mailbox() { st_has example.com ex hostile.proxy || { echo "     no mailbox for hostile.proxy"; return 1; }; }
unaffected_loop_lists() {
	if ! st_has example.com dl loopa || ! st_has example.com dl loopb; then
		echo "     the looped lists were not made"
		return 1
	fi
	[ "$(st_members example.com loopa)" = "alice.anderson@example.com" ] || { echo "     loopa members: $(st_members example.com loopa | tr '\n' ' ')"; return 1; }
}
unaffected_self_list() { [ "$(st_members example.com selfish)" = "bob.baker@example.com" ] || { echo "     selfish members: $(st_members example.com selfish | tr '\n' ' ')"; return 1; }; }
unaffected_club_list() {	# made, and without the outsider
	if ! st_has example.com dl club || [ -n "$(st_members example.com club)" ]; then
		echo "     club: $(st_members example.com club | tr '\n' ' ')"
		return 1
	fi
}
unaffected_david_title() {
	[ "$(st_field example.com ex david.dunn jobTitle)" = '<script>alert(1)</script> & "Co"' ] ||
	    { echo "     david's jobTitle in rsemu: $(st_field example.com ex david.dunn jobTitle)"; return 1; }
}
req_count_main() { grep -v '^GET ' "$HW/main.reqs" | grep -cE -- "$1"; }

# ---- phase 1: the sample as usual --------------------------------------------
hostile_load ad sample proxy raw decoder
echo "=== phase 1: the sample"
sync_json
expect_rc "first sync of the sample" 2
CAROL_STREET=$(st_field example.com ex carol.chen addressLine1)

# ---- phase 2 ------------------------------------------------------------------
echo "=== phase 2: every sample row's object at once"
for n in "${H_NAMES[@]}"; do
	[ "${H_WHERE[$n]}" = sample ] || [ "${H_WHERE[$n]}" = proxy ] || continue
	if declare -F "inject_$n" >/dev/null; then
		"inject_$n" || echo "     inject_$n failed"
	fi
done
sync_json
MAIN_N=$SYNC_N
MAIN_RC=$RC
cp "$W/reqs.txt" "$HW/main.reqs"
show_reqs 40
sync_json
req_writes > "$HW/steady.writes"
STEADY_WRITES=$(wc -l < "$HW/steady.writes")
# The state after the main sync (the steady one wrote nothing).
emu_state
others_compute
case_default() { answer_of "$MAIN_N"; }
case_ad_title_markup() {	# no alert: the value goes out as it is
	answer_of "$MAIN_N"
	printf 'jobTitle in rsemu: %s\n' "$(st_field example.com ex david.dunn jobTitle)" >> "$HOUT"
}

for n in "${H_NAMES[@]}"; do
	[ "${H_WHERE[$n]}" = sample ] && hostile_check "$n"
done

# ---- phase 2b: alternate addresses on, for the 5,000 proxyAddresses -----
echo "=== phase 2b: sync_proxy_addresses = true"
conf_set sync sync_proxy_addresses true
sync_json
PROXY_N_SYNC=$SYNC_N
PROXY_RC=$RC
conf_set sync sync_proxy_addresses false
case_ad_proxy_5000() {
	answer_of "$PROXY_N_SYNC"
	printf 'alerts about CN=Hostile Proxy: %s\n' "$(grep -c 'CN=Hostile Proxy' "$HW/sync$PROXY_N_SYNC.alerts")" >> "$HOUT"
}
unaffected_proxy_run_ok() { [ "$PROXY_RC" = 2 ] || { echo "     the sync exited $PROXY_RC"; return 1; }; }
unaffected_proxy_alice_aliases() {
	# (alice@example.net would need example.net as an accepted domain of
	# example.com, which this rsemu does not have: an alert of its own.)
	st_addresses example.com alice.anderson | grep -qx 'alice@example.com' ||
	    { echo "     alice's alternate addresses were not applied: $(st_addresses example.com alice.anderson | tr '\n' ' ')"; return 1; }
}
unaffected_proxy_no_sanitizer() { h_sanitizer "$HW/sync$PROXY_N_SYNC.err"; }
for n in "${H_NAMES[@]}"; do
	[ "${H_WHERE[$n]}" = proxy ] && hostile_check "$n"
done

# ---- phase 3: values Samba refuses over LDAP ----------------------------------
RAW_ROWS=0
for n in "${H_NAMES[@]}"; do [ "${H_WHERE[$n]}" = raw ] && RAW_ROWS=$((RAW_ROWS + 1)); done
if [ "$RAW_ROWS" -gt 0 ]; then
	echo "=== phase 3: raw values in the partition"
	# ldbmodify on the partition bypasses the replication metadata: DirSync
	# never shows these values, a full read does. A fresh state makes every
	# sync of this phase a full read (a failed run keeps no watermark); the
	# objects rsemu holds are adopted, so heidi's new title shows whether a
	# run applied anything.
	conf_set sync state_dir "$W/state-raw"
	HEIDI="CN=Heidi Hoffmann,$PEOPLE"
	ad_set "$HEIDI" title "Hostile Phase Title"
	RAW_USERS=("CN=Ivan Ivanov,$PEOPLE" "CN=Judy Jones,$PEOPLE" "CN=Erin Evans,$PEOPLE")
	"$AD_SAMBA_AD" "$AD_DIR" stop > /dev/null
	PART=
	for p in "$AD_DIR"/private/sam.ldb.d/DC=*.ldb; do PART=$p; done
	raw_modify() {	# DN ATTR BASE64
		printf 'dn: %s\nchangetype: modify\nreplace: %s\n%s:: %s\n-\n' "$1" "$2" "$2" "$3" > "$HW/raw.ldif"
		ldbmodify -H "tdb://$PART" "$HW/raw.ldif" > "$HW/raw.log" 2>&1 ||
		    { echo "     ldbmodify $2 of $1 failed:"; cat "$HW/raw.log"; }
	}
	raw_modify "${RAW_USERS[0]}" title "$(b64 'Bad\xff\xfeTitle')"
	raw_modify "${RAW_USERS[1]}" department "$(head -c 70000 /dev/zero | tr '\0' D | base64 -w0)"
	"$AD_SAMBA_AD" "$AD_DIR" start > /dev/null
	"$AD_SAMBA_AD" "$AD_DIR" wait > /dev/null || { echo "FAIL: the DC did not come back"; exit 1; }
	printf 'dn: %s\nchangetype: modify\nreplace: department\ndepartment:: %s\n-\n\n' "${RAW_USERS[2]}" "$(b64 'Sales\x00Dept')" | ldap_modify ||
	    echo "     cannot set a NUL in a value over LDAP"
	declare -A RAW_OBJ=([ad_raw_invalid_utf8]="${RAW_USERS[0]}" [ad_raw_value_70k]="${RAW_USERS[1]}" [ad_raw_nul_byte]="${RAW_USERS[2]}")
	declare -A RAW_FIX=([ad_raw_invalid_utf8]="title|Tester" [ad_raw_value_70k]="department|QA" [ad_raw_nul_byte]="department|Sales")
	declare -A RAW_RUN RAW_HEIDI
	pending=$RAW_ROWS
	for _ in 1 2 3 4; do
		[ "$pending" -gt 0 ] || break
		sync_json
		got=()
		for n in "${!RAW_OBJ[@]}"; do
			[ -z "${RAW_RUN[$n]:-}" ] || continue
			if grep -qF "${RAW_OBJ[$n]}" "$HW/sync$SYNC_N.alerts" "$HW/sync$SYNC_N.err"; then
				RAW_RUN[$n]=$SYNC_N
				RAW_HEIDI[$n]=$(st_field example.com ex heidi.hoffmann jobTitle)
				pending=$((pending - 1))
				got+=("$n")
			fi
		done
		[ "${#got[@]}" -gt 0 ] || break
		# A held object stays held (and named) while AD is unchanged:
		# the next sync is a change read that does not bring it again.
		sync_json
		for n in "${got[@]}"; do
			check "${RAW_OBJ[$n]%%,*} still named by the next (change) read" \
			    grep -qF "${RAW_OBJ[$n]}" "$HW/sync$SYNC_N.alerts"
			ad_set "${RAW_OBJ[$n]}" "${RAW_FIX[$n]%%|*}" "${RAW_FIX[$n]#*|}"
		done
	done
	case_raw() {
		local n=$1
		if [ -z "${RAW_RUN[$n]:-}" ]; then
			echo "(no sync named ${RAW_OBJ[$n]})" > "$HOUT"
			return 0
		fi
		answer_of "${RAW_RUN[$n]}"
	}
	case_ad_raw_invalid_utf8() { case_raw "$1"; }
	case_ad_raw_value_70k() { case_raw "$1"; }
	case_ad_raw_nul_byte() { case_raw "$1"; }
	unaffected_same_run_applied() {	# heidi's change went out in that run
		[ "${RAW_HEIDI[$1]:-}" = "Hostile Phase Title" ] ||
		    { echo "     the run that reported it applied nothing else (heidi's title in rsemu: ${RAW_HEIDI[$1]:-?})"; return 1; }
	}
	unaffected_raw_no_sanitizer() { h_sanitizer "$HW"/sync*.err; }
	for n in "${H_NAMES[@]}"; do
		[ "${H_WHERE[$n]}" = raw ] && hostile_check "$n"
	done
	if [ "$pending" = 0 ] && [ "$RAW_ROWS" = 3 ]; then
		echo "=== after the repairs: everything applied"
		sync_json
		expect "heidi's title after the repairs" "$(st_field example.com ex heidi.hoffmann jobTitle)" "Hostile Phase Title"
		# Repaired in AD: the change read brings the value, the hold
		# ends, the object syncs and its alert is gone.
		expect "ivan's title after the repair" "$(st_field example.com ex ivan.ivanov jobTitle)" "Tester"
		expect "judy's department after the repair" "$(st_field example.com ex judy.jones department)" "QA"
		expect "erin's department after the repair" "$(st_field example.com ex erin.evans department)" "Sales"
		for n in "${!RAW_OBJ[@]}"; do
			check_not "${RAW_OBJ[$n]%%,*} no longer named after its repair" \
			    grep -qF "${RAW_OBJ[$n]}" "$HW/sync$SYNC_N.alerts"
		done
	fi

fi

# ---- phase 4: the decoder -----------------------------------------------------
case_decoder() {
	local c=${H_INJECT[$1]%%:*}
	"$DECODER" "$c" > "$HOUT" 2>&1
	DEC_RC=$?
}
unaffected_decoder_clean() { [ "${DEC_RC:-1}" = 0 ] && h_sanitizer "$HOUT"; }
for n in "${H_NAMES[@]}"; do
	if [ "${H_WHERE[$n]}" = decoder ]; then
		eval "case_$n() { case_decoder \"\$1\"; }"
		hostile_check "$n"
	fi
done

sanitizer_check "$W/rsemu.log" rsemu
hostile_finish
rc=$?
[ "$FAILS" = 0 ] || { echo "FAIL: $FAILS of the runner's own checks failed"; rc=1; }
exit $rc

#!/bin/bash
# Password sync end to end (issue 7, docs/pwsync.md):
#   test_pwsync.sh ADSYNC RSEMU SRCDIR PWHOOK
# Samba runs adsync-pwhook as its check password script; `adsync daemon`
# receives the captures over mutual TLS and sets them in rsemu, which
# tells whether a mailbox's password matches (/_emu/verify-password):
#   an admin reset, a user's own change over LDAP and a kpasswd change
#   each arrive; a password below the service's rule raises an alert and
#   is not sent; a change made while the daemon is down arrives after it
#   starts (the hook's sender); a new user's first password waits for the
#   mailbox and is set on it; a client certificate of another CA and a
#   revoked DC are refused; no test password is in any log, in the state
#   files or in the hook's spool.
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"
PWHOOK=${4:?usage: test_pwsync.sh ADSYNC RSEMU SRCDIR PWHOOK}
[ -x "$PWHOOK" ] || sync_skip "adsync-pwhook not built"
command -v kpasswd >/dev/null || sync_skip "kpasswd missing (krb5-user)"

conf_set ad bind_dn "$AD_ADMIN_DN"
conf_set ad bind_password_file "$AD_ADMIN_PASSWORD_FILE"
RX=127.0.0.1:18732
conf_set daemon hook_listen "$RX"
conf_set daemon hook_names localhost
ALICE="CN=Alice Anderson,$PEOPLE"
ALICE_MBX=alice.anderson
SPOOL=$W/spool
HOOKFILE=$W/dc1.hook
PASSWORDS=()	# every test password, for the leak check at the end

ctl() { "$ADSYNC" -c "$CONF" "$@"; }
wait_for_diag() {	# what the password side did, after a wait_for failed
	grep -h "password\|hook receiver\|pwhook" "$W/daemon.log" "$W/sender.log" \
	    "$AD_DIR"/log/* 2>/dev/null | grep -v "api req" | tail -15 | sed 's/^/     /'
}
has_mbx() { emu_state && st_has example.com ex "$1"; }
pw_matches() {	# MAILBOX PASSWORD: rsemu says the password matches
	curl -sf -X POST "$EMU_ADMIN/_emu/verify-password" \
	    -d "$(python3 -c 'import json,sys; print(json.dumps({"domain":"example.com","mailbox":sys.argv[1],"password":sys.argv[2]}))' "$1" "$2")" |
	    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("match") else 1)'
}
utf16() { printf '"%s"' "$1" | iconv -t utf-16le | base64 -w0; }
admin_reset() {	# DN PASSWORD
	PASSWORDS+=("$2")
	audit_secret "pwsync/password-${#PASSWORDS[@]}" "$2"	# the secrets audit
	printf 'dn: %s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n\n' \
	    "$1" "$(utf16 "$2")" | ldap_modify
}
self_change() {	# USER-UPN OLD NEW: the user's own change over LDAPS
	PASSWORDS+=("$3")
	audit_secret "pwsync/password-${#PASSWORDS[@]}" "$3"
	printf 'dn: %s\nchangetype: modify\ndelete: unicodePwd\nunicodePwd:: %s\n-\nadd: unicodePwd\nunicodePwd:: %s\n-\n\n' \
	    "$ALICE" "$(utf16 "$2")" "$(utf16 "$3")" |
	    LDAPTLS_CACERT=$AD_CA ldapmodify -x -H "$AD_URI" -D "$1" -w "$2" >/dev/null
}
daemon_start() {
	"$ADSYNC" -c "$CONF" -v daemon --allow-root >> "$W/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for "daemon: control socket" 20 test -S "$W/state/ctl.sock"
}
daemon_stop() {
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
first_cycle_done() { ctl status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d.get("last") else 1)'; }
cleanup_pw() {
	daemon_stop
	[ -z "${SPS_PID:-}" ] || { kill -TERM "$SPS_PID" 2>/dev/null; wait "$SPS_PID" 2>/dev/null; }
	[ -z "${SENDER_PID:-}" ] || { kill -TERM "$SENDER_PID" 2>/dev/null; wait "$SENDER_PID" 2>/dev/null; }
}
trap 'rc=$?; cleanup_pw; (exit $rc); sync_cleanup' EXIT

echo "=== enrol DC1 and install the hook in Samba"
adsync_run hook enroll DC1 -o "$HOOKFILE"
expect_rc "hook enroll" 0
expect_out "hook enroll prints the smb.conf line" "check password script = adsync-pwhook -c"
expect "hook file mode" "$(stat -c %a "$HOOKFILE")" 600
adsync_run hook status
expect_out "hook status lists DC1" "DC1"
expect_out "hook status: never heard from" "never heard from"
# Samba runs the script through a shell with this command line; the spool
# is the test's own.
sed -i "s|^\[global\]\$|[global]\n\tcheck password script = $PWHOOK -c $HOOKFILE --spool $SPOOL|" "$AD_DIR/etc/smb.conf"
"$AD_SAMBA_AD" "$AD_DIR" stop >/dev/null
"$AD_SAMBA_AD" "$AD_DIR" start >/dev/null
"$AD_SAMBA_AD" "$AD_DIR" wait >/dev/null || { fail "Samba restarts with the hook"; finish; }

echo "=== the daemon, then an admin reset"
daemon_start
wait_for "first cycle done" 90 first_cycle_done
"$PWHOOK" -c "$HOOKFILE" --spool "$SPOOL" --sender >> "$W/sender.log" 2>&1 &
SENDER_PID=$!
check "alice's mailbox exists" has_mbx "$ALICE_MBX"
P1='Reset-Passw0rd-1'
admin_reset "$ALICE" "$P1"
wait_for "an admin reset reaches the mailbox" 20 pw_matches "$ALICE_MBX" "$P1"
adsync_run status
expect_out "status: the password sync" "password sync: receiver 127.0.0.1:18732"
wait_for "the DC's heartbeat is recorded" 20 sh -c "'$ADSYNC' -c '$CONF' hook status | grep -q 'DC1 *ok'"

echo "=== the user's own change over LDAP"
P2='Own-Change-2x'
self_change "alice@${AD_REALM,,}" "$P1" "$P2"
wait_for "a user's own change reaches the mailbox" 20 pw_matches "$ALICE_MBX" "$P2"

echo "=== a kpasswd change"
cat > "$W/krb5.conf" <<EOF
[libdefaults]
	default_realm = $AD_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
[realms]
	$AD_REALM = {
		kdc = 127.0.0.1
		admin_server = 127.0.0.1
		kpasswd_server = 127.0.0.1
	}
EOF
P3='Kerberos-Way-3y'
PASSWORDS+=("$P3")
audit_secret "pwsync/password-${#PASSWORDS[@]}" "$P3"
printf '%s\n%s\n%s\n' "$P2" "$P3" "$P3" |
    KRB5_CONFIG=$W/krb5.conf KRB5CCNAME=FILE:$W/krb5cc kpasswd "alice@$AD_REALM" > "$W/kpasswd.out" 2>&1 ||
    { fail "kpasswd ran"; cat "$W/kpasswd.out"; }
wait_for "a kpasswd change reaches the mailbox" 30 pw_matches "$ALICE_MBX" "$P3"

echo "=== a password AD takes but the mail service would not"
# 7 characters: AD's default minimum and complexity accept it; the
# service wants 8.
P4='Ab1!xyz'
admin_reset "$ALICE" "$P4"
wait_for "an alert names the weak password" 20 sh -c "'$ADSYNC' -c '$CONF' alerts | grep -qi 'password requirements'"
sleep 1
check_not "the weak password was not sent" pw_matches "$ALICE_MBX" "$P4"
check "the mailbox keeps the last good password" pw_matches "$ALICE_MBX" "$P3"
P5='Strong-Again-5z'
admin_reset "$ALICE" "$P5"
wait_for "a good password after it arrives" 20 pw_matches "$ALICE_MBX" "$P5"
wait_for "the alert clears" 20 sh -c "! '$ADSYNC' -c '$CONF' alerts | grep -qi 'password requirements'"

echo "=== a change while the daemon is down"
daemon_stop
P6='While-Down-6w'
admin_reset "$ALICE" "$P6"
check "the hook spooled it" sh -c "ls '$SPOOL' | grep -q '^[0-9a-f]\{32\}\$'"
daemon_start
wait_for "the spooled change arrives after the start" 90 pw_matches "$ALICE_MBX" "$P6"

echo "=== a new user: the password waits for the mailbox"
NEW="CN=Pat Newcomer,$PEOPLE"
P7='First-Day-7v'
PASSWORDS+=("$P7")
audit_secret "pwsync/password-${#PASSWORDS[@]}" "$P7"
ldapadd "${ADMIN_LDAP[@]}" >/dev/null <<EOF
dn: $NEW
objectClass: user
sAMAccountName: pnewcomer
userPrincipalName: pnewcomer@${AD_REALM,,}
givenName: Pat
sn: Newcomer
displayName: Pat Newcomer
mail: pat.newcomer@example.com
unicodePwd:: $(utf16 "$P7")
userAccountControl: 512
EOF
sleep 2
check_not "no mailbox yet, nothing sent" has_mbx pat.newcomer
ad_member "Hosted Exchange Users" add "$NEW"
wait_for "the mailbox is made" 30 has_mbx pat.newcomer
wait_for "with the password captured before" 30 pw_matches pat.newcomer "$P7"
check "the mailbox was created with it (no second write)" \
    grep -q "the new mailbox was created with the captured password" "$W/daemon.log"

echo "=== committed changes through samba-tool user syncpasswords"
# Reversible encryption gives samba-tool the cleartext without GPG; only
# for bob, whose userAccountControl gets ENCRYPTED_TEXT_PWD_ALLOWED.
BOB="CN=Bob Baker,$PEOPLE"
BOB_MBX=$(ldap_search -b "$BOB" -s base mail | sed -n 's/^mail: \(.*\)@example.com$/\1/p')
samba-tool domain passwordsettings set -s "$AD_DIR/etc/smb.conf" --store-plaintext=on >/dev/null 2>&1 ||
    fail "reversible encryption on"
ad_set "$BOB" userAccountControl 640
printf '#!/bin/sh\nexec %s -c %s --syncpasswords --spool %s\n' "$PWHOOK" "$HOOKFILE" "$SPOOL" > "$W/sps.sh"
chmod 700 "$W/sps.sh"
samba-tool user syncpasswords -s "$AD_DIR/etc/smb.conf" --cache-ldb-initialize \
    --attributes=objectGUID,sAMAccountName,userPrincipalName,pwdLastSet,virtualClearTextUTF8 \
    --script="$W/sps.sh" > "$W/sps-init.log" 2>&1 || { fail "syncpasswords initialised"; tail -5 "$W/sps-init.log"; }
setsid samba-tool user syncpasswords -s "$AD_DIR/etc/smb.conf" --logfile="$W/sps.log" \
    </dev/null >/dev/null 2>&1 &
SPS_PID=$!
sleep 2
P9='Committed-9t'
admin_reset "$BOB" "$P9"
wait_for "a committed change (syncpasswords) reaches the mailbox" 30 pw_matches "$BOB_MBX" "$P9"
wait_for "the receiver took a syncpasswords capture for bob" 20 \
    grep -q "for bob (syncpasswords)" "$W/daemon.log"
kill -TERM "$SPS_PID" 2>/dev/null; wait "$SPS_PID" 2>/dev/null; SPS_PID=

echo "=== refused certificates"
mkdir -p "$W/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=DC1 -keyout "$W/other/dc.key" -out "$W/other/dc.pem" 2>/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$W/state/pki/ca.pem" \
    --cert "$W/other/dc.pem" --key "$W/other/dc.key" \
    -H 'Content-Type: application/json' -d '{"v":1}' "https://localhost:${RX##*:}/v1/password" || true)
expect "a certificate of another CA is refused" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$W/state/pki/ca.pem" \
    -H 'Content-Type: application/json' -d '{"v":1}' "https://localhost:${RX##*:}/v1/password" || true)
expect "no certificate is refused" "$code" 403
adsync_run hook revoke DC1
expect_rc "hook revoke" 0
P8='After-Revoke-8u'
admin_reset "$ALICE" "$P8"
sleep 3
check_not "a revoked DC's change is not taken" pw_matches "$ALICE_MBX" "$P8"
adsync_run hook status
expect_out "hook status: revoked" "revoked"

echo "=== no password anywhere it should not be"
daemon_stop
cleanup_pw
leaks=0
for p in "${PASSWORDS[@]}"; do
	for f in "$W"/*.log "$W/out" "$W/err" "$W/state"/*.db* "$SPOOL"/* "$AD_DIR"/log/* \
	    "$W/state"/*; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$p" "$f"; then
			echo "     password found in $f"
			leaks=$((leaks + 1))
		fi
	done
done
expect "test passwords in logs, state and spool" "$leaks" 0
finish

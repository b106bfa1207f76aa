#!/usr/bin/env bash
# adsync check --connect against a real Samba AD DC and rsemu (sync_env.sh):
# a good configuration passes; a [sync] domain the account does not hold,
# an AD URI where no DC answers, a wrong bind password and a wrong API
# secret each fail with a sentence naming the problem and the fix.
#   test_sync_check.sh ADSYNC RSEMU SRCDIR
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

adsync_run check --connect
expect_rc "good configuration: exit 0" 0
expect_out "good configuration: OK" "configuration OK"

conf_set sync domains "example.com example.org"
adsync_run check --connect
expect_rc "foreign domain: exit 1" 1
expect_out "foreign domain named" "example.org is not a domain of the account"
not_out "listed domain not reported" "example.com is not a domain"
conf_set sync domains "example.com example.net"

conf_set ad uri "ldaps://127.0.0.2:1636"
adsync_run check --connect
expect_rc "no DC answering: exit 1" 1
expect_out "no DC answering: [ad] cannot connect" "[ad] cannot connect"
conf_set ad uri "$AD_URI"

cp "$AD_BIND_PASSWORD_FILE" "$W/bind.good"
( umask 077; printf 'wrong-Passw0rd!' > "$W/bind.bad" )
audit_secret sync_check/wrong_bind_password 'wrong-Passw0rd!'	# the secrets audit
conf_set ad bind_password_file "$W/bind.bad"
adsync_run check --connect
expect_rc "wrong bind password: exit 1" 1
expect_out "wrong bind password: [ad] cannot connect" "[ad] cannot connect"
not_out "the password is never printed" "wrong-Passw0rd!"
conf_set ad bind_password_file "$W/bind.good"

secret=$(sed -n 's/^secret_key_file *= *//p' "$CONF")
cp "$secret" "$W/secret.good"
( umask 077; printf 'bm90LXRoZS1zZWNyZXQ=\n' > "$W/secret.bad" )
audit_secret sync_check/wrong_api_secret 'bm90LXRoZS1zZWNyZXQ='
conf_set rackspace secret_key_file "$W/secret.bad"
adsync_run check --connect
expect_rc "wrong API secret: exit 1" 1
expect_out "wrong API secret: the API refused" "Authentication failed"
conf_set rackspace secret_key_file "$W/secret.good"

adsync_run check --connect
expect_rc "restored: exit 0" 0
finish

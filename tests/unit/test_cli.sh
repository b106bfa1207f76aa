#!/bin/sh
# Runs the built adsync binary: version, help, bad usage (exit 2), check on
# good and bad files (exit codes, messages, --dump, --json), the common
# options after the command name, and the example configuration.
# Usage: test_cli.sh PATH/TO/adsync SOURCE_DIR VERSION
set -u
A=$1
SRC=$2
VERSION=$3
T=$(mktemp -d) || exit 1
# The secrets audit (tests/audit): the secret, then $T but bad.conf (which
# holds it inline on purpose).
AUDIT_HOME=$SRC/tests/audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"
trap 'audit_keep work "$T" bad.conf; rm -rf "$T"' EXIT
audit_secret cli/inline_secret 'QHOvchm/40czXhJ1OxfxK7jDHr3t'
pass=0
fail=0

# run CMD...: runs it, keeping the exit status in $rc and its output in
# $T/out and $T/err.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}
# want RC DESCRIPTION: checks the last status.
want() {
	if [ "$rc" -eq "$1" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $2: exit $rc, wanted $1" >&2
		sed 's/^/  out: /' "$T/out" >&2
		sed 's/^/  err: /' "$T/err" >&2
	fi
}
# has FILE TEXT DESCRIPTION: FILE ($T/out or $T/err) contains TEXT.
has() {
	if grep -qF -- "$2" "$1"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $3: no \"$2\" in $(basename "$1"):" >&2
		sed 's/^/  /' "$1" >&2
	fi
}
hasnt() {
	if grep -qF -- "$2" "$1"; then
		fail=$((fail + 1))
		echo "FAIL: $3: \"$2\" in $(basename "$1")" >&2
	else
		pass=$((pass + 1))
	fi
}
empty() {
	if [ -s "$1" ]; then
		fail=$((fail + 1))
		echo "FAIL: $2: $(basename "$1") not empty:" >&2
		sed 's/^/  /' "$1" >&2
	else
		pass=$((pass + 1))
	fi
}

# --- version and help ---------------------------------------------------
for v in version -V --version; do
	run "$A" $v
	want 0 "adsync $v"
	has "$T/out" "adsync $VERSION" "adsync $v"
done
run "$A" --json version
want 0 "--json version"
has "$T/out" "\"version\": \"$VERSION\"" "--json version"
run "$A" version extra
want 2 "version with an argument"

for h in help -h --help; do
	run "$A" $h
	want 0 "adsync $h"
	has "$T/out" "usage: adsync [-c FILE] [-v] [--json] COMMAND" "$h"
	for c in "api [--body JSON] METHOD PATH" "check [--dump]" "help [COMMAND]" version; do
		has "$T/out" "  $c" "$h lists $c"
	done
done
run "$A" help check
want 0 "help check"
has "$T/out" "usage: adsync check [--dump]" "help check"
has "$T/out" "--dump prints the canonical" "help check"
run "$A" check --help
want 0 "check --help"
has "$T/out" "usage: adsync check [--dump]" "check --help"
run "$A" help api
want 0 "help api"
has "$T/out" "usage: adsync api [--body JSON] METHOD PATH" "help api"
run "$A" help frobnicate
want 2 "help of an unknown command"
has "$T/err" 'no command "frobnicate"' "help frobnicate"

# --- bad usage ----------------------------------------------------------
run "$A"
want 2 "no command"
has "$T/err" "usage: adsync" "no command"
empty "$T/out" "no command"
run "$A" frobnicate
want 2 "unknown command"
has "$T/err" 'unknown command "frobnicate"; run "adsync help"' "frobnicate"
run "$A" -x check
want 2 "unknown option"
has "$T/err" 'unknown option "-x"' "-x"
run "$A" -c
want 2 "-c without FILE"
has "$T/err" "-c needs a FILE" "-c"
run "$A" check -c
want 2 "check -c without FILE"
run "$A" api -c
want 2 "api -c without FILE"
has "$T/err" "-c needs a FILE" "api -c"

# --- check --------------------------------------------------------------
printf 'QHOvchm/40czXhJ1OxfxK7jDHr3t\n' >"$T/rs.key"
chmod 600 "$T/rs.key"
cat >"$T/good.conf" <<EOC
# good
[rackspace]
customer = 1234567   ; account
user_key = eGbq9/2hcZsRlr1JV1Pi
secret_key_file = $T/rs.key
EOC
cat >"$T/bad.conf" <<EOC
[rackspace]
user_key = eGbq9/2hcZsRlr1JV1Pi
customer = someone
api_url = http://api.emailsrvr.com/v1
secret_key = QHOvchm/40czXhJ1OxfxK7jDHr3t
EOC

run "$A" -c "$T/good.conf" check
want 0 "check good"
has "$T/out" "$T/good.conf: configuration OK" "check good"
empty "$T/err" "check good"
# The common options right after the command name.
run "$A" check -c "$T/good.conf"
want 0 "check -c FILE"
has "$T/out" "$T/good.conf: configuration OK" "check -c FILE"
run "$A" check "-c$T/good.conf" -vv
want 0 "check -cFILE -vv"
run "$A" -v check --json -c "$T/good.conf"
want 0 "check --json -c FILE"
has "$T/out" '"ok": true' "check --json"
run "$A" -c "$T/good.conf" check extra
want 2 "check with an argument"
has "$T/err" 'unexpected argument "extra"' "check extra"
run "$A" -c "$T/good.conf" check --dump -c x
want 2 "-c after the command's own arguments"

run "$A" -c "$T/bad.conf" check
want 1 "check bad"
has "$T/err" "$T/bad.conf:3: customer: \"someone\" is neither" "check bad"
has "$T/err" "$T/bad.conf:4: api_url: http:// is refused" "check bad"
has "$T/err" "$T/bad.conf:5: \"secret_key\" would hold a secret" "check bad"
hasnt "$T/err" "QHOvchm" "check bad repeats the secret"
empty "$T/out" "check bad"
run "$A" --json -c "$T/bad.conf" check
want 1 "check --json bad"
has "$T/out" '"ok": false' "check --json bad"
has "$T/out" '"line": 3' "check --json bad"
run "$A" --json -c "$T/bad.conf" check --dump
want 2 "--json with --dump"

chmod 644 "$T/rs.key"
run "$A" -c "$T/good.conf" check
want 1 "check with a 0644 secret"
has "$T/err" "$T/good.conf:5: secret_key_file: $T/rs.key: mode 0644" "0644"
has "$T/err" "run: chmod 600 $T/rs.key" "0644"
chmod 600 "$T/rs.key"

run "$A" -c "$T/none.conf" check
want 1 "check a missing file"
has "$T/err" "$T/none.conf: cannot open: No such file or directory" "none"

run "$A" -c "$T/good.conf" check --dump
want 0 "check --dump"
has "$T/out" "[rackspace]" "--dump"
has "$T/out" "customer = 1234567" "--dump"
has "$T/out" "secret_key_file = $T/rs.key" "--dump shows the path"
has "$T/out" "max_in_flight = 4" "--dump shows defaults"
hasnt "$T/out" "QHOvchm" "--dump shows the secret"
hasnt "$T/out" "configuration OK" "--dump keeps stdout for the dump"
has "$T/err" "configuration OK" "--dump"
cp "$T/out" "$T/dump.conf"
run "$A" -c "$T/dump.conf" check --dump
want 0 "the dump checks again"
if cmp -s "$T/out" "$T/dump.conf"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: dump of the dump differs" >&2
fi

run "$A" -c "$SRC/packaging/adsync.conf" check
want 0 "check packaging/adsync.conf"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

#!/bin/sh
# `adsync web passwd` with the password on standard input (not a
# terminal): the file it writes (default state_dir/web.passwd, state_dir
# made 0700; or [daemon] web_password_file), mode 0600 whatever the umask,
# an Argon2id hash and no password anywhere in the output; and every
# refusal (too short, too long, control characters, nothing on stdin, an
# argument), each leaving the old file as it was.
# Usage: test_web_passwd.sh PATH/TO/adsync
set -u
A=$1
T=$(mktemp -d) || exit 1
# The secrets audit (tests/audit): the passwords, then $T but the input.
AUDIT_HOME=$(dirname "$0")/../audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"
trap 'audit_keep work "$T" pw; rm -rf "$T"' EXIT
pass=0
fail=0
PW='correct horse battery staple'
audit_secret web_passwd/password "$PW"
audit_secret web_passwd/password-2 'another password 2'
audit_secret web_passwd/refused 'short pw'

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# run STDIN_FILE ARGS...: runs adsync with that standard input, keeping
# the status in $rc and the output in $T/out and $T/err.
run() {
	in=$1
	shift
	"$A" "$@" <"$in" >"$T/out" 2>"$T/err"
	rc=$?
}
want() {
	if [ "$rc" -eq "$1" ]; then
		ok
	else
		bad "$2: exit $rc, wanted $1"
		sed 's/^/  out: /' "$T/out" >&2
		sed 's/^/  err: /' "$T/err" >&2
	fi
}
has() {
	if grep -qF -- "$2" "$1"; then ok; else
		bad "$3: no \"$2\" in $(basename "$1")"
		sed 's/^/  /' "$1" >&2
	fi
}
hasnt() {
	if grep -qF -- "$2" "$1"; then bad "$3: \"$2\" in $(basename "$1")"
	else ok; fi
}
mode_is() {	# FILE MODE DESCRIPTION
	m=$(stat -c %a "$1" 2>/dev/null)
	if [ "$m" = "$2" ]; then ok; else bad "$3: mode $m, wanted $2"; fi
}
is_hash() {	# FILE DESCRIPTION
	if head -c 10 "$1" | grep -qxF '$argon2id$' &&
	    [ "$(wc -l <"$1")" -eq 1 ]; then ok; else
		bad "$2: $1 is not one Argon2id line"
		sed 's/^/  /' "$1" >&2
	fi
}

printf '[sync]\nstate_dir = %s/state\n' "$T" >"$T/adsync.conf"
F=$T/state/web.passwd

# --- set it: the default file, state_dir made ----------------------------
printf '%s\n' "$PW" >"$T/pw"
run "$T/pw" -c "$T/adsync.conf" web passwd
want 0 "web passwd"
has "$T/out" "console password set ($F)" "web passwd"
mode_is "$T/state" 700 "state_dir made"
mode_is "$F" 600 "password file"
is_hash "$F" "password file"
hasnt "$T/out" "horse" "stdout repeats the password"
hasnt "$T/err" "horse" "stderr repeats the password"
hasnt "$F" "horse" "the file holds the password"
ls -A "$T/state" >"$T/ls"
if [ "$(wc -l <"$T/ls")" -eq 1 ]; then ok; else
	bad "files left beside the password file: $(cat "$T/ls")"
fi

# --- again, under a hostile umask, without a final newline ---------------
cp "$F" "$T/old"
printf '%s' 'another password 2' >"$T/pw"
(umask 0277 && "$A" -c "$T/adsync.conf" web passwd <"$T/pw" \
    >"$T/out" 2>"$T/err")
rc=$?
want 0 "web passwd under umask 0277"
mode_is "$F" 600 "under umask 0277"
is_hash "$F" "replaced"
if cmp -s "$F" "$T/old"; then bad "the file was not replaced"; else ok; fi

# --- refusals leave the file as it was ------------------------------------
cp "$F" "$T/old"
check_refused() {	# DESCRIPTION TEXT STATUS
	want "$3" "$1"
	has "$T/err" "$2" "$1"
	if cmp -s "$F" "$T/old"; then ok; else bad "$1: the file changed"; fi
	hasnt "$T/out" "console password set" "$1"
}
printf 'short pw\n' >"$T/pw"
run "$T/pw" -c "$T/adsync.conf" web passwd
check_refused "too short" "shorter than 10 characters" 1
hasnt "$T/err" "short pw" "a refusal repeats the password"
awk 'BEGIN { for (i = 0; i < 1025; i++) printf "x"; printf "\n" }' >"$T/pw"
run "$T/pw" -c "$T/adsync.conf" web passwd
check_refused "too long" "longer than 1024 bytes" 1
awk 'BEGIN { for (i = 0; i < 1024; i++) printf "y"; printf "\n" }' >"$T/pw"
cp "$F" "$T/keep"
run "$T/pw" -c "$T/adsync.conf" web passwd
want 0 "1024 bytes are fine"
cp "$T/keep" "$F"
printf 'with a\001control\n' >"$T/pw"
run "$T/pw" -c "$T/adsync.conf" web passwd
check_refused "control character" "control character" 1
printf 'bad utf8 \377\377\377\n' >"$T/pw"
run "$T/pw" -c "$T/adsync.conf" web passwd
check_refused "invalid UTF-8" "not valid UTF-8" 1
run /dev/null -c "$T/adsync.conf" web passwd
check_refused "empty stdin" "no password on standard input" 1
printf '%s\n' "$PW" >"$T/pw"
run "$T/pw" -c "$T/adsync.conf" web passwd extra
check_refused "an argument" 'unexpected argument "extra"' 2

# --- [daemon] web_password_file -------------------------------------------
printf '[sync]\nstate_dir = %s/state2\n[daemon]\nweb_password_file = %s/elsewhere.pw\n' \
    "$T" "$T" >"$T/other.conf"
run "$T/pw" -c "$T/other.conf" web passwd
want 0 "web passwd to web_password_file"
has "$T/out" "console password set ($T/elsewhere.pw)" "web_password_file"
mode_is "$T/elsewhere.pw" 600 "web_password_file"
is_hash "$T/elsewhere.pw" "web_password_file"
if [ -e "$T/state2" ]; then bad "state_dir made for another file"; else ok; fi

# --- help -----------------------------------------------------------------
run /dev/null help web passwd
want 0 "help web passwd"
has "$T/out" "usage: adsync web passwd" "help web passwd"
run /dev/null help
has "$T/out" "  web passwd" "help lists web passwd"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

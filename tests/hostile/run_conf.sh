#!/bin/bash
# Hostile configuration files (tests/hostile/cases.md, category "conf"):
#   run_conf.sh ADSYNC SRCDIR
# `adsync check` on files that are wrong in every way an administrator or
# an attacker with write access to /etc could make them. Each error must
# name FILE:LINE, the key and the fix, exit 1 without a crash, report that
# one problem only (the rest of the file still parses), and never print a
# secret.
#
# The wrong-type rows (where = every-key) are generated from `adsync check
# --dump`: every key whose default is a number, a boolean or a path gets a
# value of the wrong type; every other key (a string with its own syntax)
# must have a named row of its own (where = key), so a new key without a
# hostile case fails this test. No Samba needed.
# The case_*, inject_* and unaffected_* functions are called by name.
# shellcheck disable=SC2317
set -uo pipefail
ADSYNC=${1:?usage: run_conf.sh ADSYNC SRCDIR}
SRCDIR=${2:?usage: run_conf.sh ADSYNC SRCDIR}
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
HW=$(mktemp -d "${TMPDIR:-/tmp}/hostile-conf.XXXXXX")
# shellcheck source=tests/hostile/hostile_lib.sh
. "$SRCDIR/tests/hostile/hostile_lib.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
trap 'rc=$?; if [ -n "${KEEP_HOSTILE:-}" ]; then echo "kept $HW"; else rm -rf "$HW"; fi; exit $rc' EXIT

C=$HW/conf
mkdir -p "$C"
(umask 077; printf 'Hostile-Secret-1' > "$C/ok.pw"; printf 'Hostile-Secret-2' > "$C/ok.key")
SECRET_TEXT=Hostile-Secret-

# The keys, with the section and the default, from the dump.
printf '[sync]\nstate_dir = %s/state\n' "$HW" > "$C/empty.conf"
"$ADSYNC" -c "$C/empty.conf" check --dump > "$HW/dump.txt" 2> "$HW/dump.err" ||
    { cat "$HW/dump.err"; echo "FAIL: adsync check --dump"; exit 1; }
KEYS=()	# "section key default"
sec=
while IFS= read -r l; do
	case "$l" in
	\[*\]) sec=${l#[}; sec=${sec%]} ;;
	*" = "* | *" =") KEYS+=("$sec ${l%% =*} ${l#* =}") ;;
	esac
done < "$HW/dump.txt"
[ ${#KEYS[@]} -ge 40 ] || { echo "FAIL: only ${#KEYS[@]} keys in the dump"; exit 1; }

# The type of a key, from its name and default.
key_type() {	# KEY DEFAULT
	local k=$1 d=${2# }
	case "$k" in *_file | *_dir | *_cert) echo path; return ;; esac
	case "$d" in
	true | false) echo bool ;;
	/*) echo path ;;
	'' ) echo string ;;
	*[!0-9]*) echo string ;;
	*) echo uint ;;
	esac
}

# run_check FILE: `adsync check` on FILE; its output (both streams) and
# "exit N" go to $HOUT; $CRC is the status.
run_check() {
	timeout 4 "$ADSYNC" -c "$1" check > "$HW/check.out" 2>&1
	CRC=$?
	[ "$CRC" != 124 ] || echo "HANG: adsync check did not finish within 4 s (killed)" >> "$HW/check.out"
	cat "$HW/check.out" >> "$HOUT"
	echo "exit $CRC" >> "$HOUT"
	cp "$HW/check.out" "$HW/last.out"
}

# A file with KEY = VALUE on line 2 of [SECTION] and, after it, what that
# section needs so that this key is the only problem.
one_key_file() {	# FILE SECTION KEY VALUE
	{
		printf '[%s]\n%s = %s\n' "$2" "$3" "$4"
		case "$2" in
		ad) [ "$3" = bind_password_file ] || printf 'bind_password_file = %s\n' "$C/ok.pw" ;;
		rackspace) [ "$3" = secret_key_file ] || printf 'secret_key_file = %s\n' "$C/ok.key" ;;
		esac
		[ "$2" = sync ] || printf '[sync]\n'
		[ "$3" = state_dir ] || printf 'state_dir = %s/state\n' "$HW"
	} > "$1"
}

# {file} {line} {key} in an expected text.
fill() {	# TEXT FILE LINE KEY
	local t=$1
	t=${t//\{file\}/$2}
	t=${t//\{line\}/$3}
	t=${t//\{key\}/$4}
	printf '%s' "$t"
}

# shellcheck disable=SC2034 # read through ${!v} in gen_type
WRONG_uint=many WRONG_bool=maybe WRONG_path=relative/path

# The generated rows: every key of TYPE, each in a file of its own.
gen_type() {	# NAME TYPE
	local name=$1 type=$2 kd s k d n=0 f v
	H_GENERATED=1
	v=WRONG_$type
	for kd in "${KEYS[@]}"; do
		read -r s k d <<< "$kd"
		[ "$(key_type "$k" "${d:-}")" = "$type" ] || continue
		f=$C/$s.$k.conf
		one_key_file "$f" "$s" "$k" "${!v}"
		run_check "$f" > /dev/null
		cat "$HW/last.out" >> "$HOUT"
		hostile_sub "${name}[$s.$k]" "$name" "$HW/last.out" \
		    "$(fill "${H_EXPECT[$name]}" "$f" 2 "$k")"
		n=$((n + 1))
	done
	echo "     $name: $n key(s) of type $type"
}

case_conf_wrong_type_uint() { gen_type "$1" uint; }
case_conf_wrong_type_bool() { gen_type "$1" bool; }
case_conf_wrong_type_path() { gen_type "$1" path; }

# A named row "[section] key = value": that line in a file of its own.
case_default() {
	local name=$1 inj=${H_INJECT[$1]} s k v f
	inj=${inj//\`/}
	if [[ $inj =~ ^\[([a-z]+)\]\ ([a-z_]+)\ =\ (.*)$ ]]; then
		s=${BASH_REMATCH[1]} k=${BASH_REMATCH[2]} v=${BASH_REMATCH[3]}
		f=$C/$name.conf
		one_key_file "$f" "$s" "$k" "$v"
		H_EXPECT[$name]=$(fill "${H_EXPECT[$name]}" "$f" 2 "$k")
		run_check "$f"
		STRING_ROWS+=("$s.$k")
	else
		echo "     $name: no case_$name and the inject is not \"[section] key = value\""
	fi
}
STRING_ROWS=()

# ---- the named cases that need more than one line ---------------------
secret_conf() {	# FILE PATH: [ad] with bind_password_file = PATH
	printf '[ad]\nuri = ldaps://dc1.example.test\nbase_dn = DC=example,DC=test\nbind_dn = svc-adsync@example.test\nbind_password_file = %s\n[sync]\nstate_dir = %s/state\n' "$2" "$HW" > "$1"
}
secret_case() {	# NAME PATH: expect {file}, {line} = 5
	local f=$C/$1.conf
	secret_conf "$f" "$2"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 5 bind_password_file)
	H_EXPECT[$1]=${H_EXPECT[$1]//\{path\}/$2}
	run_check "$f"
}
case_conf_secret_mode_0644() { (umask 022; printf 'Hostile-Secret-3' > "$C/s644.pw"; chmod 644 "$C/s644.pw"); secret_case "$1" "$C/s644.pw"; }
case_conf_secret_mode_0640() { (printf 'Hostile-Secret-4' > "$C/s640.pw"; chmod 640 "$C/s640.pw"); secret_case "$1" "$C/s640.pw"; }
case_conf_secret_mode_0604() { (printf 'Hostile-Secret-5' > "$C/s604.pw"; chmod 604 "$C/s604.pw"); secret_case "$1" "$C/s604.pw"; }
case_conf_secret_symlink() { ln -sf "$C/ok.pw" "$C/link.pw"; secret_case "$1" "$C/link.pw"; }
case_conf_secret_directory() { mkdir -p "$C/dir.pw"; secret_case "$1" "$C/dir.pw"; }
case_conf_secret_other_owner() {
	(umask 077; printf 'Hostile-Secret-6' > "$C/nobody.pw")
	chown 65534 "$C/nobody.pw" 2>/dev/null || { echo "(cannot chown: not root)" >> "$HOUT"; }
	secret_case "$1" "$C/nobody.pw"
}
case_conf_secret_missing() { secret_case "$1" "$C/missing.pw"; }
case_conf_secret_fifo() { mkfifo "$C/fifo.pw"; secret_case "$1" "$C/fifo.pw"; }
case_conf_inline_secret() {
	local f=$C/$1.conf
	printf '[ad]\nbind_password = Hostile-Secret-7\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 bind_password)
	run_check "$f"
}
case_conf_duplicate_key() {
	local f=$C/$1.conf
	printf '[ad]\npage_size = 500\npage_size = 600\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 3 page_size)
	run_check "$f"
}
case_conf_unknown_key() {
	local f=$C/$1.conf
	printf '[ad]\npag_size = 500\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 pag_size)
	run_check "$f"
}
case_conf_unknown_section() {
	local f=$C/$1.conf
	printf '[sync]\nstate_dir = %s/state\n[syncc]\ninterval = 60\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 3 syncc)
	run_check "$f"
}
case_conf_key_before_section() {
	local f=$C/$1.conf
	printf 'uri = ldaps://dc1.example.test\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 1 uri)
	run_check "$f"
}
case_conf_line_200() {
	local f=$C/$1.conf
	printf '[ad]\nbase_dn = OU=%s,DC=example,DC=test\n[sync]\nstate_dir = %s/state\n' "$(head -c 200 /dev/zero | tr '\0' a)" "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 base_dn)
	run_check "$f"
}
case_conf_nul_byte() {
	local f=$C/$1.conf
	printf '[ad]\nbase_dn = DC=exa\0mple,DC=test\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 base_dn)
	run_check "$f"
}
case_conf_control_char() {
	local f=$C/$1.conf
	printf '[rackspace]\nuser_agent = adsync\033[31m\nsecret_key_file = %s\n[sync]\nstate_dir = %s/state\n' "$C/ok.key" "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 user_agent)
	run_check "$f"
}
case_conf_invalid_utf8() {
	local f=$C/$1.conf
	printf '[ad]\nbase_dn = OU=Caf\xe9,DC=example,DC=test\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 base_dn)
	run_check "$f"
}
case_conf_ldap_plain() {
	local f=$C/$1.conf
	printf '[ad]\nuri = ldap://dc1.example.test\nbase_dn = DC=example,DC=test\nbind_password_file = %s\n[sync]\nstate_dir = %s/state\n' "$C/ok.pw" "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 uri)
	run_check "$f"
}
case_conf_web_remote_plain() {
	local f=$C/$1.conf
	printf '[daemon]\nweb_listen = 0.0.0.0:8080\n[sync]\nstate_dir = %s/state\n' "$HW" > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 2 web_listen)
	run_check "$f"
}
case_conf_huge_file() {
	local f=$C/$1.conf
	{ printf '[sync]\nstate_dir = %s/state\n' "$HW"; head -c 3000000 /dev/zero | tr '\0' '#'; } > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 0 -)
	run_check "$f"
}
case_conf_directory() {
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$C" 0 -)
	run_check "$C"
}
case_conf_config_fifo() {
	mkfifo "$C/conf.fifo"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$C/conf.fifo" 0 -)
	run_check "$C/conf.fifo"
}
case_conf_binary_file() {
	local f=$C/$1.conf
	# The same 4 KiB of noise every time.
	python3 -c 'import random, sys; random.seed(9); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(4096)))' > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 1 -)
	run_check "$f"
}
case_conf_many_errors() {
	local f=$C/$1.conf i
	{ printf '[ad]\n'; for i in $(seq 1 500); do printf 'page_size = x%d\n' "$i"; done
	  printf '[sync]\nstate_dir = %s/state\n' "$HW"; } > "$f"
	H_EXPECT[$1]=$(fill "${H_EXPECT[$1]}" "$f" 201 page_size)
	run_check "$f"
}

# ---- unaffected ---------------------------------------------------------
unaffected_exit1() { [ "${CRC:-}" = 1 ] || { echo "     exit ${CRC:-?}, want 1"; return 1; }; }
unaffected_one_error() {
	[ "$(wc -l < "$HW/last.out")" = 1 ] || { echo "     not exactly one problem:"; sed 's/^/       | /' "$HW/last.out" | head; return 1; }
}
unaffected_no_sanitizer() { h_sanitizer "$HW/last.out"; }
unaffected_no_secret() {
	! grep -q "$SECRET_TEXT" "$HW/last.out" || { echo "     a secret is in the output"; return 1; }
}
unaffected_first_reported() {	# many_errors: the first ones are shown
	if ! grep -q ':2: page_size: "x1" is not a whole number' "$HW/last.out" ||
	    ! grep -q ':3: duplicate key page_size' "$HW/last.out"; then
		echo "     the first problems are not shown"
		return 1
	fi
}

hostile_load conf
hostile_each hostile_check

# Every key of the dump has a wrong-type case: generated, or a named row.
missing=0
if [ -z "$HOSTILE_ONLY" ]; then
	for kd in "${KEYS[@]}"; do
		read -r s k d <<< "$kd"
		[ "$(key_type "$k" "${d:-}")" = string ] || continue
		if ! printf '%s\n' "${STRING_ROWS[@]}" | grep -qx "$s.$k"; then
			echo "FAIL: [$s] $k is a string key without a conf_wrong_* row in cases.md"
			missing=1
		fi
	done
fi
hostile_finish
rc=$?
[ "$missing" = 0 ] || rc=1
exit $rc

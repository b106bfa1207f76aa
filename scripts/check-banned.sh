#!/bin/sh
# Lists every use of a function or setting that docs/style.md §6 bans, as
# FILE:LINE: banned NAME: CODE, and exits 1 if there is any (curl's idea).
#
#   scripts/check-banned.sh            checks src/, emulator/, hooks/ and
#                                      tests/ of this tree (*.c and *.h)
#   scripts/check-banned.sh DIR...     checks those directories instead
#
# Names are matched as whole identifiers followed by '(': snprintf,
# gmtime_r, strerror_r, adsync_strerror or fgets do not match. Lines that are
# only comment text (starting with /*, // or a leading " * ") are skipped.
# Exit status: 0 clean, 1 banned uses found, 2 usage error.
set -u

if [ $# -eq 0 ]; then
	top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
	cd "$top" || exit 2
	for d in src emulator hooks tests; do
		[ -d "$d" ] && set -- "$@" "$d"
	done
fi
if [ $# -eq 0 ]; then
	echo "check-banned: no directory to check" >&2
	exit 2
fi
for d in "$@"; do
	if [ ! -d "$d" ]; then
		echo "check-banned: $d: not a directory" >&2
		exit 2
	fi
done

hits=$(mktemp) || exit 2
trap 'rm -f "$hits"' EXIT

# scan LABEL ERE DIR...: appends "FILE:LINE: banned LABEL: CODE" lines.
scan() {
	label=$1
	pat=$2
	shift 2
	grep -rnE --include='*.c' --include='*.h' -e "$pat" "$@" |
	    grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/\*|//|\*([[:space:]/]|$))' |
	    awk -v l="$label" '{
		i = index($0, ":"); rest = substr($0, i + 1)
		j = index(rest, ":"); code = substr(rest, j + 1)
		sub(/^[ \t]+/, "", code)
		print substr($0, 1, i + j - 1) ": banned " l ": " code
	    }' >>"$hits"
}

# Unsafe or non-reentrant C library functions, and sqlite3_exec (prepared
# statements only).
for f in atoi atol atoll strcpy strcat sprintf vsprintf gets strtok system \
    popen rand alloca strerror localtime gmtime ctime asctime getpwnam \
    getgrnam sqlite3_exec; do
	scan "$f" "(^|[^A-Za-z0-9_])$f[[:space:]]*\\(" "$@"
done
# TLS verification is never turned off.
scan "TLS verification off" \
    'CURLOPT_SSL_VERIFY(PEER|HOST)[[:space:]]*,[[:space:]]*(\(long\)[[:space:]]*)?(0[uUlL]*|false|FALSE)([^0-9A-Za-z_]|$)' \
    "$@"
scan "TLS verification off" \
    '(^|[^A-Za-z0-9_])LDAP_OPT_X_TLS_(NEVER|ALLOW)([^A-Za-z0-9_]|$)' "$@"

if [ -s "$hits" ]; then
	sort -t: -k1,1 -k2,2n "$hits"
	echo "check-banned: $(wc -l <"$hits") banned use(s); see" \
	    "docs/style.md section 6 for what to use instead" >&2
	exit 1
fi
echo "check-banned: no banned functions in $*"
exit 0

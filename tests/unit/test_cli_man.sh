#!/bin/sh
# Renders every page in docs/man with groff's man macros and all warnings
# on; any warning fails. Exits 77 (skipped) when groff is not installed.
# Usage: test_cli_man.sh DOCS_MAN_DIR
set -u
dir=$1
command -v groff >/dev/null 2>&1 || { echo "groff not installed"; exit 77; }
pass=0
fail=0
for page in "$dir"/*.[1-9]; do
	[ -f "$page" ] || continue
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$warn" ]; then
		echo "FAIL: $page:" >&2
		printf '%s\n' "$warn" >&2
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
[ $pass -gt 0 ] || { echo "FAIL: no man pages in $dir" >&2; fail=1; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

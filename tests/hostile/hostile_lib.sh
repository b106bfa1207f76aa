# shellcheck shell=bash
# shellcheck disable=SC2034
#
# The table-driven part of the hostile-input suite (tests/hostile/cases.md,
# docs/testing-sync.md "Hostile input"). Sourced by the bash runners
# (run_ad.sh, run_api.sh, run_hook.sh, run_conf.sh) after their
# environment (sync_env.sh for the Samba ones); run_console.py has the same
# logic in Python.
#
#   hostile_load CATEGORY [WHERE...]   the rows of cases.md for CATEGORY
#                           (and one of the WHERE values, if given)
#   hostile_each FN         calls FN NAME for every loaded row, in order
#   hostile_check NAME      runs case_NAME (or case_default NAME), which
#                           writes what adsync answered to $HOUT; then
#                           checks the row's expected fragments (all on one
#                           line of $HOUT, any case) and calls
#                           unaffected_TOKEN NAME for each token of the
#                           row's "unaffected" column (each returns 0 when
#                           nothing else was affected, else prints why)
#   hostile_sub SUB ROW FILE EXPECT   a generated sub-case of ROW (conf's
#                           wrong types): the fragment check on FILE and
#                           ROW's unaffected checks; the generating case
#                           sets H_GENERATED=1, and ROW is then not
#                           counted itself
#   hostile_finish          the summary; exit 0 or 1
#
# A row whose status is "xfail: TODO(#9) ..." is a known bug of adsync
# (reported, not hidden): its failure prints XFAIL and does not fail the
# run; if it passes, that is an XPASS and a failure (update the table).
#
# HOSTILE_MUTATE=1: every expected fragment gets "~mutated~" appended, so
# every case must fail its text check; the runner then exits 0 only if it
# did, for every case (the proof that each case can fail). HOSTILE_ONLY=ERE
# runs only the cases whose name matches.

HOSTILE_DIR=${HOSTILE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
HOSTILE_TABLE=$HOSTILE_DIR/cases.md
HOSTILE_MUTATE=${HOSTILE_MUTATE:-}
HOSTILE_ONLY=${HOSTILE_ONLY:-}
H_NAMES=()
declare -A H_INJECT H_EXPECT H_UNAFF H_STATUS H_WHERE
H_CASES=0
H_PASSED=0
H_FAILED=0
H_XFAIL=0
H_FAILED_NAMES=()
H_XFAIL_NAMES=()
H_T0=$(date +%s.%N)
: "${HW:=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX")}"
mkdir -p "$HW/out"

h_say() { printf '%s\n' "$*"; }

# The rows of the table: "| name | category | where | inject | expect |
# unaffected | status |", cells trimmed; the header and the separator are
# skipped (their first cell is "case" or dashes).
hostile_rows() {
	awk -F'|' '
	    /^\| *[a-z0-9_]+ *\|/ {
		n = NF; out = ""
		for (i = 2; i < n; i++) {
			c = $i; gsub(/^ +| +$/, "", c)
			out = out (i > 2 ? "\t" : "") c
		}
		if ($2 !~ /^ *case *$/) print out
	    }' "$HOSTILE_TABLE"
}

hostile_load() {
	local cat=$1 name c where inject expect unaff status w ok
	shift
	[ -f "$HOSTILE_TABLE" ] || { h_say "FAIL: no table $HOSTILE_TABLE"; exit 1; }
	while IFS=$'\t' read -r name c where inject expect unaff status; do
		[ "$c" = "$cat" ] || continue
		if [ $# -gt 0 ]; then
			ok=
			for w in "$@"; do [ "$where" = "$w" ] && ok=1; done
			[ -n "$ok" ] || continue
		fi
		if [ -n "$HOSTILE_ONLY" ] && ! [[ $name =~ $HOSTILE_ONLY ]]; then
			continue
		fi
		if [ -n "${H_STATUS[$name]+x}" ]; then
			h_say "FAIL: case $name is in the table twice"
			exit 1
		fi
		H_NAMES+=("$name")
		H_WHERE[$name]=$where
		H_INJECT[$name]=$inject
		H_EXPECT[$name]=$expect
		H_UNAFF[$name]=$unaff
		H_STATUS[$name]=$status
	done < <(hostile_rows)
	h_say "hostile: ${#H_NAMES[@]} case(s) of category $cat${*:+ ($*)} from $HOSTILE_TABLE${HOSTILE_MUTATE:+ (MUTATED expectations)}"
}

hostile_each() {
	local fn=$1 n
	for n in "${H_NAMES[@]}"; do "$fn" "$n"; done
}

# The expected fragments of a row, one per line ("a && b" -> a, b), with
# backquotes removed (the table quotes code in them).
h_fragments() {
	printf '%s\n' "$1" | awk '{ n = split($0, a, / && /); for (i = 1; i <= n; i++) print a[i] }' |
	    sed -e 's/^ *`\{0,1\}//' -e 's/`\{0,1\} *$//'
}

# h_match FILE FRAG...: one line of FILE holds every FRAG (any case).
h_match() {
	local f=$1
	shift
	[ -f "$f" ] || return 1
	python3 - "$f" "$@" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().lower().splitlines()
want = [w.lower() for w in sys.argv[2:]]
sys.exit(0 if any(all(w in l for w in want) for l in lines) else 1)
PY
}

# h_text_check NAME FILE EXPECT: 0 when the (maybe mutated) fragments
# match; prints why not.
h_text_check() {
	local name=$1 file=$2 expect=$3 frags=() f
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		frags+=("$f${HOSTILE_MUTATE:+~mutated~}")
	done < <(h_fragments "$expect")
	if [ ${#frags[@]} = 0 ]; then
		h_say "     $name: the table gives no expected text"
		return 1
	fi
	if h_match "$file" "${frags[@]}"; then return 0; fi
	h_say "     $name: no line with all of: $(printf '"%s" ' "${frags[@]}")"
	# The lines about the same thing (the first fragment), else the first.
	if grep -qiF -- "${frags[0]%~mutated~}" "$file" 2>/dev/null; then
		h_say "     $name: the lines with \"${frags[0]%~mutated~}\":"
		grep -iF -- "${frags[0]%~mutated~}" "$file" | head -n 4 | cut -c1-600 | sed 's/^/       | /'
	else
		h_say "     $name: what it gave (first lines):"
		head -n 6 "$file" 2>/dev/null | cut -c1-600 | sed 's/^/       | /'
	fi
	return 1
}

# h_result NAME TEXT_OK UNAFF_OK [NOTE]: prints and counts one case.
h_result() {
	local name=$1 text_ok=$2 unaff_ok=$3 note=${4:-} status=${H_STATUS[$1]:-ok}
	H_CASES=$((H_CASES + 1))
	if [ -n "$HOSTILE_MUTATE" ]; then
		# Every case must fail its text check when its text is wrong.
		if [ "$text_ok" = 0 ]; then
			H_FAILED=$((H_FAILED + 1)); H_FAILED_NAMES+=("$name")
			h_say "FAIL $name: passed with a wrong expected text (the check cannot fail)"
		else
			H_PASSED=$((H_PASSED + 1))
			h_say "ok   $name (caught the wrong expected text)"
		fi
		return 0
	fi
	if [ "$text_ok" = 0 ] && [ "$unaff_ok" = 0 ]; then
		if [[ $status == xfail* ]]; then
			H_FAILED=$((H_FAILED + 1)); H_FAILED_NAMES+=("$name")
			h_say "FAIL $name: XPASS: marked as a known bug but passes; update cases.md ($status)"
		else
			H_PASSED=$((H_PASSED + 1))
			h_say "ok   $name${note:+ ($note)}"
		fi
	elif [[ $status == xfail* ]]; then
		H_XFAIL=$((H_XFAIL + 1)); H_XFAIL_NAMES+=("$name")
		h_say "XFAIL $name: ${status#xfail: }"
	else
		H_FAILED=$((H_FAILED + 1)); H_FAILED_NAMES+=("$name")
		h_say "FAIL $name${note:+ ($note)}"
	fi
}

hostile_check() {
	local name=$1 text_ok=1 unaff_ok=0 tok t0 t1
	HOUT=$HW/out/$name.out
	: > "$HOUT"
	t0=$(date +%s.%N)
	h_say "--- case $name: ${H_INJECT[$name]}"
	H_GENERATED=
	if declare -F "case_$name" >/dev/null; then
		"case_$name" "$name"
	elif declare -F case_default >/dev/null; then
		case_default "$name"
	else
		h_say "     $name: no case_$name in the runner"
		h_result "$name" 1 1 "not implemented"
		return 0
	fi
	# A generating row counted its sub-cases itself (hostile_sub).
	[ -z "$H_GENERATED" ] || return 0
	h_text_check "$name" "$HOUT" "${H_EXPECT[$name]}" && text_ok=0
	for tok in ${H_UNAFF[$name]//,/ }; do
		if ! declare -F "unaffected_$tok" >/dev/null; then
			h_say "     $name: unknown unaffected check \"$tok\""
			unaff_ok=1
		elif ! "unaffected_$tok" "$name"; then
			h_say "     $name: affected: $tok"
			unaff_ok=1
		fi
	done
	t1=$(date +%s.%N)
	h_result "$name" "$text_ok" "$unaff_ok" "$(awk "BEGIN{printf \"%.1f s\", $t1 - $t0}")"
}

# hostile_sub SUBNAME ROW FILE EXPECT: a generated sub-case of row ROW:
# the fragment check on FILE, then ROW's unaffected checks.
hostile_sub() {
	local sub=$1 row=$2 file=$3 expect=$4 text_ok=1 unaff_ok=0 tok
	h_text_check "$sub" "$file" "$expect" && text_ok=0
	for tok in ${H_UNAFF[$row]//,/ }; do
		if ! "unaffected_$tok" "$sub"; then
			h_say "     $sub: affected: $tok"
			unaff_ok=1
		fi
	done
	H_STATUS[$sub]=${H_STATUS[$row]}
	h_result "$sub" "$text_ok" "$unaff_ok"
}

hostile_finish() {
	local t
	t=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $H_T0}")
	h_say ""
	h_say "hostile: $H_CASES case(s): $H_PASSED ok, $H_FAILED failed, $H_XFAIL known bug(s) (xfail) in $t s${HOSTILE_MUTATE:+ [mutated: ok = the wrong text was caught]}"
	[ ${#H_XFAIL_NAMES[@]} = 0 ] || h_say "  xfail: ${H_XFAIL_NAMES[*]}"
	[ ${#H_FAILED_NAMES[@]} = 0 ] || h_say "  failed: ${H_FAILED_NAMES[*]}"
	if [ "$H_CASES" = 0 ]; then
		h_say "FAIL: no case ran"
		return 1
	fi
	[ "$H_FAILED" = 0 ]
}

# ---- shared checks ------------------------------------------------------

# h_sanitizer FILE...: 0 when no file holds a sanitizer report.
h_sanitizer() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$f"; then
			h_say "     sanitizer report in $f:"
			grep -A20 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$f" | head -30 | sed 's/^/       | /'
			return 1
		fi
	done
	return 0
}

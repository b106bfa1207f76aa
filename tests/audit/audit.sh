# shellcheck shell=sh
# The test side of the secrets audit (tests/audit/audit.py, docs/testing-sync.md
# "Secrets audit"), for sh and bash harnesses. Sourced, with AUDIT_HOME set
# to this directory (bash finds it by itself):
#
#   AUDIT_HOME=$SRCDIR/tests/audit; . "$AUDIT_HOME/audit.sh"
#   audit_secret NAME VALUE       registers a secret the test uses
#   audit_secret_file NAME FILE   registers a secret file's content
#   audit_secret_hex NAME HEX     registers a binary secret given in hex
#   audit_keep LABEL DIR [GLOB...]   keeps DIR's evidence for the audit
#                                 (call it before removing DIR; GLOBs: files
#                                 that hold a secret on purpose, e.g. inputs)
#
# NAME is harness/what (with-ad/bind_password). All three do nothing
# unless CTest set ADSYNC_AUDIT_DIR (tests/CMakeLists.txt), never print a
# secret and never fail: a test's status is its own.
if [ -z "${AUDIT_HOME:-}" ] && [ -n "${BASH_SOURCE:-}" ]; then
	# shellcheck disable=SC3028,SC3054  # bash only, guarded
	AUDIT_HOME=$(dirname "${BASH_SOURCE[0]}")
fi
AUDIT_PY=${AUDIT_HOME:-tests/audit}/audit.py

audit_secret() {
	[ -n "${ADSYNC_AUDIT_DIR:-}" ] && [ -n "$2" ] || return 0
	case $2 in
	hex:* | *"$(printf '\t')"* | *"
"*) _av="hex:$(printf '%s' "$2" | od -An -v -tx1 | tr -d ' \n')" ;;
	*) _av=$2 ;;
	esac
	# One printf, one write(2) to an O_APPEND file: parallel tests' lines
	# never mix. umask: the registry is 0600 even if audit_setup did not run.
	(
		umask 077
		mkdir -p "$ADSYNC_AUDIT_DIR"
		printf '%s\t%s\t%s\n' "${ADSYNC_AUDIT_TEST:--}" "$1" "$_av" \
		    >>"$ADSYNC_AUDIT_DIR/secrets"
	) 2>/dev/null
	return 0
}

audit_secret_hex() {	# NAME HEX: a binary secret, in hex
	[ -n "${ADSYNC_AUDIT_DIR:-}" ] && [ -n "$2" ] || return 0
	(
		umask 077
		mkdir -p "$ADSYNC_AUDIT_DIR"
		printf '%s\t%s\thex:%s\n' "${ADSYNC_AUDIT_TEST:--}" "$1" "$2" \
		    >>"$ADSYNC_AUDIT_DIR/secrets"
	) 2>/dev/null
	return 0
}

audit_secret_file() {
	[ -n "${ADSYNC_AUDIT_DIR:-}" ] && [ -f "$2" ] || return 0
	python3 "$AUDIT_PY" register-file "$1" "$2" 2>/dev/null || true
}

audit_keep() {
	[ -n "${ADSYNC_AUDIT_DIR:-}" ] && [ -d "$2" ] || return 0
	python3 "$AUDIT_PY" keep "$@" || true
}

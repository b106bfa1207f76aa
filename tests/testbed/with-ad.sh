#!/bin/bash
# Runs a command next to a throwaway Samba AD domain controller: the fixture of
# every AD integration test (docs/testbed.md).
#
#   with-ad.sh [--template DIR] [--org sample|none|gen:N] [--members M]
#              [--allow-plain] -- COMMAND ARGS...
#
# Provisions the template DIR once (default $ADSYNC_AD_TEMPLATE, else
# build/testbed/template; under flock, so concurrent callers provision it
# once), and with it a cached template per organisation (DIR-sample,
# DIR-gen-N), loaded offline with ldbadd. Then, inside a private network
# namespace (unshare -n: its own loopback, so DCs of parallel tests never
# clash on ports 389/636), it clones the template into a temp dir, starts
# the DC, waits until LDAPS answers, and runs COMMAND with:
#
#   AD_URI=ldaps://127.0.0.1   AD_URI_PLAIN=ldap://127.0.0.1
#   AD_BASE_DN AD_REALM AD_DOMAIN
#   AD_BIND_DN AD_BIND_UPN AD_BIND_PASSWORD_FILE    service account svc-adsync
#                                   (may use DirSync: "Replicating Directory
#                                   Changes" on the domain root)
#   AD_ADMIN_DN AD_ADMIN_UPN AD_ADMIN_PASSWORD_FILE Administrator
#   AD_CA       the DC's CA certificate (verify LDAPS with it)
#   AD_DIR      the instance dir; with AD_SAMBA_AD (samba-ad.sh) a test can
#               "$AD_SAMBA_AD" "$AD_DIR" stop|start|wait, e.g. for failover
#   AD_ENV      a file holding all of the above as shell assignments
#   AD_ORG      the organisation loaded (sample, none, gen:N)
#
# Password files hold the password without a trailing newline (mode 0600),
# ready for ldapsearch -y. COMMAND shares the namespace: anything else it
# needs on loopback (rsemu, ...) it must start itself.
#
# Afterwards, always (COMMAND failing, with-ad.sh getting a signal, or even
# SIGKILL, through a watchdog that then also TERMs COMMAND and KILLs the DC),
# the DC is stopped by PID and the temp dir removed; KEEP_AD=1 keeps the dir for a post-mortem. Exit status: COMMAND's (77 = skip passes through); 77 when not
# root or Samba/unshare are missing; 125 when the fixture itself fails.
# Functions run by traps and by ensure_template look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

# Everything is inside main, called on the last line: bash then has parsed the
# whole file before running any of it, so editing this script cannot break a
# run in progress (bash reads scripts as it goes).
main() {

usage() {
	sed -n '5,6p' "$0" | sed 's/^# *//' >&2
	exit 125
}

HERE=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
REPO=$(realpath "$HERE/../..")
SAMBA_AD=$HERE/samba-ad.sh
# The secrets audit (tests/audit): audit_secret, audit_keep; no-ops in a
# copy of this script alone (check-fixture.sh runs one).
AUDIT_HOME=$HERE/../audit
if [ -f "$AUDIT_HOME/audit.sh" ]; then
	# shellcheck source=tests/audit/audit.sh
	. "$AUDIT_HOME/audit.sh"
else
	audit_secret() { :; }
	audit_keep() { :; }
fi
TEMPLATE=${ADSYNC_AD_TEMPLATE:-$REPO/build/testbed/template}
ORG=sample
MEMBERS=3000
ALLOW_PLAIN=0
# Bump when what build_base puts into a template changes.
TEMPLATE_VERSION=2

while [ $# -gt 0 ]; do
	case "$1" in
	--template) TEMPLATE=${2:?}; shift 2 ;;
	--template=*) TEMPLATE=${1#*=}; shift ;;
	--org) ORG=${2:?}; shift 2 ;;
	--org=*) ORG=${1#*=}; shift ;;
	--members) MEMBERS=${2:?}; shift 2 ;;
	--members=*) MEMBERS=${1#*=}; shift ;;
	--allow-plain) ALLOW_PLAIN=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage
case "$ORG" in
sample | none) ;;
gen:[1-9]*) [[ ${ORG#gen:} =~ ^[0-9]+$ ]] || usage ;;
*) usage ;;
esac
[[ $MEMBERS =~ ^[0-9]+$ ]] || usage

say() { echo "with-ad: $*" >&2; }

# ---- outside the namespace: prerequisites, then re-exec under unshare -n ----
if [ -z "${_WITH_AD_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { say "SKIP: needs root (Samba's DC runs as root only)"; exit 77; }
	for t in samba samba-tool unshare flock ldapsearch ldbadd ip openssl; do
		command -v "$t" >/dev/null || { say "SKIP: $t not installed (scripts/deps.sh)"; exit 77; }
	done
	unshare -n true 2>/dev/null || { say "SKIP: unshare -n not permitted here"; exit 77; }
	export _WITH_AD_NS=1
	# unshare execs the script (no fork): same PID, so signals reach us.
	opts=(--template "$TEMPLATE" --org "$ORG" --members "$MEMBERS")
	[ "$ALLOW_PLAIN" = 0 ] || opts+=(--allow-plain)
	exec unshare -n -- "$HERE/with-ad.sh" "${opts[@]}" -- "$@"
fi
unset _WITH_AD_NS
ip link set lo up

REALM=${REALM:-EXAMPLE.TEST}
DOMAIN=${DOMAIN:-EXAMPLE}
export REALM DOMAIN
BASE_DN=$(echo "${REALM,,}" | sed 's/^/DC=/; s/\./,DC=/g')
ADMINPASS=${ADMINPASS:-'Adm1n!Passw0rd'}
export ADMINPASS
SVC_USER=svc-adsync
SVC_PASS='Svc-Adsync!Pw1'
TEMPLATE=$(realpath -m "$TEMPLATE")

sha() { sha256sum "$@" | cut -c1-16; }

# ---- templates -------------------------------------------------------------
# ensure_template DIR STAMP BUILDER: DIR is built (by BUILDER DIR) unless its
# .stamp matches. On return the caller holds a shared lock on DIR.lock in fd
# $LOCKFD (builders take it exclusively), so nobody rebuilds DIR while it is
# being cloned.
ensure_template() {
	local dir=$1 stamp=$2 build=$3 fd t0
	mkdir -p "$(dirname "$dir")"
	exec {fd}>"$dir.lock"
	flock -s "$fd"
	if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
		flock -x "$fd"	# not atomic: re-check under the exclusive lock
		if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
			say "building template $dir"
			t0=$(date +%s.%N)
			rm -rf "$dir"
			if ! "$build" "$dir"; then
				"$SAMBA_AD" "$dir" stop >/dev/null 2>&1 || true
				say "building $dir failed (logs kept in $dir.failed/log)"
				rm -rf "$dir.failed"; mv "$dir" "$dir.failed" 2>/dev/null || true
				exit 125
			fi
			echo "$stamp" > "$dir/.stamp"
			say "built $dir in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s"
		fi
		flock -s "$fd"
	fi
	LOCKFD=$fd
}

build_base() {	# provision, then add the service account offline
	local dir=$1 sid
	# Each step names itself when it fails (samba-ad.sh names its own).
	"$SAMBA_AD" "$dir" provision >&2 || { say "provisioning failed"; return 1; }
	samba-tool user create "$SVC_USER" "$SVC_PASS" -s "$dir/etc/smb.conf" \
	    --description="adsync service account (tests)" >"$dir/log/svc.log" 2>&1 ||
	    { say "creating $SVC_USER failed (log/svc.log)"; return 1; }
	sid=$(ldbsearch -H "$dir/private/sam.ldb" "(sAMAccountName=$SVC_USER)" objectSid 2>/dev/null |
	    awk '/^objectSid:/{print $2}')
	[ -n "$sid" ] || { say "no objectSid for $SVC_USER"; return 1; }
	# "Replicating Directory Changes" lets svc-adsync use DirSync with flags 0.
	samba-tool dsacl set -s "$dir/etc/smb.conf" -H "$dir/private/sam.ldb" \
	    --objectdn="$BASE_DN" --action=allow \
	    --sddl="(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;$sid)" >>"$dir/log/svc.log" 2>&1 ||
	    { say "granting DirSync to $SVC_USER failed (log/svc.log)"; return 1; }
}

load_offline() {	# load_offline DIR LDIF: ldbadd into a stopped instance
	# batch_mode: one transaction without a sub-transaction per record (an
	# error aborts the whole load): 3x faster (docs/testbed.md).
	ldbadd -o batch_mode:1 -H "$1/private/sam.ldb" "$2" >"$1/log/org-load.log" 2>&1 ||
	    { cat "$1/log/org-load.log" >&2; return 1; }
}

build_sample() {
	local dir=$1
	"$SAMBA_AD" "$dir" clone "$TEMPLATE" || return 1
	render_sample > "$dir/log/org.ldif"
	load_offline "$dir" "$dir/log/org.ldif"
}

render_sample() {
	sed -e "s/@BASE_DN@/$BASE_DN/g" -e "s/@REALM_LC@/${REALM,,}/g" "$HERE/sample-org.ldif"
}

GEN_N=0
build_gen() {
	local dir=$1
	"$SAMBA_AD" "$dir" clone "$TEMPLATE" || return 1
	"$HERE/gen-org" "$GEN_N" --members "$MEMBERS" --base-dn "$BASE_DN" \
	    --realm "$REALM" > "$dir/log/org.ldif" || return 1
	load_offline "$dir" "$dir/log/org.ldif"
	rm -f "$dir/log/org.ldif"	# large, and reproducible
}

# Stamps: what a template was built from. Version numbers, not file hashes,
# for the scripts, so that comment edits do not cost a rebuild.
fmt() { sed -n "s/^$1 *= *\([0-9]*\).*/\1/p" "$2"; }
base_stamp="v$TEMPLATE_VERSION f$(fmt TEMPLATE_FORMAT "$SAMBA_AD") $REALM $DOMAIN"
ensure_template "$TEMPLATE" "$base_stamp" build_base
SRC=$TEMPLATE
case "$ORG" in
none) ;;
sample)
	base_fd=$LOCKFD
	SRC=$TEMPLATE-sample
	ensure_template "$SRC" "$base_stamp sample $(sha "$HERE/sample-org.ldif")" build_sample
	exec {base_fd}>&-
	;;
gen:*)
	base_fd=$LOCKFD
	GEN_N=${ORG#gen:}
	SRC=$TEMPLATE-gen-$GEN_N
	[ "$MEMBERS" = 3000 ] || SRC=$SRC-m$MEMBERS
	ensure_template "$SRC" "$base_stamp gen $GEN_N $MEMBERS g$(fmt FORMAT "$HERE/gen-org")" build_gen
	exec {base_fd}>&-
	;;
esac

# ---- the instance ----------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/with-ad.XXXXXX")
INST=$WORK/dc
CMD_PID=
WATCH_FD=

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$CMD_PID" ] && kill -0 "$CMD_PID" 2>/dev/null; then
		kill -TERM "$CMD_PID" 2>/dev/null || true
		wait "$CMD_PID" 2>/dev/null || true
	fi
	"$SAMBA_AD" "$INST" stop >/dev/null 2>&1 || true	# TERM; KILL after 10 s
	# The DC's logs for the secrets audit (org.ldif: the input, which
	# names the sample password in a comment).
	audit_keep ad-log "$INST/log" org.ldif
	if [ -n "${KEEP_AD:-}" ]; then say "kept $WORK (KEEP_AD)"; else rm -rf "$WORK"; fi
	[ -z "$WATCH_FD" ] || exec {WATCH_FD}>&-	# the watchdog sees EOF and exits
}
on_signal() {
	say "signal $1: stopping"
	cleanup
	exit $((128 + $1))
}
trap cleanup EXIT
trap 'on_signal 1' HUP
trap 'on_signal 2' INT
trap 'on_signal 15' TERM

"$SAMBA_AD" "$INST" clone "$SRC"
exec {LOCKFD}>&-	# clone done: the template may be rebuilt again

# Watchdog: reads a pipe whose only writer is this shell. If we die without
# cleaning up (SIGKILL), it reads EOF and stops the DC. Long-lived children
# (samba, COMMAND) are started with the write end closed.
exec {WATCH_FD}> >(
	trap '' INT TERM HUP
	cat >/dev/null
	[ ! -s "$WORK/cmd.pid" ] || kill -TERM "$(cat "$WORK/cmd.pid")" 2>/dev/null || true
	"$SAMBA_AD" "$INST" kill >/dev/null 2>&1 || true
	[ -n "${KEEP_AD:-}" ] || rm -rf "$WORK"
)

[ "$ALLOW_PLAIN" = 0 ] || "$SAMBA_AD" "$INST" allow-plain
"$SAMBA_AD" "$INST" start {WATCH_FD}>&-
# samba-ad.sh wait says why (and shows the DC's log) when it gives up.
"$SAMBA_AD" "$INST" wait >/dev/null || { say "DC did not come up"; exit 125; }

umask 077
printf '%s' "$SVC_PASS" > "$WORK/bind.pw"
printf '%s' "$ADMINPASS" > "$WORK/admin.pw"
umask 022
audit_secret with-ad/bind_password "$SVC_PASS"
audit_secret with-ad/admin_password "$ADMINPASS"
# Every sample user's password (sample-org.ldif).
[ "$ORG" != sample ] || audit_secret with-ad/sample_password 'Sample-Passw0rd!'
cat > "$WORK/ad.env" <<ENV
AD_URI='ldaps://127.0.0.1'
AD_URI_PLAIN='ldap://127.0.0.1'
AD_REALM='$REALM'
AD_DOMAIN='$DOMAIN'
AD_BASE_DN='$BASE_DN'
AD_BIND_DN='CN=$SVC_USER,CN=Users,$BASE_DN'
AD_BIND_UPN='$SVC_USER@$REALM'
AD_BIND_PASSWORD_FILE='$WORK/bind.pw'
AD_ADMIN_DN='CN=Administrator,CN=Users,$BASE_DN'
AD_ADMIN_UPN='Administrator@$REALM'
AD_ADMIN_PASSWORD_FILE='$WORK/admin.pw'
AD_CA='$INST/tls/ca.pem'
AD_DIR='$INST'
AD_SAMBA_AD='$SAMBA_AD'
AD_ORG='$ORG'
AD_ENV='$WORK/ad.env'
ENV
set -a
# shellcheck disable=SC1091
. "$WORK/ad.env"
set +a
unset ADMINPASS

# In the background so that a signal to us is handled at once (bash defers
# traps while a foreground child runs); stdin passed on explicitly.
set +e
"$@" <&0 {WATCH_FD}>&- &
CMD_PID=$!
echo "$CMD_PID" > "$WORK/cmd.pid"
wait "$CMD_PID"
rc=$?
CMD_PID=
exit "$rc"
}

main "$@"

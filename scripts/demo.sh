#!/usr/bin/env bash
# `make demo`: adsync against a real (throwaway) Active Directory and the
# Rackspace API emulator, on this machine.
#   scripts/demo.sh BUILD_DIR
# Starts a Samba AD DC with the sample organisation in a private network
# namespace (tests/testbed/with-ad.sh --org sample) and runs
# scripts/demo-inside.sh there: rsemu over TLS with a scaled Rackspace
# throttle, an adsync.conf in BUILD_DIR/demo/, then check --connect, plan,
# adsync daemon (its first cycle, an AD change it carries over by itself,
# sync --now), and a look at the result. Then an interactive shell in the
# namespace when stdin is a terminal (and DEMO_SECONDS is unset), else it
# waits for Ctrl-C or DEMO_SECONDS seconds. Everything started is stopped
# by PID: the daemon and rsemu by demo-inside.sh, the DC by with-ad.sh.
# RSEMU_PORT / ADMIN_PORT (default 8443 / 8444, inside the namespace) are
# passed on. Needs root (the namespace, Samba's DC) and Samba
# (scripts/deps.sh): without them it says so and exits 77.
# Functions run by traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail
build=${1:?usage: scripts/demo.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)

say() { echo "demo: $*" >&2; }

# ---- prerequisites: a clear word, exit 77 (tests take it as a skip) -----
if [ "$(id -u)" -ne 0 ]; then
	say "needs root: the demo runs a Samba AD domain controller in a private"
	say "network namespace (unshare -n). Run it as root, e.g. sudo make demo"
	exit 77
fi
missing=""
for t in samba samba-tool unshare flock ldapsearch ldapmodify ldbadd ip openssl curl python3; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	say "missing:$missing"
	say "install them with scripts/deps.sh (make demo runs it: samba-ad-dc,"
	say "ldap-utils, ldb-tools, iproute2, openssl, curl, python3)"
	exit 77
fi
for b in "$build/src/cli/adsync" "$build/emulator/rsemu"; do
	[ -x "$b" ] || { say "$b not built (make PRESET=release build)"; exit 1; }
done
export RSEMU_PORT=${RSEMU_PORT:-8443} ADMIN_PORT=${ADMIN_PORT:-8444}
export WEB_PORT=${WEB_PORT:-8080}

# The console listens on the namespace's 127.0.0.1:$WEB_PORT; a browser on
# this host reaches it through this bridge: the host's 127.0.0.1:$WEB_PORT
# to the UNIX socket demo-inside.sh bridges to the daemon (stopped by PID
# at the end).
bridge=""
mkdir -p "$build/demo"
if command -v socat >/dev/null; then
	socat TCP-LISTEN:"$WEB_PORT",bind=127.0.0.1,reuseaddr,fork \
	    UNIX-CONNECT:"$build/demo/console.sock" 2>/dev/null &
	bridge=$!
	sleep 0.2
	kill -0 "$bridge" 2>/dev/null || {
		say "127.0.0.1:$WEB_PORT is taken on this host: the console is"
		say "reachable inside the namespace only (WEB_PORT=N picks another port)"
		bridge=""
	}
else
	say "socat is missing (scripts/deps.sh installs it): the console is"
	say "reachable inside the namespace only"
fi
stop_bridge() {
	# `|| true`: wait returns the bridge's 143, and set -e would exit.
	[ -z "$bridge" ] || { kill -TERM "$bridge" 2>/dev/null; wait "$bridge" 2>/dev/null || true; }
	bridge=""
}

# with-ad.sh runs in the background so that a signal reaches us at once
# (bash defers traps while a foreground child runs); a background child of
# a script ignores SIGINT, so Ctrl-C is passed on as TERM. with-ad.sh then
# TERMs demo-inside.sh (which stops the daemon and rsemu) and stops the DC.
wad=""
interrupted=0
on_signal() {
	interrupted=1
	[ -z "$wad" ] || kill -TERM "$wad" 2>/dev/null || true
}
trap on_signal INT TERM HUP

t0=$(date +%s.%N)
set +e
"$src/tests/testbed/with-ad.sh" --org sample -- \
    "$src/scripts/demo-inside.sh" "$build" "$src" <&0 &
wad=$!
# wait returns early when a trapped signal arrives: wait again until the
# fixture has cleaned up and exited.
while :; do
	wait "$wad"
	rc=$?
	kill -0 "$wad" 2>/dev/null || break
done
set -e
wad=""
stop_bridge
t=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")

case $rc in
0)	say "done in $t s; the daemon, rsemu and the Samba DC are stopped" ;;
77)	say "skipped: a prerequisite of tests/testbed/with-ad.sh is missing (see above)" ;;
125)	say "the Samba testbed failed to start (see above)" ;;
*)	if [ "$interrupted" = 1 ]; then
		say "interrupted after $t s; the daemon, rsemu and the Samba DC are stopped"
		rc=0
	else
		say "failed (exit $rc) after $t s; logs in $build/demo/"
	fi ;;
esac
exit "$rc"

#!/bin/bash
# Tests with-ad.sh itself (CTest testbed_fixture): exit statuses pass through,
# and nothing is left behind (DC process, temp dir, COMMAND) when COMMAND
# fails or when with-ad.sh is killed with TERM or even KILL.
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
WITH_AD=$HERE/with-ad.sh
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

status() {	# status WHAT WANT COMMAND...: COMMAND exits with WANT
	local what=$1 want=$2 rc
	shift 2
	"$@"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what: $want"; else bad "$what: got $rc, want $want"; fi
}
status "COMMAND's status passes through" 3 "$WITH_AD" --org none -- sh -c 'exit 3'
status "skip status passes through" 77 "$WITH_AD" --org none -- sh -c 'exit 77'
if command -v setpriv >/dev/null; then
	# A copy the unprivileged user can reach: the checkout may sit in a
	# directory only root can enter (a clone into `mktemp -d`), which
	# would make this exit 126 before with-ad.sh runs at all.
	mkdir -m 0755 "$T/nonroot"
	install -m 0755 "$WITH_AD" "$T/nonroot/with-ad.sh"
	chmod 0755 "$T"
	status "not root" 77 setpriv --reuid=65534 --regid=65534 --clear-groups "$T/nonroot/with-ad.sh" -- true
fi

# Waits are generous (a loaded machine stops a DC in seconds: samba-ad.sh
# stop allows 30 before KILL) and end as soon as the condition holds.
gone() {	# gone PID DIR: within 40 s, PID is dead (or a zombie) and DIR removed
	for _ in $(seq 1 400); do
		if ! ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z' && [ ! -e "$2" ]; then return 0; fi
		sleep 0.1
	done
	return 1
}

# run_and_kill SIG: start with-ad.sh whose COMMAND records the DC's PID, its
# own PID and the instance dir, then sleeps; send SIG to with-ad.sh.
run_and_kill() {
	local sig=$1 w spid cpid dir
	rm -f "$T"/*.out
	"$WITH_AD" --org none -- sh -c \
	    "echo \$\$ > $T/cmd.out; echo \$AD_DIR > $T/dir.out; cat \$AD_DIR/samba.pid > $T/pid.out; exec sleep 60" &
	w=$!
	for _ in $(seq 1 1500); do [ -s "$T/pid.out" ] && break; sleep 0.1; done
	[ -s "$T/pid.out" ] || { bad "$sig: DC never came up"; kill -KILL "$w"; return; }
	spid=$(cat "$T/pid.out") cpid=$(cat "$T/cmd.out") dir=$(dirname "$(cat "$T/dir.out")")
	kill "-$sig" "$w"
	wait "$w" 2>/dev/null
	if gone "$spid" "$dir"; then ok "$sig: DC (PID $spid) stopped, $dir removed"
	else bad "$sig: DC $spid or $dir left behind"; kill -KILL "$spid" 2>/dev/null; fi
	if gone "$cpid" /nonexistent; then ok "$sig: COMMAND (PID $cpid) ended"
	else bad "$sig: COMMAND $cpid left running"; kill -KILL "$cpid" 2>/dev/null; fi
}
run_and_kill TERM
run_and_kill HUP
run_and_kill KILL

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"

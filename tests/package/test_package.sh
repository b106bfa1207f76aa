#!/bin/bash
# The Debian packages, installed and used in a clean Debian 12 root
# (issue 10; docs/packaging.md "The package test"):
#
#   tests/package/test_package.sh SRCDIR
#
#  1. builds adsync's packages with scripts/deb.sh into SRCDIR/build/deb
#     (lintian included), or takes them from $ADSYNC_DEB_DIR;
#  2. makes a minimal bookworm root: debootstrap --variant=minbase from the
#     host's Debian mirror, once, then apt-get update in it; kept as
#     SRCDIR/build/package/bookworm-minbase.tar (its .stamp says how it was
#     made) and unpacked into build/package/root.PID at each run;
#  3. installs adsync and adsync-dc-hooks there with apt-get (dependencies
#     from the mirror; the .debs apt fetched are kept in build/package/apt
#     for the next run, and a failure is retried after apt-get update, for
#     when the mirror has moved on);
#  4. checks the files, their modes and owners, the conffile, the adsync
#     user and group (sysusers), the directories (tmpfiles), that the
#     daemon's unit is enabled and the DC sender's is not,
#     `systemd-analyze verify` of both units and the daemon unit's
#     `systemd-analyze security` rating, `adsync --version`, and
#     `adsync check` of the shipped configuration as the adsync user;
#  5. under tests/testbed/with-ad.sh (a Samba DC with the sample
#     organisation in a private network namespace, which the chroot shares):
#     starts the packaged rsemu inside the root, writes
#     /etc/adsync/adsync.conf for the DC and rsemu with the secret files
#     (0600, owner adsync), runs `adsync check --connect` and
#     `adsync sync --once` inside the root as the adsync user, and checks
#     that rsemu then holds the sample organisation's mailboxes and lists.
#
# Everything runs in a private mount namespace (unshare -m), so the /proc
# mounted in the root vanishes with the test even if it is killed; it is
# unmounted explicitly too, rsemu is stopped by PID, the root and the work
# directory are removed (KEEP_PKG=1 keeps them). Exit 77 (skip) when not
# root, when debootstrap, dpkg-buildpackage, lintian or another tool is
# missing, when the mirror does not answer, or (from with-ad.sh) when Samba
# is missing. ADSYNC_DEBIAN_MIRROR overrides the mirror.
# Functions run by traps look unreachable to shellcheck; ${...} in single
# quotes are dpkg-query's and apt's formats.
# SAMPLE_* come from an eval of sync_env.sh's lines.
# shellcheck disable=SC2317,SC2016,SC2153
set -uo pipefail

SRCDIR=$(realpath "${1:?usage: test_package.sh SRCDIR}")
SUITE=bookworm
# Bump when what the base holds changes (the mirror and suite are in the
# stamp already).
BASE_FORMAT=1
CACHE=${ADSYNC_PKG_CACHE:-$SRCDIR/build/package}
T0=$(date +%s.%N)

skip() { echo "SKIP: $*"; exit 77; }
since() { awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $1}"; }

FAILS=0
CHECKS=0
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() {	# check NAME CMD...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
expect() {	# expect NAME GOT WANT
	if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: got '$2', want '$3'"; fi
}
finish() {
	if [ "$FAILS" = 0 ]; then
		echo "PASS: $CHECKS checks in $(since "$T0") s ($1)"
		exit 0
	fi
	echo "FAILED: $FAILS of $CHECKS checks ($(since "$T0") s, $1)"
	exit 1
}

# in_root CMD...: CMD inside the root as root, with a clean environment.
in_root() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	    DEBIAN_FRONTEND=noninteractive chroot "$ROOT" "$@"
}
# as_adsync CMD...: the same as the adsync user and group.
as_adsync() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	    HOME=/var/lib/adsync chroot "$ROOT" \
	    setpriv --reuid=adsync --regid=adsync --init-groups "$@"
}

# ---------------------------------------------------------------------------
# Phase 2: inside with-ad.sh's network namespace (AD_* set), called as
# test_package.sh SRCDIR --in-ad, with ROOT, W and VERSION exported.
# ---------------------------------------------------------------------------
in_ad() {
	local RSEMU_PID="" rs_listen emu_admin rc t
	AUDIT_HOME=$SRCDIR/tests/audit
	# shellcheck source=tests/audit/audit.sh
	. "$AUDIT_HOME/audit.sh"

	in_ad_cleanup() {
		local rc=$?
		trap - EXIT INT TERM HUP
		if [ -n "$RSEMU_PID" ] && kill -0 "$RSEMU_PID" 2>/dev/null; then
			curl -sf -o "$W/emu-state.json" "$emu_admin/_emu/state"
			kill -TERM "$RSEMU_PID" 2>/dev/null
			wait "$RSEMU_PID" 2>/dev/null
		fi
		if [ -f "$ROOT/var/lib/adsync/pki/queue.key" ]; then
			audit_secret_file package/queue_key "$ROOT/var/lib/adsync/pki/queue.key"
		fi
		# Evidence for the secrets audit: logs and outputs, the root's
		# configuration and state (the secret files are left out by the
		# audit itself: 0600 and registered).
		audit_keep work "$W" 'tls'
		audit_keep etc-adsync "$ROOT/etc/adsync"
		audit_keep state "$ROOT/var/lib/adsync"
		exit "$rc"
	}
	trap in_ad_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	# rsemu's TLS (our own CA), its secret, and adsync's copies.
	"$SRCDIR/tests/testbed/mkcert.sh" "$W/tls" >/dev/null 2>&1 || {
		echo "FAIL: mkcert.sh"
		exit 1
	}
	install -d -m 0700 "$ROOT/srv/rsemu"
	install -m 0600 "$W/tls/server.pem" "$W/tls/server.key" "$ROOT/srv/rsemu/"
	(umask 077 && head -c 24 /dev/urandom | base64 > "$ROOT/srv/rsemu/secret.key")
	audit_secret package/rs_secret "$(tr -d '\n' < "$ROOT/srv/rsemu/secret.key")"
	install -m 0644 "$W/tls/ca.pem" "$ROOT/etc/adsync/rsemu-ca.pem"
	install -m 0644 "$AD_CA" "$ROOT/etc/adsync/ad-ca.pem"
	install -m 0600 "$AD_BIND_PASSWORD_FILE" "$ROOT/etc/adsync/ad-bind.pw"
	install -m 0600 "$ROOT/srv/rsemu/secret.key" "$ROOT/etc/adsync/rackspace-secret.key"
	in_root chown adsync:adsync /etc/adsync/ad-bind.pw /etc/adsync/rackspace-secret.key

	# The packaged rsemu, inside the root (chroot execs it: $! is its PID).
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$ROOT" /usr/bin/rsemu \
	    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	    --tls-cert /srv/rsemu/server.pem --tls-key /srv/rsemu/server.key \
	    --account 100042 --user-key pkgUserKey0001 \
	    --secret-key-file /srv/rsemu/secret.key \
	    --domain example.com:both --domain example.net:both \
	    --throttle off --ready-file /srv/rsemu/ready 2>>"$W/rsemu.log" &
	RSEMU_PID=$!
	for _ in $(seq 1 200); do
		[ -s "$ROOT/srv/rsemu/ready" ] && break
		kill -0 "$RSEMU_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$ROOT/srv/rsemu/ready" ]; then
		cat "$W/rsemu.log"
		echo "FAIL: the packaged rsemu did not start"
		exit 1
	fi
	rs_listen=$(sed -n 's/^listen=//p' "$ROOT/srv/rsemu/ready")
	emu_admin=http://$(sed -n 's/^admin=//p' "$ROOT/srv/rsemu/ready")
	pass "packaged rsemu started in the root (https://$rs_listen)"

	# The configuration, at the package's default path, state in the
	# package's /var/lib/adsync.
	cat > "$ROOT/etc/adsync/adsync.conf" <<CONF
# adsync.conf of the package test (tests/package/test_package.sh)
[ad]
uri = $AD_URI
base_dn = $AD_BASE_DN
bind_dn = $AD_BIND_DN
bind_password_file = /etc/adsync/ad-bind.pw
ca_file = /etc/adsync/ad-ca.pem
connect_retries = 0
network_timeout = 5
timeout = 30

[rackspace]
api_url = https://$rs_listen/v1
customer = me
user_key = pkgUserKey0001
secret_key_file = /etc/adsync/rackspace-secret.key
ca_file = /etc/adsync/rsemu-ca.pem
reads_per_minute = 1000
writes_per_minute = 1000
domain_writes_per_minute = 100
throttle_window = 1

[sync]
exchange_group = CN=Hosted Exchange Users,OU=Groups,$AD_BASE_DN
rackspace_email_group = CN=Rackspace Email Users,OU=Groups,$AD_BASE_DN
domains = example.com example.net
state_dir = /var/lib/adsync
max_deletes = 500
max_delete_percent = 100
CONF
	cp "$ROOT/etc/adsync/adsync.conf" "$W/adsync.conf"

	as_adsync /usr/sbin/adsync check --connect > "$W/check.out" 2>&1
	rc=$?
	sed 's/^/  check: /' "$W/check.out"
	expect "adsync check --connect in the root, as adsync" "$rc" 0

	t=$(date +%s.%N)
	as_adsync /usr/sbin/adsync sync --once --json > "$W/sync.out" 2> "$W/sync.err"
	rc=$?
	echo "  sync --once: exit $rc in $(since "$t") s; $(grep '^{"summary"' "$W/sync.out")"
	sed 's/^/  sync stderr: /' "$W/sync.err" | tail -n 20
	# 2: the sample organisation has broken users on purpose.
	expect "adsync sync --once in the root, as adsync (exit)" "$rc" 2
	check "the run's summary says partial" grep -q '^{"summary":.*"status":"partial"' "$W/sync.out"

	# What rsemu holds now: the sample organisation's mailboxes and lists,
	# as the sync tests expect them (tests/integration/sync_env.sh).
	eval "$(sed -n '/^SAMPLE_EX_COM="/,/^SAMPLE_DL_COM=/p' \
	    "$SRCDIR/tests/integration/sync_env.sh")"
	if [ -z "${SAMPLE_EX_COM:-}" ] || [ -z "${SAMPLE_DL_COM:-}" ]; then
		fail "the sample's expected names (SAMPLE_* in sync_env.sh) not found"
	fi
	curl -sf -o "$W/emu-state.json" "$emu_admin/_emu/state" ||
	    fail "rsemu's state unreadable"
	names() {	# DOMAIN KIND: sorted names in rsemu's state
		python3 - "$W/emu-state.json" "$1" "$2" <<'PY'
import json, sys
keys = {"ex": "exMailboxes", "rs": "rsMailboxes", "dl": "distributionLists"}
state = json.load(open(sys.argv[1], encoding="utf-8"))
out = []
for acct in state["accounts"]:
    for d in acct["domains"]:
        if d["name"].lower() == sys.argv[2]:
            for o in d.get(keys[sys.argv[3]]) or []:
                out.append((o.get("name") or o.get("CommonName") or "").lower())
print(" ".join(sorted(out)))
PY
	}
	# words LIST: its blank-separated words, sorted, one blank apart.
	# shellcheck disable=SC2086
	words() { printf '%s\n' $1 | sort | tr '\n' ' ' | sed 's/ $//'; }
	expect "Exchange mailboxes in example.com" "$(names example.com ex)" "$(words "$SAMPLE_EX_COM")"
	expect "Exchange mailboxes in example.net" "$(names example.net ex)" ""
	expect "Rackspace Email mailboxes in example.com" "$(names example.com rs)" "$(words "$SAMPLE_RS_COM")"
	expect "Rackspace Email mailboxes in example.net" "$(names example.net rs)" "$(words "$SAMPLE_RS_NET")"
	expect "lists in example.com" "$(names example.com dl)" "$(words "$SAMPLE_DL_COM")"

	expect "state.db: owner and mode" \
	    "$(stat -c '%a' "$ROOT/var/lib/adsync/state.db") $(in_root stat -c '%U:%G' /var/lib/adsync/state.db)" \
	    "600 adsync:adsync"

	kill -TERM "$RSEMU_PID" 2>/dev/null
	wait "$RSEMU_PID" 2>/dev/null
	RSEMU_PID=
	check "rsemu stopped" true
	finish "in the AD namespace"
}

if [ "${2:-}" = --in-ad ]; then
	in_ad
fi

# ---------------------------------------------------------------------------
# Phase 1: packages, the root, the installation and its checks.
# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "not root (debootstrap, chroot and the Samba DC need it)"
for t in debootstrap dpkg-buildpackage lintian chroot unshare flock curl \
    python3 tar openssl findmnt; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (scripts/deps.sh)"
done

# A private mount namespace for everything below: the root's /proc, and
# debootstrap's own mounts, never show outside and vanish with the test.
if [ -z "${ADSYNC_PKG_MOUNTNS:-}" ]; then
	export ADSYNC_PKG_MOUNTNS=1
	unshare -m --propagation private true 2>/dev/null ||
	    skip "unshare -m is not permitted here"
	exec unshare -m --propagation private "$0" "$@"
fi

# The host's Debian mirror (its apt sources), for debootstrap and apt.
MIRROR=${ADSYNC_DEBIAN_MIRROR:-$(apt-get indextargets --format '$(SITE) $(RELEASE)' \
    'Created-By: Packages' 2>/dev/null | awk -v s="$SUITE" '$2 == s && $1 ~ /\/debian\/?$/ { print $1; exit }')}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
curl -sf --max-time 20 -o /dev/null "${MIRROR%/}/dists/$SUITE/Release" ||
    skip "the Debian mirror $MIRROR does not answer"
echo "mirror: $MIRROR"

mkdir -p "$CACHE/apt"
# What runs that were killed left (root.PID and work.PID, the PID gone):
# a live run's are its own, and the mounts of a dead run died with its
# mount namespace.
for d in "$CACHE"/root.* "$CACHE"/work.*; do
	[ -d "$d" ] || continue
	kill -0 "${d##*.}" 2>/dev/null || rm -rf --one-file-system "$d"
done
ROOT=
W=$CACHE/work.$$
rm -rf "$W"
mkdir -m 700 "$W"

# Unmounts whatever is mounted under the root, deepest first.
unmount_root() {
	local m
	[ -n "$ROOT" ] && [ -d "$ROOT" ] || return 0
	findmnt -rn -o TARGET | grep -F "$ROOT/" | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	unmount_root
	if [ -n "${KEEP_PKG:-}" ]; then
		echo "kept the root $ROOT and the work dir $W (KEEP_PKG)"
	else
		# Never through a mount point left behind (the check above
		# failing would be a bug): --one-file-system.
		[ -z "$ROOT" ] || rm -rf --one-file-system "$ROOT"
		rm -rf "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- 1. the packages ------------------------------------------------------
VERSION=$(sed -n 's/^project(adsync VERSION \([0-9.]*\).*/\1/p' "$SRCDIR/CMakeLists.txt")
ARCH=$(dpkg --print-architecture)
t=$(date +%s.%N)
if [ -n "${ADSYNC_DEB_DIR:-}" ]; then
	DEBS=$(realpath "$ADSYNC_DEB_DIR")
	echo "packages: taken from $DEBS"
else
	DEBS=$SRCDIR/build/deb
	# The unit tests ran in `make test` already (nocheck); lintian runs.
	if ! DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" "$SRCDIR/scripts/deb.sh" "$DEBS" \
	    > "$W/deb.log" 2>&1; then
		cat "$W/deb.log"
		echo "FAIL: scripts/deb.sh"
		exit 1
	fi
	sed 's/^/  deb.sh: /' "$W/deb.log" | grep -v 'root privileges'
	pass "packages built, lintian clean ($(since "$t") s)"
fi
DEB_MAIN=$DEBS/adsync_${VERSION}_$ARCH.deb
DEB_HOOKS=$DEBS/adsync-dc-hooks_${VERSION}_$ARCH.deb
for d in "$DEB_MAIN" "$DEB_HOOKS"; do
	[ -f "$d" ] || { echo "FAIL: no $d"; exit 1; }
done

# ---- 2. the base root -----------------------------------------------------
BASE=$CACHE/$SUITE-minbase.tar
STAMP="format=$BASE_FORMAT suite=$SUITE variant=minbase arch=$ARCH mirror=$MIRROR"
exec 8> "$CACHE/base.lock"
flock -x 8
if [ ! -f "$BASE" ] || [ "$(cat "$BASE.stamp" 2>/dev/null)" != "$STAMP" ]; then
	t=$(date +%s.%N)
	NEW=$CACHE/base.new
	rm -rf --one-file-system "$NEW" "$BASE" "$BASE.stamp"
	if ! debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$NEW" "$MIRROR" \
	    > "$W/debootstrap.log" 2>&1; then
		tail -n 30 "$W/debootstrap.log"
		rm -rf --one-file-system "$NEW"
		echo "FAIL: debootstrap $SUITE from $MIRROR"
		exit 1
	fi
	t_deboot=$(since "$t")
	# No daemon may start in the root; no translations; apt's lists are
	# fetched once here (step 3 refreshes them only when it must).
	printf '#!/bin/sh\nexit 101\n' > "$NEW/usr/sbin/policy-rc.d"
	chmod 755 "$NEW/usr/sbin/policy-rc.d"
	echo 'Acquire::Languages "none";' > "$NEW/etc/apt/apt.conf.d/99adsync-test"
	mount -t proc proc "$NEW/proc"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$NEW" apt-get -qq update \
	    >> "$W/debootstrap.log" 2>&1
	rc=$?
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$NEW" apt-get clean
	umount "$NEW/proc"
	[ "$rc" = 0 ] || { tail -n 20 "$W/debootstrap.log"; echo "FAIL: apt-get update in the base"; exit 1; }
	tar -C "$NEW" -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE" &&
	    echo "$STAMP" > "$BASE.stamp"
	rm -rf --one-file-system "$NEW"
	pass "base root made: debootstrap $t_deboot s, in all $(since "$t") s ($(du -h "$BASE" | cut -f1))"
else
	pass "base root cached ($BASE)"
fi
t=$(date +%s.%N)
ROOT=$CACHE/root.$$
rm -rf --one-file-system "$ROOT"
mkdir -m 755 "$ROOT"
tar -C "$ROOT" -xf "$BASE" || { echo "FAIL: unpacking $BASE"; exit 1; }
flock -u 8
pass "root unpacked ($(since "$t") s)"
mount -t proc proc "$ROOT/proc"

# ---- 3. installation --------------------------------------------------------
t=$(date +%s.%N)
install -d "$ROOT/tmp/debs"
cp "$DEB_MAIN" "$DEB_HOOKS" "$ROOT/tmp/debs/"
cp "$CACHE/apt/"*.deb "$ROOT/var/cache/apt/archives/" 2>/dev/null
apt_install() {
	in_root apt-get install -y -q --no-install-recommends \
	    "/tmp/debs/${DEB_MAIN##*/}" "/tmp/debs/${DEB_HOOKS##*/}" >> "$W/apt.log" 2>&1
}
if ! apt_install; then
	echo "  apt-get install failed; apt-get update and again" >> "$W/apt.log"
	in_root apt-get -qq update >> "$W/apt.log" 2>&1
	if ! apt_install; then
		tail -n 40 "$W/apt.log"
		echo "FAIL: apt-get install of the packages"
		exit 1
	fi
fi
cp -n "$ROOT/var/cache/apt/archives/"*.deb "$CACHE/apt/" 2>/dev/null
pass "adsync and adsync-dc-hooks installed with apt ($(since "$t") s; $(grep -c '^Setting up' "$W/apt.log") packages set up)"

# ---- 4. what was installed --------------------------------------------------
expect "dpkg status of adsync" "$(in_root dpkg-query -W -f='${Status}' adsync)" "install ok installed"
expect "dpkg status of adsync-dc-hooks" "$(in_root dpkg-query -W -f='${Status}' adsync-dc-hooks)" "install ok installed"
mode() { in_root stat -c '%a %U:%G' "$1" 2>&1; }
expect "/usr/sbin/adsync" "$(mode /usr/sbin/adsync)" "755 root:root"
expect "/usr/bin/rsemu" "$(mode /usr/bin/rsemu)" "755 root:root"
expect "/usr/sbin/adsync-pwhook" "$(mode /usr/sbin/adsync-pwhook)" "755 root:root"
expect "/etc/adsync (tmpfiles)" "$(mode /etc/adsync)" "750 adsync:adsync"
expect "/var/lib/adsync (tmpfiles)" "$(mode /var/lib/adsync)" "700 adsync:adsync"
expect "/etc/adsync/adsync.conf" "$(mode /etc/adsync/adsync.conf)" "644 root:root"
check "/etc/adsync/adsync.conf is a conffile" \
    sh -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' adsync | grep -q '^ /etc/adsync/adsync.conf '"
check "the shipped adsync.conf is the example" \
    cmp -s "$ROOT/etc/adsync/adsync.conf" "$SRCDIR/packaging/adsync.conf"
for f in /lib/systemd/system/adsync.service /lib/systemd/system/adsync-pwhook-sender.service \
    /usr/lib/sysusers.d/adsync.conf /usr/lib/tmpfiles.d/adsync.conf \
    /usr/share/man/man8/adsync.8.gz /usr/share/man/man5/adsync.conf.5.gz \
    /usr/share/man/man1/rsemu.1.gz /usr/share/man/man8/adsync-pwhook.8.gz \
    /usr/share/doc/adsync/examples/adsync.conf \
    /usr/share/adsync-dc-hooks/windows/adsync-pwfilter.dll \
    /usr/share/adsync-dc-hooks/windows/install.ps1 \
    /usr/share/adsync-dc-hooks/windows/uninstall.ps1; do
	expect "$f" "$(mode "$f")" "644 root:root"
done
check "the DLL is a PE32+ DLL" sh -c "head -c 2 '$ROOT/usr/share/adsync-dc-hooks/windows/adsync-pwfilter.dll' | grep -q MZ"
check "the unit starts /usr/sbin/adsync" \
    grep -qx 'ExecStart=/usr/sbin/adsync -c /etc/adsync/adsync.conf daemon' "$ROOT/lib/systemd/system/adsync.service"

pw=$(in_root getent passwd adsync)
IFS=: read -r _ _ uid gid _ home shell <<< "$pw"
check "user adsync exists (sysusers): $pw" test -n "$pw"
check "adsync is a system user (uid $uid < 1000)" test "${uid:-1000}" -lt 1000
expect "adsync's home" "$home" /var/lib/adsync
expect "adsync's shell" "$shell" /usr/sbin/nologin
expect "adsync's group" "$(in_root getent group adsync | cut -d: -f3)" "$gid"
check "adsync.service enabled (multi-user.target.wants)" \
    test -L "$ROOT/etc/systemd/system/multi-user.target.wants/adsync.service"
check "adsync-pwhook-sender.service not enabled" \
    test ! -e "$ROOT/etc/systemd/system/multi-user.target.wants/adsync-pwhook-sender.service"

out=$(in_root systemd-analyze verify --man=no adsync.service adsync-pwhook-sender.service 2>&1)
rc=$?
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  verify: /'
expect "systemd-analyze verify of both units" "$rc" 0
score=$(in_root systemd-analyze security --offline=true /lib/systemd/system/adsync.service 2>&1 |
    sed -n 's/.*Overall exposure level for adsync.service: \([0-9.]*\).*/\1/p')
echo "  systemd-analyze security adsync.service: ${score:-?}"
check "adsync.service exposure ${score:-?} <= 2.0 (docs/packaging.md)" \
    awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

expect "adsync --version" "$(in_root adsync --version 2>&1 | grep -o "$VERSION" | head -1)" "$VERSION"
out=$(as_adsync adsync check 2>&1)
rc=$?
echo "  $out"
expect "adsync check of the shipped configuration, as adsync" "$rc" 0
echo "checks of the installation: $(since "$T0") s so far"

# ---- 5. a sync from inside the root -----------------------------------------
export ROOT W VERSION
# with-ad.sh starts a DC in a private network namespace and runs phase 2
# there; rsemu and adsync run in the root, in that namespace.
"$SRCDIR/tests/testbed/with-ad.sh" --org sample -- "$0" "$SRCDIR" --in-ad
rc=$?
if [ "$rc" = 77 ]; then
	# The package checks passed, but the sync (the point) could not run.
	echo "SKIP: with-ad.sh: no Samba AD DC here (the installation checks above passed: $CHECKS)"
	exit 77
fi
[ "$rc" = 0 ] || fail "the sync inside the root (phase 2, exit $rc)"
unmount_root
check "nothing mounted under the root" test -z "$(findmnt -rn -o TARGET | grep -F "$ROOT/")"
finish "package test"

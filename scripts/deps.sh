#!/bin/sh
# Installs every Debian package adsync's build, tests, demo and benchmarks need
# (chromium, nodejs and npm: the console's browser tests, tests/browser/;
# socat: make demo's bridge to the console; dpkg-dev, debhelper, lintian and
# debootstrap: `make deb` and its test, tests/package/).
# Idempotent and non-interactive; fast (a dpkg query) when everything is present.
# Runs as root (CI and the developer machines are root); otherwise through sudo.
set -eu

PKGS="
build-essential cmake pkg-config git ca-certificates openssl
libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3 libjansson-dev
libmicrohttpd-dev libsodium-dev libinih-dev libcmocka-dev libldap-dev
clang curl python3 procps iproute2 groff-base man-db
libclang-rt-14-dev
samba-ad-dc samba-ad-provision ldap-utils krb5-user ldb-tools python3-gpg gnupg
util-linux time gcc-mingw-w64-x86-64 wine64
chromium nodejs npm socat
dpkg-dev debhelper lintian debootstrap
"

missing=""
for p in $PKGS; do
	# NodeSource's nodejs package bundles npm and conflicts with Debian's.
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then
		continue
	fi
	# dpkg-query prints "install ok installed" only for a fully installed package.
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A policy-rc.d that answers 101 keeps apt from starting system daemons
# (samba, slapd) that would listen on every interface.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

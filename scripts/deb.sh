#!/bin/sh
# Builds adsync's Debian packages (`make deb`, docs/packaging.md "Debian
# packages") without writing into the tree:
#
#   scripts/deb.sh [OUTDIR]        # default build/deb
#
# 1. copies the working tree (tracked files and untracked ones git does not
#    ignore: what `git status` shows, uncommitted changes included) to
#    OUTDIR/adsync-VERSION;
# 2. runs `dpkg-buildpackage -us -uc -b` there, so that the packages land in
#    OUTDIR (its parent): adsync_VERSION_ARCH.deb, adsync-dc-hooks_...deb,
#    their -dbgsym .debs, .buildinfo and .changes;
# 3. zips the Windows password filter for a DC admin without dpkg:
#    OUTDIR/adsync-pwfilter-VERSION-win64.zip (the DLL, install.ps1,
#    uninstall.ps1, README.md, SHA256SUMS), taken from adsync-dc-hooks;
# 4. runs lintian on the .changes; a warning or an error fails the build
#    (LINTIAN=0 skips it; the overrides in debian/ say why they exist).
#
# VERSION is CMake's project() version, which must equal debian/changelog's.
# DEB_BUILD_OPTIONS is passed on (default parallel=NPROC; nocheck skips the
# unit tests). The copy is removed afterwards unless KEEP_DEB_SRC=1.
# Concurrent runs on one OUTDIR wait for each other (flock).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build/deb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

VERSION=$(sed -n 's/^project(adsync VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
DEBVERSION=$(cd "$SRC" && dpkg-parsechangelog -S Version)
if [ -z "$VERSION" ] || [ "$VERSION" != "$DEBVERSION" ]; then
	echo "deb.sh: CMakeLists.txt has version '$VERSION', debian/changelog '$DEBVERSION': make them equal (dch -v $VERSION)" >&2
	exit 1
fi
ARCH=$(dpkg --print-architecture)

exec 9> "$OUT/.lock"
flock -x 9

COPY=$OUT/adsync-$VERSION
rm -rf "$COPY"
rm -f "$OUT"/adsync*_"$VERSION"_*.deb "$OUT"/adsync_"$VERSION"_*.changes \
    "$OUT"/adsync_"$VERSION"_*.buildinfo "$OUT"/adsync-pwfilter-"$VERSION"-win64.zip
mkdir -p "$COPY"
t0=$(date +%s)
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Files deleted in the work tree but still tracked are left out.
	# shellcheck disable=SC2016  # $f is the inner sh's
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
	    tar --null -T - -cf -) | tar -xf - -C "$COPY"
else
	(cd "$SRC" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$COPY"
fi

echo "deb.sh: building adsync $VERSION in $COPY" >&2
: "${DEB_BUILD_OPTIONS:=parallel=$(nproc)}"
export DEB_BUILD_OPTIONS
(cd "$COPY" && dpkg-buildpackage -us -uc -b) > "$OUT/build.log" 2>&1 || {
	tail -n 60 "$OUT/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed; the whole log is $OUT/build.log" >&2
	exit 1
}
t1=$(date +%s)

# The Windows filter as a zip, from what adsync-dc-hooks installs.
X=$OUT/.x
rm -rf "$X"
dpkg-deb -x "$OUT/adsync-dc-hooks_${VERSION}_$ARCH.deb" "$X"
Z=$X/zip/adsync-pwfilter-$VERSION
mkdir -p "$Z"
cp "$X"/usr/share/adsync-dc-hooks/windows/* "$Z/"
(cd "$Z" && sha256sum adsync-pwfilter.dll install.ps1 uninstall.ps1 README.md > SHA256SUMS)
(cd "$X/zip" && python3 -m zipfile -c "$OUT/adsync-pwfilter-$VERSION-win64.zip" "adsync-pwfilter-$VERSION")
rm -rf "$X"
[ "${KEEP_DEB_SRC:-0}" = 1 ] || rm -rf "$COPY"

echo "deb.sh: built in $((t1 - t0)) s:" >&2
(cd "$OUT" && ls -l adsync*_"$VERSION"_*.deb adsync-pwfilter-"$VERSION"-win64.zip) >&2

if [ "${LINTIAN:-1}" != 0 ]; then
	echo "deb.sh: lintian" >&2
	lintian --fail-on error,warning --display-info \
	    "$OUT/adsync_${VERSION}_$ARCH.changes" >&2 || {
		echo "deb.sh: lintian found warnings or errors (docs/packaging.md \"lintian\")" >&2
		exit 1
	}
	echo "deb.sh: lintian clean" >&2
fi

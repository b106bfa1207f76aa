#!/bin/sh
# Installs the browser tests' node packages (playwright-core, pinned by
# tests/browser/package-lock.json) into BUILD_DIR/browser:
#
#   tests/browser/npm-install.sh BUILD_DIR
#
# Idempotent: `npm ci` runs only when BUILD_DIR/browser/node_modules is
# missing or the lock file changed since the last install (a copy of the
# lock it installed is kept as node_modules/.adsync-lock). No browser is
# downloaded: the tests drive Debian's chromium (scripts/deps.sh). Any npm
# failure is an error (exit 1) with npm's own output.
set -eu

BUILD=${1:?usage: npm-install.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=$BUILD/browser
STAMP=$DEST/node_modules/.adsync-lock

command -v npm >/dev/null 2>&1 || {
	echo "npm-install.sh: npm is not installed (scripts/deps.sh)" >&2
	exit 1
}
mkdir -p "$DEST"
if [ -d "$DEST/node_modules/playwright-core" ] && [ -f "$STAMP" ] &&
    cmp -s "$HERE/package-lock.json" "$STAMP" &&
    cmp -s "$HERE/package.json" "$DEST/package.json"; then
	exit 0
fi
cp "$HERE/package.json" "$HERE/package-lock.json" "$DEST/"
echo "npm-install.sh: npm ci in $DEST" >&2
# The Playwright packages download no browser at install time; saying so
# keeps it that way should a later version change its mind.
if ! (cd "$DEST" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci \
    --no-audit --no-fund --loglevel=error); then
	echo "npm-install.sh: npm ci failed in $DEST" >&2
	exit 1
fi
cp "$HERE/package-lock.json" "$STAMP"

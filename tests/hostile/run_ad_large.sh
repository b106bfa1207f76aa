#!/bin/bash
# Hostile sizes in Active Directory (tests/hostile/cases.md, category "ad",
# where = large): a generated organisation of 10,000 users whose list "Big
# List" (big@example.com, nested in the Exchange group) has all 10,000 as
# members, more than the 1,500 values AD returns per read of `member` (the
# rest is read with ranged retrieval, member;range=1500-*):
#   run_ad_large.sh ADSYNC RSEMU SRCDIR
# `adsync plan --json` must plan the list with every one of its members,
# and every user's mailbox, without a crash or a sanitizer report. (A plan,
# not a sync: 10,000 creates would only measure rsemu.) The first run
# builds the template (with-ad.sh --org gen:10000 --members 10000, cached
# per build directory).
# The case_*, inject_* and unaffected_* functions are called by name.
# shellcheck disable=SC2317
ADSYNC=${1:?usage: run_ad_large.sh ADSYNC RSEMU SRCDIR}
SRCDIR=${3:?usage: run_ad_large.sh ADSYNC RSEMU SRCDIR}
LARGE_N=${HOSTILE_LARGE_N:-10000}
if [ -z "${AD_URI:-}" ] && [ "$(id -u)" = 0 ]; then
	# sync_env.sh would start the DC with the default --members (3000).
	exec "$SRCDIR/tests/testbed/with-ad.sh" --org "gen:$LARGE_N" --members "$LARGE_N" -- "$0" "$@"
fi
SYNC_ORG=gen:$LARGE_N
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/../integration/sync_env.sh" "$@"
HW=$W/hostile
# shellcheck source=tests/hostile/hostile_lib.sh
. "$SRCDIR/tests/hostile/hostile_lib.sh"

case_ad_dl_10000() {
	conf_set ad timeout 600
	adsync_run plan --json > /dev/null
	PLAN_RC=$RC
	python3 - "$W/out" > "$HOUT" <<'PY'
import json, sys
ops, members, creates = 0, 0, 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    if o.get("op") == "create" and o.get("kind") == "mailbox":
        creates += 1
    if o.get("op") == "members-add" and (o.get("address") or "").lower() == "big@example.com":
        ops += 1
        members += len(o.get("values") or [])
print("members-add big@example.com: %d members in %d op(s); %d mailbox creates" % (members, ops, creates))
PY
	cat "$W/err" >> "$HOUT"
}
unaffected_plan_ok() {
	[ "$PLAN_RC" = 0 ] || [ "$PLAN_RC" = 2 ] || { echo "     plan exited $PLAN_RC"; return 1; }
	grep -q "$LARGE_N mailbox creates" "$HOUT" || { echo "     not $LARGE_N mailbox creates: $(head -1 "$HOUT")"; return 1; }
}
unaffected_no_sanitizer() { h_sanitizer "$W/err"; }

hostile_load ad large
hostile_each hostile_check
sanitizer_check "$W/rsemu.log" rsemu
hostile_finish
rc=$?
[ "$FAILS" = 0 ] || rc=1
exit $rc

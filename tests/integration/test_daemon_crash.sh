#!/bin/bash
# The daemon's crash safety (issue 6, docs/daemon.md, docs/sync.md §1):
#   test_daemon_crash.sh ADSYNC RSEMU SRCDIR
# "kill -9 during an initial sync of 2,000 objects at several random points
# then restart converges with no duplicate and no loss."
#
# The generated organisation of 2,000 users (with-ad.sh --org gen:2000:
# 1,600 Exchange and 400 Rackspace Email users, 100 lists). rsemu delays
# every reply to a POST or PUT by LATENCY_MS (a latency rule: the write is
# made at once, its answer waits), so an undisturbed first cycle takes
# about 13 s (12 s of apply) and at any moment of its apply max_in_flight
# creates are done in rsemu but unanswered. `adsync daemon` is started and killed with SIGKILL KILLS
# times, at random points of its first cycle: odd kills a random 0.1-3 s
# after that instance's first write reached rsemu (requests in flight;
# the first kill also waits for one create that rsemu answers 10 s late,
# so some kill always lands on a create made but not yet answered);
# even kills either a random 1-6 s after its start (start-up, the
# recovery of the previous kill's pending ops, the read or the apply) or a
# random 0.1-2 s after its first API request (mostly in the recovery's
# lookups). Then it is started once more and left to finish its first
# cycle. Checks:
#   - every kill-9 instance died of the kill (137), and the last one's
#     first cycle ends "ok", idle;
#   - no duplicate: in rsemu's whole request log, no mailbox, contact or
#     list was created twice (two 2xx answers to POSTs of the same object),
#     and no create was answered with an error (a re-sent create would get
#     "already exists": the recovery looks up a lost create by name and
#     never sends it again);
#   - no loss: rsemu's mailboxes per domain and service and its lists are
#     exactly the in-scope users and lists read from AD with ldapsearch,
#     sampled users have their displayName, a sampled list its members;
#   - converged: with the daemon stopped, `adsync plan --json` has no
#     operation;
#   - no sanitizer report in any daemon log; no adsync left running.
# CRASH_SEED=N reproduces the kill points (the timing of the rest varies);
# CRASH_KILLS (default 5, at least 4) and LATENCY_MS (default 20) tune it.
SYNC_ORG=gen:2000
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/sync_env.sh" "$@"

N_USERS=2000
KILLS=${CRASH_KILLS:-5}
[ "$KILLS" -ge 4 ] 2>/dev/null || KILLS=4
LATENCY_MS=${LATENCY_MS:-20}
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "seed $SEED (CRASH_SEED=$SEED reproduces the kill points), $KILLS kills, latency $LATENCY_MS ms"
[ "$AD_ORG" = "gen:$N_USERS" ] || { echo "FAIL: AD holds $AD_ORG, not gen:$N_USERS"; exit 1; }

SOCK=$W/state/ctl.sock
DPID=
DPIDS=()
ctl() { "$ADSYNC" -c "$CONF" "$@"; }

cat > "$W/crash.py" <<'PY'
# Checks of test_daemon_crash.sh on LDIF from ldapsearch and on rsemu's
# request log and state.
import base64, json, re, sys
from datetime import datetime, timezone
from urllib.parse import unquote

PRE = "/v1/customers/me/domains/"

def ldif(path):
    """Entries of ldapsearch -LLL output: lower-case attribute -> values."""
    ents, cur = [], None
    lines = open(path, encoding="utf-8").read().split("\n")
    joined = []
    for line in lines:		# unwrap, in case
        if line.startswith(" ") and joined:
            joined[-1] += line[1:]
        else:
            joined.append(line)
    for line in joined:
        if not line.strip():
            if cur:
                ents.append(cur)
            cur = None
            continue
        if line.startswith("#"):
            continue
        k, _, v = line.partition(":")
        if v.startswith(":"):
            v = base64.b64decode(v[1:].strip()).decode("utf-8")
        else:
            v = v.strip()
        cur = cur if cur is not None else {}
        cur.setdefault(k.lower(), []).append(v)
    if cur:
        ents.append(cur)
    return ents

def when(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()

def rel(r):
    p = unquote(r["path"])
    return (p[len(PRE):] if p.startswith(PRE) else p).lower()

MBX = re.compile(r"^([^/]+)/(ex|rs)/(mailboxes|contacts)/([^/]+)$")
DLS = re.compile(r"^([^/]+)/ex/distributionlists/?$")

def created(r):
    """(domain, kind, name) a POST creates, or None."""
    if r["method"] != "POST":
        return None
    p = rel(r)
    m = MBX.match(p)
    if m:
        kind = "contact" if m.group(3) == "contacts" else m.group(2)
        return (m.group(1), kind, m.group(4))
    m = DLS.match(p)
    if m:
        b = r.get("body") or {}
        name = ""
        if isinstance(b, dict):
            for k in ("CommonName", "commonName", "Name", "name"):
                if isinstance(b.get(k), str):
                    name = b[k]
                    break
        return (m.group(1), "dl", name.lower() or "<no name in body>")
    return None

cmd = sys.argv[1]
if cmd == "expected":
    # expected EX.ldif RS.ldif DL.ldif: "DOMAIN KIND NAME<TAB>displayName"
    for path, kind in ((sys.argv[2], "ex"), (sys.argv[3], "rs"), (sys.argv[4], "dl")):
        for e in ldif(path):
            if "mail" not in e:
                continue
            local, _, dom = e["mail"][0].lower().partition("@")
            print("%s %s %s\t%s" % (dom, kind, local, (e.get("displayname") or [""])[0]))
elif cmd == "members":
    # members USERS.ldif LIST.ldif: mail of the list's member users, sorted
    mail = {e["dn"][0].lower(): e["mail"][0].lower()
            for e in ldif(sys.argv[2]) if "mail" in e}
    out = []
    for e in ldif(sys.argv[3]):
        for m in e.get("member", []):
            out.append(mail.get(m.lower(), "<no mail: %s>" % m))
    print("\n".join(sorted(out)))
elif cmd == "first":
    # first LOG PROBE_UA write|request: exit 0 when the log holds a write
    # (or any request) that is not the probe's
    log = json.load(open(sys.argv[2], encoding="utf-8"))
    any_req = sys.argv[4] == "request"
    sys.exit(0 if any((any_req or r["method"] != "GET") and
                      r.get("user_agent") != sys.argv[3]
                      for r in log["requests"]) else 1)
elif cmd == "slow":
    # slow LOG PROBE_UA MS: exit 0 when the log holds a create answered at
    # least MS late (the slow create of the first instance)
    log = json.load(open(sys.argv[2], encoding="utf-8"))
    ms = int(sys.argv[4])
    sys.exit(0 if any(r.get("user_agent") != sys.argv[3] and created(r) and
                      r.get("latency_ms", 0) >= ms for r in log["requests"]) else 1)
elif cmd == "at-kill":
    # at-kill LOG PROBE_UA KILL_EPOCH: this instance's writes, creates, and
    # the writes rsemu had made but not yet answered when it was killed
    log = json.load(open(sys.argv[2], encoding="utf-8"))
    kt = float(sys.argv[4])
    sel = [r for r in log["requests"] if r.get("user_agent") != sys.argv[3]]
    writes = [r for r in sel if r["method"] != "GET"]
    creates = [r for r in writes if created(r)]
    fl = [r for r in writes
          if when(r["time"]) <= kt < when(r["time"]) + r.get("latency_ms", 0) / 1000.0]
    print("requests=%d writes=%d creates=%d in_flight=%d in_flight_creates=%d" % (
        len(sel), len(writes), len(creates), len(fl), sum(1 for r in fl if created(r))))
    for r in fl[:3]:
        print("  in flight: %s %s %s (logged %s, +%d ms)" % (
            r["method"], rel(r), r["status"], r["time"], r.get("latency_ms", 0)))
elif cmd == "creates":
    # creates LOG PROBE_UA OUT: every create of the run; prints what is
    # wrong (duplicates, failed creates), writes "DOMAIN KIND NAME" of the
    # objects created to OUT
    log = json.load(open(sys.argv[2], encoding="utf-8"))
    ok, bad, n = {}, [], 0
    for r in log["requests"]:
        if r.get("user_agent") == sys.argv[3]:
            continue
        k = created(r)
        if k is None:
            continue
        n += 1
        if 200 <= r["status"] < 300:
            ok.setdefault(k, []).append(r)
        else:
            bad.append(r)
    dup = {k: v for k, v in ok.items() if len(v) > 1}
    print("creates=%d objects=%d duplicated=%d failed=%d dropped=%d" % (
        n, len(ok), len(dup), len(bad), log.get("dropped", 0)))
    for k, v in sorted(dup.items())[:20]:
        print("  DUPLICATE %s: %s" % (" ".join(k), ", ".join(
            "#%d %s %d" % (r["id"], r["time"], r["status"]) for r in v)))
    for r in bad[:20]:
        print("  FAILED CREATE #%d %s %s %s %d fault=%s" % (
            r["id"], r["time"], r["method"], rel(r), r["status"], r.get("fault")))
    with open(sys.argv[4], "w", encoding="utf-8") as f:
        for k in sorted(ok):
            f.write(" ".join(k) + "\n")
elif cmd == "writes":
    # writes LOG PROBE_UA: writes answered other than 2xx, by method and status
    log = json.load(open(sys.argv[2], encoding="utf-8"))
    c = {}
    for r in log["requests"]:
        if r.get("user_agent") != sys.argv[3] and r["method"] != "GET" \
                and not 200 <= r["status"] < 300:
            key = "%s %d %s" % (r["method"], r["status"], re.sub(r"/[^/]+$", "/*", rel(r)))
            c[key] = c.get(key, 0) + 1
    for k, v in sorted(c.items()):
        print("%6d %s" % (v, k))
elif cmd == "state":
    # state STATE.json: "DOMAIN KIND NAME<TAB>displayName", one per object
    st = json.load(open(sys.argv[2], encoding="utf-8"))
    keys = {"ex": "exMailboxes", "rs": "rsMailboxes", "contact": "contacts",
            "dl": "distributionLists"}
    for a in st["accounts"]:
        for d in a["domains"]:
            for kind, key in keys.items():
                for o in d.get(key) or []:
                    n = (o.get("name") or o.get("CommonName") or "").lower()
                    dn = o.get("displayName") or o.get("DisplayName") or \
                        (o.get("contactInfo") or {}).get("displayName") or ""
                    print("%s %s %s\t%s" % (d["name"].lower(), kind, n, dn))
PY
cpy() { python3 "$W/crash.py" "$@"; }

# The whole request log (every instance's requests, not the probe's).
reqlog_all() {
	curl -sf -o "$W/reqlog-all.json" "$EMU_ADMIN/_emu/requests?since=0&limit=200000"
}
# The log since the mark of the running instance, to $W/reqlog-inst.json.
reqlog_inst() {
	curl -sf -o "$W/reqlog-inst.json" "$EMU_ADMIN/_emu/requests?since=$REQ_MARK&limit=200000"
}
cycle_done() {	# the running daemon has ended a cycle
	ctl status --json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if json.load(sys.stdin).get("cycles", 0) >= 1 else 1)'
}
start_daemon() {	# K: starts instance K, its log $W/daemon.K.err
	"$ADSYNC" -c "$CONF" -v daemon --allow-root > "$W/daemon.$1.out" 2> "$W/daemon.$1.err" &
	DPID=$!
	BG_PID=$DPID	# killed by sync_cleanup if the test dies
	DPIDS+=("$DPID")
	DSTART=$(date +%s.%N)
}
since() { awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $1}"; }
# rand_tenths VAR MIN MAX: VAR = a random delay in seconds, MIN-MAX tenths.
# Never in a subshell: bash reseeds RANDOM there, and the seed would not
# reproduce the delays.
rand_tenths() {
	local t=$(($2 + RANDOM % ($3 - $2 + 1)))
	printf -v "$1" '%d.%d' $((t / 10)) $((t % 10))
}

echo "=== the expected objects, from AD"
ldap_search -E pr=1000/noprompt -b "$PEOPLE" "(&(objectClass=user)(memberOf=$EXG))" \
    mail displayName > "$W/ex.ldif"
ldap_search -E pr=1000/noprompt -b "$PEOPLE" "(&(objectClass=user)(memberOf=$RSG))" \
    mail displayName > "$W/rs.ldif"
ldap_search -E pr=1000/noprompt -b "$GROUPS_OU" "(&(objectClass=group)(mail=*)(memberOf=$EXG))" \
    mail displayName > "$W/dl.ldif"
cpy expected "$W/ex.ldif" "$W/rs.ldif" "$W/dl.ldif" | sort > "$W/expected.tsv"
cut -f1 "$W/expected.tsv" > "$W/expected.txt"
for k in ex rs dl; do
	echo "     $k: $(grep -c " $k " "$W/expected.txt")"
done
expect "users in scope (AD)" "$(grep -cv ' dl ' "$W/expected.txt")" "$N_USERS"

# One mailbox create of the first instance, at a random place among its
# first creates, is answered SLOW_MS late: the first kill waits until it is
# in rsemu's log, so at least one kill lands on a create made but not yet
# answered whatever the seed (the other kills stay at random points).
SLOW_MS=10000
SLOW_SKIP=$((RANDOM % 100))
echo "=== slow writes: every POST and PUT answered $LATENCY_MS ms late, create $((SLOW_SKIP + 1)) $SLOW_MS ms"
emu_faults "{\"rules\":[
  {\"method\":\"POST\",\"path\":\"/mailboxes/\",\"match\":\"substring\",\"action\":\"latency\",\"ms\":$SLOW_MS,\"count\":1,\"skip\":$SLOW_SKIP},
  {\"method\":\"POST\",\"path\":\"/v1/\",\"match\":\"prefix\",\"action\":\"latency\",\"ms\":$LATENCY_MS,\"count\":0},
  {\"method\":\"PUT\",\"path\":\"/v1/\",\"match\":\"prefix\",\"action\":\"latency\",\"ms\":$LATENCY_MS,\"count\":0}]}" ||
    { echo "FAIL: cannot set rsemu faults"; exit 1; }

KILLED_IN_FLIGHT=0
delay=
for k in $(seq 1 "$KILLS"); do
	req_mark
	if [ $((k % 2)) = 1 ]; then
		mode="write"
		rand_tenths delay 1 30
	elif [ $((RANDOM % 2)) = 0 ]; then
		mode=start
		rand_tenths delay 10 60
	else
		mode=request
		rand_tenths delay 1 20
	fi
	case $mode in
	write) what="the instance's first write" ;;
	request) what="the instance's first API request" ;;
	*) what="its start" ;;
	esac
	echo "=== kill $k of $KILLS: $delay s after $what"
	start_daemon "$k"
	t0=$DSTART
	if [ "$mode" != start ]; then
		seen=
		for _ in $(seq 1 600); do	# up to ~60 s (recovery, read, plan)
			alive "$DPID" || break
			if reqlog_inst && cpy first "$W/reqlog-inst.json" "$PROBE_UA" "$mode"; then
				seen=1
				break
			fi
			if cycle_done; then break; fi
			sleep 0.1
		done
		alive "$DPID" || { fail "instance $k died before the kill"; sed 's/^/     /' "$W/daemon.$k.err" | tail -20; break; }
		if [ -n "$seen" ]; then
			echo "     first $mode $(since "$t0") s after the start"
		else
			echo "     no $mode from instance $k in $(since "$t0") s (its cycle ended)"
		fi
		t0=$(date +%s.%N)
	fi
	while [ "$(awk "BEGIN{print ($(date +%s.%N) - $t0 < $delay)}")" = 1 ]; do
		sleep 0.05
	done
	if [ "$k" = 1 ]; then	# and until the slow create is in rsemu (made, unanswered)
		for _ in $(seq 1 300); do
			alive "$DPID" || break
			reqlog_inst && cpy slow "$W/reqlog-inst.json" "$PROBE_UA" "$SLOW_MS" && break
			sleep 0.05
		done
	fi
	alive "$DPID" || { fail "instance $k died before the kill"; sed 's/^/     /' "$W/daemon.$k.err" | tail -20; break; }
	kill -KILL "$DPID"
	kt=$(date +%s.%N)
	wait "$DPID" 2>/dev/null
	rc=$?
	BG_PID=
	expect "instance $k killed ($(since "$DSTART") s after its start)" "$rc" 137
	reqlog_inst
	cpy at-kill "$W/reqlog-inst.json" "$PROBE_UA" "$kt" | tee "$W/at-kill.$k.txt" | sed 's/^/     /'
	f=$(sed -n 's/.* in_flight_creates=\([0-9]*\).*/\1/p' "$W/at-kill.$k.txt")
	KILLED_IN_FLIGHT=$((KILLED_IN_FLIGHT + ${f:-0}))
	echo "     ops it recovered at its start: $(grep -c 'from a crashed run' "$W/daemon.$k.err")"
done
echo "     creates made by rsemu but unanswered at a kill: $KILLED_IN_FLIGHT"
expect_ge "creates made but not yet answered at the kills" "$KILLED_IN_FLIGHT" 1

echo "=== restart and let the first cycle finish"
req_mark
k=$((KILLS + 1))
start_daemon "$k"
status_final() {
	ctl status --json > "$W/status.json" 2>/dev/null || return 1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d.get("cycles", 0) >= 1 and d.get("state") == "idle" and
         not d.get("pending") and
         (d.get("last") or {}).get("status") in ("ok", "partial") else 1)' "$W/status.json"
}
done_=
for _ in $(seq 1 900); do	# up to ~180 s
	alive "$DPID" || break
	if status_final; then done_=1; break; fi
	sleep 0.2
done
check "the restarted daemon ends its first cycle ($(since "$DSTART") s)" test -n "$done_"
# Every run, the killed ones too. The last "start" run is this instance's
# first cycle (a change notification may have queued another after it).
ctl history -n 50 --json > "$W/history.json"
python3 -c '
import json, sys
st = json.load(open(sys.argv[1]))
runs = []
for line in open(sys.argv[2], encoding="utf-8"):	# one run a line
    if line.strip():
        o = json.loads(line)
        runs += o["runs"] if "runs" in o else [o]
for r in reversed(runs):
    print("     run %s %-6s %-8s created %s, updated %s, enabled %s, errors %s%s" % (
        r["run"], r["trigger"], r["status"], r["counts"]["created"],
        r["counts"]["updated"], r["counts"]["enabled"], r["counts"]["errors"],
        ": " + r["error"] if r.get("error") else ""))
first = max((r for r in runs if r["trigger"] == "start"), key=lambda r: r["run"])
after = [r for r in runs if r["run"] >= first["run"]]
print("first=%s" % first["status"])
print("later=%s" % " ".join(sorted({r["status"] for r in after if r is not first})))
print("objects=%s" % st.get("objects"))
print("running=%d" % len([r for r in runs if r["status"] == "running"]))
print("interrupted=%d" % len([r for r in runs if r.get("error", "").startswith("interrupted")]))' "$W/status.json" "$W/history.json" > "$W/final.txt" 2>&1
grep -v '=' "$W/final.txt"
expect "its first cycle's status (gen org: no errors)" "$(sed -n 's/^first=//p' "$W/final.txt")" ok
later=$(sed -n 's/^later=//p' "$W/final.txt")
check "its later cycles (if any) ok: '$later'" test "$later" = "" -o "$later" = ok
expect "synced objects (status)" "$(sed -n 's/^objects=//p' "$W/final.txt")" "$(wc -l < "$W/expected.txt")"
expect "no run left 'running' by a kill" "$(sed -n 's/^running=//p' "$W/final.txt")" 0
expect_ge "the killed runs are closed as interrupted" "$(sed -n 's/^interrupted=//p' "$W/final.txt")" 1
nrec=$(cat "$W"/daemon.*.err | grep -c 'from a crashed run')
echo "     ops recovered from crashed runs (all instances): $nrec"
expect_ge "pending ops recovered after the kills" "$nrec" 1

echo "=== stop it; the plan is empty"
kill -TERM "$DPID"
wait "$DPID"
rc=$?
BG_PID=
expect "the last daemon stops on SIGTERM" "$rc" 0
adsync_run plan --json
expect_rc "plan after convergence" 0
expect "operations of the plan after convergence" "$(json_ops | wc -l)" 0

echo "=== no duplicate: the request log"
reqlog_all || { echo "FAIL: rsemu request log unreadable"; exit 1; }
cpy creates "$W/reqlog-all.json" "$PROBE_UA" "$W/created.txt" > "$W/creates.txt"
sed 's/^/     /' "$W/creates.txt"
expect "request log complete (dropped)" "$(sed -n 's/.* dropped=\([0-9]*\).*/\1/p' "$W/creates.txt")" 0
expect "objects created twice" "$(sed -n 's/.* duplicated=\([0-9]*\).*/\1/p' "$W/creates.txt")" 0
expect "creates answered with an error (a re-sent create)" "$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' "$W/creates.txt")" 0
echo "     writes answered other than 2xx (any kind):"
cpy writes "$W/reqlog-all.json" "$PROBE_UA" | sed 's/^/     /'
expect "objects created = objects expected" "$(sort "$W/created.txt" | comm -3 - <(sort "$W/expected.txt") | wc -l)" 0

echo "=== no loss: rsemu's state"
emu_state
cpy state "$W/state.json" | sort > "$W/got.tsv"
cut -f1 "$W/got.tsv" > "$W/got.txt"
for k in ex rs dl contact; do
	echo "     rsemu $k: $(grep -c " $k " "$W/got.txt")"
done
expect "mailboxes in rsemu" "$(grep -cE ' (ex|rs) ' "$W/got.txt")" "$N_USERS"
expect "rsemu objects missing" "$(comm -23 "$W/expected.txt" "$W/got.txt" | wc -l)" 0
expect "rsemu objects not expected" "$(comm -13 "$W/expected.txt" "$W/got.txt" | wc -l)" 0
comm -3 "$W/expected.txt" "$W/got.txt" | head -10 | sed 's/^/     differs: /'
# A few users and their displayName (st_field), chosen by the seed.
nexp=$(grep -cv ' dl ' "$W/expected.tsv")
for _ in 1 2 3 4 5 6; do
	i=$((1 + RANDOM % nexp))
	line=$(grep -v ' dl ' "$W/expected.tsv" | sed -n "${i}p")
	read -r dom kind name <<<"${line%%$'\t'*}"
	expect "$kind mailbox $name@$dom: displayName" \
	    "$(st_field "$dom" "$kind" "$name" displayName)" "${line#*$'\t'}"
done
# A list's members: the mail of its member users in AD.
ldap_search -E pr=1000/noprompt -b "$PEOPLE" '(objectClass=user)' mail > "$W/users.ldif"
printf -v list 'list-%05d' $((RANDOM % 99))
ldap_search -b "CN=List ${list#list-},$GROUPS_OU" -s base '(objectClass=*)' member > "$W/list.ldif"
cpy members "$W/users.ldif" "$W/list.ldif" > "$W/list-want.txt"
expect "members of $list" "$(st_members example.com "$list" | tr '\n' ' ')" "$(tr '\n' ' ' < "$W/list-want.txt")"

echo "=== logs and processes"
for k in $(seq 1 $((KILLS + 1))); do
	sanitizer_check "$W/daemon.$k.err" "daemon instance $k"
done
echo "     warnings of the daemons:"
cat "$W"/daemon.*.err | awk '$3 == "warn" || $3 == "fatal"' | cut -d' ' -f3- | sort | uniq -c |
    sort -rn | head -n 10 | sed 's/^/     /'
left=
for p in "${DPIDS[@]}"; do alive "$p" && left="$left $p"; done
expect "daemon processes left running" "${left# }" ""
expect "adsync processes on this configuration left running" "$(pgrep -f -- "-c $CONF" | tr '\n' ' ')" ""
check_not "control socket removed" test -e "$SOCK"
finish

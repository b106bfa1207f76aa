#!/bin/sh
# adsync-pwfilter.dll under wine (hooks/windows/README.md, docs/pwsync.md):
# pwfilter-driver.exe plays LSASS against pwfilter_stub.py, a mutual-TLS
# stand-in for adsync's receiver on 127.0.0.1.
#
#   test_pwfilter.sh DLL DRIVER SOURCE_DIR [ADSYNC]
#
# Cases: a broken hook file (LSASS unaffected, change spooled); exports
# and PasswordFilter; a change delivered (account, password
# exact, committed, source notify, client certificate CN); receiver down
# -> the entry stays in the spool, encrypted, and is delivered once the
# receiver is back; a receiver whose certificate comes from another CA ->
# no body is sent and the entry stays; the password never appears in the
# spool files or the log; with ADSYNC, the DLL against adsync's own
# receiver (`adsync daemon`, the DC enrolled with `hook enroll --rsa`):
# the change is queued in pw.db.
#
# Wine 8.0 limits (measured, see README.md): its PFXImportCertStore cannot
# import an ECDSA key, so the ECDSA enrolment (what `adsync hook enroll`
# issues) is checked for "spooled, not sent, reason logged", and the
# delivery cases use an RSA client key; its certificate name check does
# not match iPAddress subjectAltNames, so the receiver is named
# "localhost". Exit 77 when mingw's output, wine, openssl or python3 is
# missing.
set -eu

DLL=${1:-}
DRIVER=${2:-}
SRC=${3:-}
ADSYNC=${4:-}
ADSYNC_PID=""
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
PW='Pässwörd1€'

skip() { echo "SKIP: $*"; exit 77; }
[ -n "$DLL" ] && [ -f "$DLL" ] && [ -f "$DRIVER" ] ||
	skip "adsync-pwfilter.dll not built (x86_64-w64-mingw32-gcc missing)"
[ -x "$WINE" ] && [ -x "$WINESERVER" ] || skip "wine64 not installed"
command -v openssl >/dev/null || skip "openssl missing"
command -v python3 >/dev/null || skip "python3 missing"
# The secrets audit (tests/audit): the password, then the evidence.
AUDIT_HOME=$SRC/tests/audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"
audit_secret pwfilter/password "$PW"

T=$(mktemp -d)
STUB_PID=""
export WINEPREFIX="$T/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export LC_ALL=C.UTF-8

stop_stub() {
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null || true
		wait "$STUB_PID" 2>/dev/null || true
		STUB_PID=""
	fi
}
cleanup() {
	stop_stub
	if [ -n "$ADSYNC_PID" ]; then
		kill -TERM "$ADSYNC_PID" 2>/dev/null || true
		wait "$ADSYNC_PID" 2>/dev/null || true
	fi
	"$WINESERVER" -k 2>/dev/null || true
	# Not the wine prefix (but the DLL's data in it), nor the stub's record.
	audit_keep programdata "$T/prefix/drive_c/ProgramData/adsync"
	audit_keep work "$T" prefix record.jsonl
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; echo "--- pwfilter.log"; cat "$LOG" 2>/dev/null; exit 1; }
ok() { echo "ok: $*"; }
# Wine's fixme:/err: chatter (no display driver) off stderr.
quiet() { grep -v -e '^[0-9a-f]*:\{0,1\}fixme:' -e '^[0-9a-f]*:\{0,1\}err:' \
	-e "^wine: " -e "^reg: The operation completed" >&2 || true; }
winpath() { printf 'Z:%s' "$1" | tr / '\\'; }

cd "$T"

# --- PKI: like `adsync hook enroll` (ECDSA P-256), plus the RSA client key
# wine needs, and a second CA for the impostor receiver.
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
ca() { openssl req -x509 $ec -nodes -keyout "$1.key" -out "$1.pem" \
	-subj "/CN=adsync test CA" -days 30 \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null; }
issue() { # name ca keyspec subject extensions
	openssl req $3 -nodes -keyout "$1.key" -out "$1.csr" -subj "$4" \
		2>/dev/null
	printf '%s\n' "$5" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
		-CAcreateserial -out "$1.pem" -days 30 -extfile "$1.ext" \
		2>/dev/null
}
srv_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
cli_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
ca ca
ca ca2
issue srv ca "$ec" /CN=localhost "$srv_ext"
issue srv2 ca2 "$ec" /CN=localhost "$srv_ext"
issue cli_ec ca "$ec" /CN=DC1 "$cli_ext"
# An RSA key whose private components all have their full length, as
# `adsync hook enroll --rsa` makes them (pw_pki_rsa_gen): wine's PFX import
# refused a key with a shorter one ("The scanning of a large integer has
# failed"), about one random key in fifty.
rsa_full() { # file
	local i
	for i in $(seq 1 64); do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$1" 2>/dev/null || return 1
		openssl rsa -in "$1" -text -noout 2>/dev/null | python3 -c '
import re, sys
want = {"privateExponent": 256, "prime1": 128, "prime2": 128,
        "exponent1": 128, "exponent2": 128, "coefficient": 128}
cur, got = None, {}
for line in sys.stdin:
    m = re.match(r"^(\w+):\s*$", line)
    if m:
        cur = m.group(1); got[cur] = ""; continue
    if cur and line.startswith(" "):
        got[cur] += line.strip()
    else:
        cur = None
for k, n in want.items():
    b = bytes.fromhex(got.get(k, "").replace(":", "")).lstrip(b"\0")
    if len(b) != n:
        sys.exit(1)
' && return 0
	done
	return 1
}
rsa_full cli_rsa.full.key || fail "no full-length RSA key in 64 tries"
issue cli_rsa ca "-new -key cli_rsa.full.key" /CN=DC1 "$cli_ext"
cp cli_rsa.full.key cli_rsa.key
for k in ec rsa; do
	# PBE-SHA1-3DES + SHA-1 MAC: what every Windows version imports.
	openssl pkcs12 -export -passout pass: -in "cli_$k.pem" \
		-inkey "cli_$k.key" -out "cli_$k.p12" -certpbe PBE-SHA1-3DES \
		-keypbe PBE-SHA1-3DES -macalg sha1 ||
		fail "openssl pkcs12 -export"
done
[ -s cli_rsa.p12 ] && [ -s srv2.pem ] || fail "PKI generation"

der() { openssl x509 -in "$1" -outform DER | base64 -w0; }
mkhook() { # client-kind port
	umask 077
	cat > "hook_$1.txt" <<EOF
# adsync hook configuration for DC1 (test); keep it secret
format = 1
dc = DC1
receiver = https://localhost:$2
ca_cert = $(der ca.pem)            # the only CA the hook trusts
client_cert = $(der "cli_$1.pem")
client_key = $(openssl pkcs8 -topk8 -nocrypt -in "cli_$1.key" -outform DER | base64 -w0)
client_p12 = $(base64 -w0 "cli_$1.p12")
EOF
	umask 022
}

REC=$T/record.jsonl
start_stub() { # server-cert-name [port]
	rm -f "$T/port"
	python3 "$SRC/tests/integration/pwfilter_stub.py" --cert "$1.pem" \
		--key "$1.key" --ca ca.pem --port "${2:-0}" \
		--port-file "$T/port" --record "$REC" &
	STUB_PID=$!
	i=0
	while [ ! -s "$T/port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "stub did not start"
		kill -0 "$STUB_PID" 2>/dev/null || fail "stub died"
		sleep 0.1
	done
	PORT=$(cat "$T/port")
}

# --- The wine prefix (created on first use: several seconds).
"$WINE" wineboot -i 2>&1 | quiet
DATA="$WINEPREFIX/drive_c/ProgramData/adsync"
SPOOL="$DATA/spool"
LOG="$DATA/pwfilter.log"
set_hook() {
	"$WINE" reg add 'HKLM\SOFTWARE\adsync\PasswordFilter' /v HookFile \
		/t REG_SZ /d "$(winpath "$T/hook_$1.txt")" /f 2>&1 | quiet
}
# driver OUT WAIT [USER]: runs the driver; its exit code in $DRC.
driver() {
	DRC=0
	if [ -n "${3:-}" ]; then
		"$WINE" "$DRIVER" "$(winpath "$DLL")" --user "$3" \
			--password "$PW" --wait "$2" > "$1" 2> "$1.err" || DRC=$?
	else
		"$WINE" "$DRIVER" "$(winpath "$DLL")" --wait "$2" > "$1" \
			2> "$1.err" || DRC=$?
	fi
	quiet < "$1.err"
	tr -d '\r' < "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}
spool_count() { find "$SPOOL" -name '*.bin' 2>/dev/null | wc -l; }
# The password in UTF-8 and UTF-16LE must not appear in these files.
no_password() {
	python3 - "$PW" "$@" <<'EOF' || fail "password found in clear: $*"
import sys
pw = sys.argv[1]
pats = [pw.encode("utf-8"), pw.encode("utf-16-le")]
bad = 0
for p in sys.argv[2:]:
    data = open(p, "rb").read()
    for pat in pats:
        if pat in data:
            print("password in", p)
            bad = 1
sys.exit(bad)
EOF
}
# check_capture ACCOUNT: the stub got exactly one capture of ACCOUNT, and
# it is right.
check_capture() {
	python3 - "$REC" "$1" "$PW" <<'EOF' || fail "capture of $1"
import json, re, sys, time
rec, account, pw = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(l) for l in open(rec, encoding="utf-8")]
caps = [r for r in rows if r["path"] == "/v1/password" and r["body"]
        and r["body"].get("account") == account]
assert len(caps) == 1, "%d captures of %s" % (len(caps), account)
r = caps[0]
b = r["body"]
assert r["peer_cn"] == "DC1", r["peer_cn"]
assert r["ctype"] == "application/json", r["ctype"]
assert b["password"] == pw, "password differs"
assert b["v"] == 1 and b["source"] == "notify" and b["committed"] is True
assert re.fullmatch(r"[0-9a-f]{32}", b["id"]), b["id"]
assert abs(b["captured"] - time.time() * 1000) < 600000, b["captured"]
assert set(b) == {"v", "id", "source", "committed", "account",
                  "password", "captured"}, sorted(b)
EOF
}

start_stub srv
mkhook ec "$PORT"
mkhook rsa "$PORT"

# --- 0. A broken hook file: LSASS must not notice; the change is spooled.
{ cat hook_rsa.txt; echo "extra = 1"; } > hook_bad.txt
set_hook bad
driver out0 1 dave
grep -qx 'init=TRUE' out0 && grep -qx 'notify=0x0' out0 &&
	grep -qx 'spool=1' out0 || fail "broken hook file: $(cat out0)"
grep -q 'line 9: unknown key' "$LOG" || fail "broken hook file: not logged"
no_password "$SPOOL"/*.bin
rm -f "$SPOOL"/*.bin
ok "broken hook file: InitializeChangeNotify TRUE, error logged by line, change spooled"

# --- 1. ECDSA client key (the enrolment's key type).
set_hook ec
driver out1 3 alice
grep -qx 'exports=ok' out1 || fail "exports: $(cat out1)"
grep -qx 'init=TRUE' out1 || fail "InitializeChangeNotify"
grep -qx 'filter=TRUE' out1 || fail "PasswordFilter must allow"
grep -qx 'notify=0x0' out1 || fail "PasswordChangeNotify status"
ok "exports load; InitializeChangeNotify TRUE; PasswordFilter TRUE; notify 0"
grep -q 'notify: account=alice id=[0-9a-f]\{32\} spooled' "$LOG" ||
	fail "notify did not spool"
if grep -q 'client_p12 cannot be imported' "$LOG"; then
	[ "$(spool_count)" -eq 1 ] || fail "ECDSA: the entry must stay"
	no_password "$SPOOL"/*.bin
	! grep -q '"/v1/password"' "$REC" 2>/dev/null ||
		fail "ECDSA: sent without a client certificate"
	ok "ECDSA client key: wine cannot import it; change spooled" \
		"(encrypted), nothing sent, reason logged"
	echo "NOTE: wine's PFXImportCertStore refuses ECDSA keys; the" \
		"delivery cases below use an RSA client key"
	rm -f "$SPOOL"/*.bin
else
	[ "$DRC" -eq 0 ] || fail "ECDSA: not delivered"
	check_capture alice
	ok "ECDSA client key: delivered"
fi

# --- 2. Delivery with the client certificate.
set_hook rsa
: > "$REC"
driver out2 20 alice
[ "$DRC" -eq 0 ] && grep -qx 'spool=0' out2 || fail "not delivered: $(cat out2)"
check_capture alice
grep -q '"/v1/heartbeat"' "$REC" || fail "no heartbeat"
python3 - "$REC" <<'EOF' || fail "heartbeat body"
import json, sys
hb = [json.loads(l)["body"] for l in open(sys.argv[1]) if '"/v1/heartbeat"' in l]
b = hb[0]
assert b["v"] == 1 and isinstance(b["spooled"], int) and b["version"]
assert isinstance(b["last_change"], int), b
EOF
ok "delivered over mutual TLS: account, password exact, committed, notify, CN=DC1; heartbeat"

# --- 3. Receiver down: the entry stays, encrypted; delivered once it is back.
stop_stub
driver out3 3 bob
[ "$DRC" -eq 3 ] && grep -qx 'spool=1' out3 || fail "receiver down: $(cat out3)"
[ "$(spool_count)" -eq 1 ] || fail "receiver down: entry missing"
no_password "$SPOOL"/*.bin
grep -q 'receiver unreachable' "$LOG" || fail "no unreachable log line"
ok "receiver down: entry kept in the spool, encrypted"
# Now a driver waits while the receiver comes back: the sender's backoff
# retry delivers it (no new change).
"$WINE" "$DRIVER" "$(winpath "$DLL")" --wait 30 > out4 2> out4.err &
DPID=$!
sleep 3
start_stub srv "$PORT"
DRC=0
wait "$DPID" || DRC=$?
quiet < out4.err
tr -d '\r' < out4 > out4.tmp && mv out4.tmp out4
[ "$DRC" -eq 0 ] && grep -qx 'spool=0' out4 || fail "not delivered after restart: $(cat out4)"
check_capture bob
ok "receiver back: the spooled change was delivered by the retry"

# --- 4. An impostor receiver (certificate from another CA).
stop_stub
: > "$REC"
start_stub srv2 "$PORT"
driver out5 5 carol
grep -qx 'spool=1' out5 || fail "impostor: $(cat out5)"
grep -q 'receiver certificate refused: chain not trusted by ca_cert' "$LOG" ||
	fail "impostor: no refusal logged"
python3 - "$REC" <<'EOF' || fail "impostor received a body"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
bad = [r for r in rows if r["body_len"] != 0 or r["body"] is not None]
assert not bad, bad
print("impostor saw %d body-less request(s)" % len(rows))
EOF
no_password "$SPOOL"/*.bin "$REC"
ok "impostor receiver: nothing delivered, entry kept"
stop_stub
start_stub srv "$PORT"
driver out6 20
[ "$DRC" -eq 0 ] || fail "after the impostor: not delivered: $(cat out6)"
check_capture carol
ok "the kept entry went to the real receiver afterwards"

# --- 5. No password in the log, nor in what the driver printed.
no_password "$DATA"/pwfilter.log* out1 out2 out3 out4 out5 out6
ok "no password in pwfilter.log or the driver's output"

# --- 6. adsync's own receiver: the hook file of `hook enroll --rsa`.
if [ -n "$ADSYNC" ]; then
	stop_stub
	A=$T/adsync
	mkdir -m 700 "$A"
	# A fixed free port: the hook file names it before the daemon runs.
	APORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	umask 077
	printf 'secret' > "$A/rs.key"
	{
		echo "[ad]"
		echo "uri = ldaps://127.0.0.1:1"
		echo "base_dn = DC=example,DC=test"
		echo "[rackspace]"
		echo "api_url = https://127.0.0.1:1/v1"
		echo "user_key = pwfilterTestKey1"
		echo "secret_key_file = $A/rs.key"
		echo "[sync]"
		echo "state_dir = $A/state"
		echo "[daemon]"
		echo "hook_listen = 127.0.0.1:$APORT"
		echo "hook_names = localhost"
		# No console: this daemon runs in the host's network namespace,
		# where 127.0.0.1:8080 may be anyone's.
		echo "web_listen ="
	} > "$A/adsync.conf"
	umask 022
	"$ADSYNC" -c "$A/adsync.conf" hook enroll DC1 --rsa -o "$T/hook_adsync.txt" \
	    > "$A/enroll.out" 2>&1 || { cat "$A/enroll.out"; fail "hook enroll --rsa"; }
	"$ADSYNC" -c "$A/adsync.conf" daemon --allow-root > "$A/daemon.log" 2>&1 &
	ADSYNC_PID=$!
	i=0
	until grep -q "hook receiver: listening" "$A/daemon.log"; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$ADSYNC_PID" 2>/dev/null; then
			cat "$A/daemon.log"
			fail "adsync's receiver did not start"
		fi
		sleep 0.1
	done
	set_hook adsync
	driver out7 20 erin
	if [ "$DRC" -ne 0 ] || ! grep -qx 'spool=0' out7; then
		cat "$A/daemon.log"
		fail "adsync's receiver: not delivered: $(cat out7)"
	fi
	grep -q "queued capture [0-9a-f]\{32\} from DC1 for erin (notify)" "$A/daemon.log" ||
	    { cat "$A/daemon.log"; fail "adsync's receiver: capture not queued"; }
	"$ADSYNC" -c "$A/adsync.conf" hook status --json > "$A/status.json"
	python3 - "$A/status.json" <<'PY' || fail "hook status after the capture"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["queued"] == 1, d
dc = d["dcs"][0]
assert dc["dc"] == "DC1" and dc["captures"] == 1 and dc["state"] == "ok", dc
PY
	no_password "$A/daemon.log" "$A/state"/pw.db* out7
	ok "adsync's own receiver: the DLL's change is queued (RSA key from hook enroll --rsa); heartbeat recorded"
fi
echo "PASS"

#!/bin/sh
# adsync-pwhook (hooks/samba) against pwhook_stub.py, a mutual-TLS HTTPS
# stand-in for adsync's receiver, with certificates made here by openssl
# (ECDSA P-256): the check-password mode delivers at once; with the
# receiver down it spools an encrypted entry that `--sender --once`
# delivers later; 503 keeps an entry, 400 drops it; a client certificate
# of another CA is refused by the stub and the entry kept; a server
# certificate of another CA is refused by the hook before any body is
# sent; --syncpasswords answers DONE-EXIT: 0 first and delivers a committed
# change; no password ever appears in the hook's output or in the spool.
# The check-password mode applies the domain's complexity rule first: a
# weak password (too few categories, the account name, a display name
# token, not UTF-8) exits 1 and is neither spooled nor sent, also with a
# broken hook file or command line; a strong one is still delivered.
# Exits 77 when python3 or openssl is missing. SHOWLOG=1 prints the hook's
# output even when every check passes.
# Usage: test_pwhook.sh ADSYNC_PWHOOK PWHOOK_MKFILE PWHOOK_STUB_PY
set -u
HOOK=$1
MKFILE=$2
STUB=$3
command -v python3 >/dev/null 2>&1 || { echo "python3 not installed"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "openssl not installed"; exit 77; }

T=$(mktemp -d) || exit 1
STUB_PID=
STUB2_PID=
SENDER_PID=
# The secrets audit (tests/audit): every password the test gave the hook,
# then $T without the stub's records, the list of passwords and the
# syncpasswords input (ldif: Samba's side, the password in base64).
AUDIT_HOME=$(dirname "$STUB")/../audit
# shellcheck source=tests/audit/audit.sh
. "$AUDIT_HOME/audit.sh"
audit_pwhook() {
	n=0
	while IFS= read -r pw; do
		n=$((n + 1))
		audit_secret "pwhook/password-$n" "$pw"
	done <"$T/passwords"
	for pw in "${LONG:-}" "${LONG2:-}" "${LONG3:-}"; do
		n=$((n + 1))
		audit_secret "pwhook/password-$n" "$pw"
	done
	audit_keep work "$T" passwords rec rec2 ldif
}
cleanup() {
	for p in $SENDER_PID $STUB_PID $STUB2_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ ! -f "$T/passwords" ] || audit_pwhook
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# ---- certificates -------------------------------------------------------
cd "$T" || exit 1
mkdir pki && cd pki || exit 1
ossl() { openssl "$@" >>"$T/openssl.log" 2>&1 || { echo "openssl $1 failed" >&2; cat "$T/openssl.log" >&2; exit 1; }; }
mkkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
# mkca NAME
mkca() {
	mkkey "$1.key"
	ossl req -x509 -new -key "$1.key" -subj "/CN=$1" -days 2 -out "$1.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign"
}
# mkcert NAME CA CN EXTFILE-TEXT
mkcert() {
	mkkey "$1.key"
	ossl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
	printf '%s\n' "$4" >"$1.ext"
	ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
	    -CAcreateserial -days 2 -out "$1.pem" -extfile "$1.ext"
}
SRV_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
CLI_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
mkca ca
mkca other
mkcert server ca localhost "$SRV_EXT"
mkcert client ca DC1 "$CLI_EXT"
mkcert fclient other DC1 "$CLI_EXT"
mkcert fserver other localhost "$SRV_EXT"
for n in ca client fclient; do
	ossl x509 -in "$n.pem" -outform DER -out "$n.der"
done
for n in client fclient; do
	ossl pkcs8 -topk8 -nocrypt -in "$n.key" -outform DER -out "$n.key.der"
	ossl pkcs12 -export -in "$n.pem" -inkey "$n.key" -passout pass: \
	    -out "$n.p12"
done
cd "$T" || exit 1

# ---- the stubs ----------------------------------------------------------
mkdir rec rec2
echo 202 >mode
# start_stub PIDVAR CERT RECDIR PORTFILE [PORT]
start_stub() {
	rm -f "$4"
	python3 "$STUB" pki/ca.pem "pki/$2.pem" "pki/$2.key" "$T/mode" "$3" \
	    "$4" ${5:-} 2>>"$T/stub.log" &
	eval "$1=\$!"
	i=0
	while [ ! -s "$4" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$4" ] || { echo "stub did not start" >&2; cat "$T/stub.log" >&2; exit 1; }
}
start_stub STUB_PID server rec port
PORT=$(cat port)
start_stub STUB2_PID fserver rec2 port2
PORT2=$(cat port2)

"$MKFILE" hf DC1 "https://127.0.0.1:$PORT" pki/ca.der pki/client.der \
    pki/client.key.der pki/client.p12 || exit 1
"$MKFILE" hf-foreign-client DC1 "https://127.0.0.1:$PORT" pki/ca.der \
    pki/fclient.der pki/fclient.key.der pki/fclient.p12 || exit 1
"$MKFILE" hf-foreign-server DC1 "https://localhost:$PORT2" pki/ca.der \
    pki/client.der pki/client.key.der pki/client.p12 || exit 1
[ "$(stat -c %a hf)" = 600 ] && ok || bad "hook file mode $(stat -c %a hf)"

ALLPW="$T/passwords"
: >"$ALLPW"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# hook_cp SPOOL PASSWORD [HOOKFILE]: the check-password mode as Samba runs
# it (SAMBA_CPS_FULL_NAME from $CPS_FULL when set); sets RC and MS
# (elapsed).
hook_cp() {
	printf '%s\n' "$2" >>"$ALLPW"
	t0=$(now_ms)
	printf '%s' "$2" | env SAMBA_CPS_ACCOUNT_NAME=alice \
	    SAMBA_CPS_USER_PRINCIPAL_NAME=alice@example.test \
	    ${CPS_FULL:+"SAMBA_CPS_FULL_NAME=$CPS_FULL"} \
	    "$HOOK" -c "${3:-hf}" --spool "$1" 2>>"$T/hook.err"
	RC=$?
	MS=$(($(now_ms) - t0))
}
# logged PATTERN: the hook's output since the last mark() matches.
mark() { MARK=$(wc -c <"$T/hook.err" 2>/dev/null || echo 0); }
logged() { tail -c +$((MARK + 1)) "$T/hook.err" | grep -q "$1"; }
entries() { ls "$1" 2>/dev/null | grep -cE '^[0-9a-f]{32}$'; }
lines() { [ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }
# check_last FILE key=value...: the last JSON body of FILE has these fields
# (values compared as JSON text: strings quoted, true/false bare).
check_last() {
	f=$1
	shift
	python3 - "$f" "$@" <<'PY'
import json, sys
body = json.loads(open(sys.argv[1], "rb").read().splitlines()[-1])
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    want = json.loads(v)
    if body.get(k) != want:
        print("field %s: got %r, want %r" % (k, body.get(k), want))
        sys.exit(1)
PY
}

# ---- 1. check-password delivers at once ----------------------------------
PW1='Pässwörd1€'
hook_cp sp1 "$PW1"
[ $RC -eq 0 ] && ok || bad "check-password: exit $RC"
[ $MS -lt 2000 ] && ok || bad "check-password took $MS ms"
echo "check-password: spooled, delivered and answered in $MS ms"
[ "$(lines rec/password.jsonl)" = 1 ] && ok || bad "stub got $(lines rec/password.jsonl) bodies, wanted 1"
check_last rec/password.jsonl 'account="alice"' \
    'upn="alice@example.test"' "password=\"$PW1\"" \
    'committed=false' 'source="check-password"' 'v=1' &&
    ok || bad "check-password body"
[ "$(entries sp1)" = 0 ] && ok || bad "delivered entry left in the spool"
[ "$(stat -c %a sp1)" = 700 ] && ok || bad "spool mode $(stat -c %a sp1)"
[ "$(stat -c %a sp1/spool.key)" = 600 ] && ok || bad "spool.key mode"
[ "$(stat -c %s sp1/spool.key)" = 32 ] && ok || bad "spool.key size"

# ---- 1b. the domain's complexity rule ----------------------------------
# weak SPOOL PASSWORD WHY LOGPATTERN [HOOKFILE]: exit 1, nothing sent or
# spooled, one line naming the account and the rule.
weak() {
	n0=$(lines rec/password.jsonl)
	mark
	hook_cp "$1" "$2" "${5:-hf}"
	[ $RC -eq 1 ] && ok || bad "$3: exit $RC, wanted 1"
	[ "$(lines rec/password.jsonl)" = "$n0" ] && ok || bad "$3: a body was sent"
	[ "$(entries "$1")" = 0 ] && ok || bad "$3: spooled"
	logged "account=alice: password refused by the domain's complexity rule: $4" &&
	    ok || bad "$3: no log line naming the account and the rule"
}
weak spw1 simple "simple" "characters from 1 of the 5 categories"
weak spw2 'xalice1A!' "account name" "it contains the account name"
CPS_FULL='Erin M. Hagens' weak spw3 'Hagens#2024x' "display name" \
    "it contains a part of the user's display name"
weak spw4 "$(printf 'Ab1!\377')" "not UTF-8" "it is not valid UTF-8"
weak spw5 'Pässwörd€€' "euro is no symbol" "characters from 2 of"
# A 2-character token of the display name is ignored; the password still
# goes out.
n0=$(lines rec/password.jsonl)
CPS_FULL='Al Bo' hook_cp spw6 'Al-Bo-2024x'
[ $RC -eq 0 ] && [ "$(lines rec/password.jsonl)" = $((n0 + 1)) ] &&
    ok || bad "short display name tokens: exit $RC"
# The rule does not depend on the hook file: a missing one refuses a weak
# password all the same, and accepts (and spools) a strong one.
weak spw7 simple "missing hook file" "characters from 1" "$T/no-such-file"
hook_cp spw8 'Strong-Pass8' "$T/no-such-file"
[ $RC -eq 0 ] && [ "$(entries spw8)" = 1 ] && ok ||
    bad "missing hook file, strong password: exit $RC, $(entries spw8) entries"
# Nor on the command line: a broken one still checks, and captures nothing.
for pw in simple 'Strong-Pass9'; do
	printf '%s\n' "$pw" >>"$ALLPW"
	printf '%s' "$pw" | SAMBA_CPS_ACCOUNT_NAME=alice "$HOOK" --bogus \
	    2>>"$T/hook.err"
	RC=$?
	want=0
	[ "$pw" = simple ] && want=1
	[ $RC -eq $want ] && ok || bad "bad command line, $pw: exit $RC, wanted $want"
done
# A strong password right after the weak ones is delivered as before.
n0=$(lines rec/password.jsonl)
hook_cp spw10 'Strong-Pass10'
[ $RC -eq 0 ] && ok || bad "strong password: exit $RC"
[ "$(lines rec/password.jsonl)" = $((n0 + 1)) ] && ok || bad "strong password not delivered"
check_last rec/password.jsonl 'password="Strong-Pass10"' && ok ||
    bad "strong password body"

# ---- 2. receiver down: spooled encrypted, the sender delivers later ------
kill "$STUB_PID"; wait "$STUB_PID" 2>/dev/null; STUB_PID=
PW2='Down-Time#2024'
hook_cp sp2 "$PW2"
[ $RC -eq 0 ] && ok || bad "receiver down: exit $RC"
[ $MS -lt 2000 ] && ok || bad "receiver down: took $MS ms"
[ "$(entries sp2)" = 1 ] && ok || bad "receiver down: $(entries sp2) spool entries, wanted 1"
grep -rqaF "$PW2" sp2 && bad "password in clear in the spool" || ok
grep -rqa 'alice' sp2 && bad "account in clear in the spool" || ok
start_stub STUB_PID server rec port "$PORT"
"$HOOK" -c hf --spool sp2 --sender --once 2>>"$T/hook.err"
RC=$?
[ $RC -eq 0 ] && ok || bad "sender --once: exit $RC"
[ "$(entries sp2)" = 0 ] && ok || bad "sender left $(entries sp2) entries"
check_last rec/password.jsonl "password=\"$PW2\"" 'committed=false' &&
    ok || bad "sender: body"
check_last rec/heartbeat.jsonl 'v=1' 'spooled=0' && ok || bad "heartbeat"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1],"rb").read().splitlines()[-1]); sys.exit(0 if sorted(d)==["last_change","spooled","v","version"] and d["last_change"]>0 else 1)' rec/heartbeat.jsonl &&
    ok || bad "heartbeat fields or last_change"

# ---- 3. 503 keeps the entry; it goes once the receiver takes it ----------
echo 503 >mode
PW3='Busy-Receiver3'
n0=$(lines rec/password.jsonl)
hook_cp sp3 "$PW3"
[ $RC -eq 0 ] && ok || bad "503: exit $RC"
[ "$(lines rec/password.jsonl)" = $((n0 + 1)) ] && ok || bad "503: no attempt"
[ "$(entries sp3)" = 1 ] && ok || bad "503: entry not kept"
"$HOOK" -c hf --spool sp3 --sender --once 2>>"$T/hook.err"
RC=$?
[ $RC -eq 1 ] && ok || bad "503: sender --once exit $RC, wanted 1"
[ "$(entries sp3)" = 1 ] && ok || bad "503: sender dropped the entry"
echo 202 >mode
"$HOOK" -c hf --spool sp3 --sender --once 2>>"$T/hook.err"
RC=$?
[ $RC -eq 0 ] && [ "$(entries sp3)" = 0 ] && ok || bad "503 then 202: exit $RC, $(entries sp3) left"

# ---- 4. 400 drops the entry and logs the receiver's message --------------
echo 400 >mode
PW4='Refused-By-Stub4'
hook_cp sp4 "$PW4"
[ $RC -eq 0 ] && ok || bad "400: exit $RC"
[ "$(entries sp4)" = 0 ] && ok || bad "400: entry kept"
grep -q 'rejected by the stub' "$T/hook.err" && ok || bad "400: message not logged"
echo 202 >mode

# ---- 5. "refuse": the connection drops without an answer: kept -----------
echo refuse >mode
hook_cp sp5 'Dropped-Conn5x'
[ $RC -eq 0 ] && [ "$(entries sp5)" = 1 ] && ok || bad "refuse: exit $RC, $(entries sp5) entries"
echo 202 >mode

# ---- 6. a client certificate from another CA is refused by the stub ------
n0=$(lines rec/password.jsonl)
hook_cp sp6 'Foreign-Client6' hf-foreign-client
[ $RC -eq 0 ] && ok || bad "foreign client: exit $RC"
[ "$(lines rec/password.jsonl)" = "$n0" ] && ok || bad "foreign client: body reached the stub"
[ "$(entries sp6)" = 1 ] && ok || bad "foreign client: entry not kept"

# ---- 7. a server certificate from another CA: the hook sends nothing -----
hook_cp sp7 'Foreign-Server7' hf-foreign-server
[ $RC -eq 0 ] && ok || bad "foreign server: exit $RC"
[ "$(lines rec2/password.jsonl)" = 0 ] && ok || bad "foreign server: a body reached it"
[ "$(entries sp7)" = 1 ] && ok || bad "foreign server: entry not kept"
grep -qiE 'certificate|SSL' "$T/hook.err" && ok || bad "foreign server: no TLS error logged"

# ---- 8. a hook file with a loose mode: logged, still exit 0, spooled -----
cp hf hf-loose && chmod 644 hf-loose
hook_cp sp8 'Loose-Mode8' hf-loose
[ $RC -eq 0 ] && ok || bad "loose hook file: exit $RC"
grep -q 'chmod 600' "$T/hook.err" && ok || bad "loose hook file: no message naming the fix"
[ "$(entries sp8)" = 1 ] && ok || bad "loose hook file: not spooled"

# ---- 9. too long a password: checked, but nothing spooled or sent -------
# Longer than the 512 bytes adsync captures: still checked (a weak one
# exits 1); a strong one is accepted (0) but not captured. Beyond 4096
# bytes it cannot be checked (AD allows 256 characters): refused.
# long_pw BYTES PATTERN: a password of that size made of the pattern.
long_pw() { python3 -c 'import sys; n = int(sys.argv[1]); p = sys.argv[2]; print((p * n)[:n], end="")' "$1" "$2"; }
n0=$(lines rec/password.jsonl)
LONG=$(long_pw 600 x)
LONG2=$(long_pw 600 'Aa1!')
LONG3=$(long_pw 5000 'Aa1!')
for case in "$LONG:1" "$LONG2:0" "$LONG3:1"; do
	pw=${case%:*}
	want=${case##*:}
	printf '%s' "$pw" | SAMBA_CPS_ACCOUNT_NAME=bob "$HOOK" -c hf \
	    --spool sp9 2>>"$T/hook.err"
	RC=$?
	[ $RC -eq "$want" ] && [ "$(entries sp9)" = 0 ] &&
	    [ "$(lines rec/password.jsonl)" = "$n0" ] && ok ||
	    bad "long password (${#pw} bytes): exit $RC, wanted $want"
done
grep -q 'account=bob: password refused by the domain.s complexity rule' \
    "$T/hook.err" && ok || bad "long weak password: not logged"
grep -q 'account=bob: password longer than 512 bytes: password change not captured' \
    "$T/hook.err" && ok || bad "long strong password: not logged"
grep -q 'account=bob: password longer than 4096 bytes' "$T/hook.err" &&
    ok || bad "overlong password: not logged"

# ---- 10. --syncpasswords: DONE-EXIT first, committed=true ---------------
PW10='Sync€Pass10'
printf '%s\n' "$PW10" >>"$ALLPW"
B64PW=$(printf '%s' "$PW10" | base64 -w0)
cat >ldif <<LDIF
# Object 1/1 CN=carol,CN=Users,DC=example,DC=test
dn: CN=carol,CN=Users,DC=example,DC=test
objectGUID:: AAECAwQFBgcICQoLDA0ODw==
sAMAccountName: carol
userPrincipalName: carol@exam
 ple.test
pwdLastSet: 133500000000000000
virtualClearTextUTF8:: $B64PW

LDIF
out=$("$HOOK" -c hf --spool sp10 --syncpasswords <ldif 2>&1)
RC=$?
[ $RC -eq 0 ] && ok || bad "syncpasswords: exit $RC"
case $out in
"DONE-EXIT: 0"*) ok ;;
*) bad "syncpasswords: reply does not start with DONE-EXIT: 0: $out" ;;
esac
printf '%s\n' "$out" >>"$T/hook.err"
check_last rec/password.jsonl 'account="carol"' \
    'upn="carol@example.test"' "password=\"$PW10\"" 'committed=true' \
    'source="syncpasswords"' \
    'guid="03020100-0504-0706-0809-0a0b0c0d0e0f"' &&
    ok || bad "syncpasswords body"
[ "$(entries sp10)" = 0 ] && ok || bad "syncpasswords: entry left"

# No cleartext: ignored, still DONE-EXIT.
n0=$(lines rec/password.jsonl)
out=$(printf 'dn: CN=dave,DC=x\nsAMAccountName: dave\npwdLastSet: 1\n' |
    "$HOOK" -c hf --spool sp10 --syncpasswords 2>&1)
[ "$(printf '%s' "$out" | head -n1)" = "DONE-EXIT: 0" ] &&
    [ "$(lines rec/password.jsonl)" = "$n0" ] && ok || bad "no cleartext: $out"

# Receiver down and a warning to log: the reply still starts with DONE-EXIT.
out=$("$HOOK" -c hf-foreign-server --spool sp11 --syncpasswords <ldif 2>&1)
case $out in
"DONE-EXIT: 0"*) ok ;;
*) bad "syncpasswords with warnings: reply starts with: $out" ;;
esac
printf '%s\n' "$out" >>"$T/hook.err"
[ "$(entries sp11)" = 1 ] && ok || bad "syncpasswords: not spooled when down"

# ---- 11. the sender runs, heartbeats, and stops on SIGTERM ---------------
n0=$(lines rec/heartbeat.jsonl)
"$HOOK" -c hf --spool sp6 --sender 2>>"$T/hook.err" &
SENDER_PID=$!
sleep 1.5
kill -TERM "$SENDER_PID"
t0=$(now_ms)
wait "$SENDER_PID"
RC=$?
SENDER_PID=
[ $RC -eq 0 ] && ok || bad "sender after SIGTERM: exit $RC"
[ $(($(now_ms) - t0)) -lt 3000 ] && ok || bad "sender slow to stop"
[ "$(lines rec/heartbeat.jsonl)" -gt "$n0" ] && ok || bad "sender: no heartbeat"
# sp6's entry was spooled under the foreign-client file, but sealed with
# sp6's own key: the right certificate delivers it.
[ "$(entries sp6)" = 0 ] && ok || bad "sender: sp6 not delivered"

# ---- no password in any output -------------------------------------------
while IFS= read -r pw; do
	[ -n "$pw" ] || continue
	grep -qaF "$pw" "$T/hook.err" && bad "a password appears in the hook's output"
done <"$ALLPW"
for pw in "$LONG" "$LONG2" "$LONG3"; do
	grep -qaF "$pw" "$T/hook.err" && bad "a long password appears in the output"
done
ok

echo "$pass passed, $fail failed"
{ [ -z "${SHOWLOG:-}" ] && [ $fail -eq 0 ]; } || { echo "--- hook output:"; cat "$T/hook.err"; echo "--- stub log:"; tail -20 "$T/stub.log"; } >&2
[ $fail -eq 0 ]

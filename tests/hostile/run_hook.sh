#!/bin/bash
# Hostile hook traffic (tests/hostile/cases.md, category "hook"):
#   run_hook.sh ADSYNC SRCDIR
# The password receiver of `adsync daemon` (hook_listen, mutual TLS,
# docs/pwsync.md) gets what a broken or hostile client sends: no client
# certificate, one of another CA, a revoked or replaced DC, oversize and
# malformed bodies, a replayed capture, a wrong content type, a slow
# client. Each answer must name what is wrong and the fix, and after each
# case the daemon still runs, a good capture from an enrolled DC is still
# queued (202), and its log holds no password and no sanitizer report.
#
# No Samba and no API are needed: the receiver runs as soon as the API
# keys are set (the daemon waits for the rest of the set-up); captures are
# only queued. Skipped (77) without curl, openssl or python3.
# The case_*, inject_* and unaffected_* functions are called by name.
# shellcheck disable=SC2317
set -uo pipefail
ADSYNC=${1:?usage: run_hook.sh ADSYNC SRCDIR}
SRCDIR=${2:?usage: run_hook.sh ADSYNC SRCDIR}
for t in curl openssl python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is not installed"; exit 77; }
done
HW=$(mktemp -d "${TMPDIR:-/tmp}/hostile-hook.XXXXXX")
# shellcheck source=tests/hostile/hostile_lib.sh
. "$SRCDIR/tests/hostile/hostile_lib.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

DAEMON_PID=
SLOW_PID=
cleanup() {
	local rc=$?
	[ -z "$SLOW_PID" ] || { kill "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null; }
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	if [ -n "${KEEP_HOSTILE:-}" ]; then echo "kept $HW"; else rm -rf "$HW"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
CONF=$HW/adsync.conf
(umask 077; printf 'hostile-secret-key-0001' > "$HW/rs-secret.key")
cat > "$CONF" <<EOF
# run_hook.sh: the receiver alone (API keys set, no AD yet)
[rackspace]
api_url = https://127.0.0.1:9/v1
user_key = hostileUserKey01
secret_key_file = $HW/rs-secret.key

[sync]
state_dir = $HW/state

[daemon]
hook_listen = 127.0.0.1:$PORT
hook_names = localhost
web_listen =
EOF

# The PEM files of a hook file's DER values (ca_cert, client_cert,
# client_key) into DIR.
hook_pems() {	# HOOKFILE DIR
	mkdir -p "$2"
	sed -n 's/^ca_cert = //p' "$1" | base64 -d | openssl x509 -inform DER -out "$2/ca.pem"
	sed -n 's/^client_cert = //p' "$1" | base64 -d | openssl x509 -inform DER -out "$2/dc.pem"
	sed -n 's/^client_key = //p' "$1" | base64 -d | openssl pkey -inform DER -out "$2/dc.key" 2>/dev/null
	chmod 600 "$2/dc.key"
}

for dc in DC1 DC2 DC3; do
	"$ADSYNC" -c "$CONF" hook enroll "$dc" -o "$HW/$dc.hook" > "$HW/enroll.out" 2>&1 ||
	    { cat "$HW/enroll.out"; echo "FAIL: hook enroll $dc"; exit 1; }
	hook_pems "$HW/$dc.hook" "$HW/$dc"
done
# DC3's first certificate, then a new enrolment: the old one is replaced.
cp -r "$HW/DC3" "$HW/DC3-old"
"$ADSYNC" -c "$CONF" hook enroll DC3 -o "$HW/DC3.hook" > /dev/null 2>&1 || { echo "FAIL: re-enrol DC3"; exit 1; }
# A client certificate from a CA of our own.
mkdir -p "$HW/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=DC1 -keyout "$HW/other/dc.key" -out "$HW/other/dc.pem" 2>/dev/null

"$ADSYNC" -c "$CONF" -v daemon --allow-root > "$HW/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 200); do
	curl -s -o /dev/null --cacert "$HW/DC1/ca.pem" "https://localhost:$PORT/" 2>/dev/null && break
	kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$HW/daemon.log"; echo "FAIL: the daemon died at start"; exit 1; }
	sleep 0.05
done

newid() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
now_ms() { date +%s%3N; }
capture() {	# ID ACCOUNT PASSWORD: a capture body
	printf '{"v":1,"id":"%s","source":"check-password","committed":false,"account":"%s","password":"%s","captured":%s}' \
	    "$1" "$2" "$3" "$(now_ms)"
}

# post WHO PATH [CURL ARGS...]: one request to the receiver as WHO (a
# directory with dc.pem/dc.key, or "none"); writes "HTTP <code> <body>"
# (000: no HTTP answer, then curl's error) to $HOUT.
post() {
	local who=$1 path=$2 code
	shift 2
	local cert=()
	rm -f "$HW/body"
	[ "$who" = none ] || cert=(--cert "$HW/$who/dc.pem" --key "$HW/$who/dc.key")
	code=$(curl -s -S -o "$HW/body" -w '%{http_code}' --max-time 10 \
	    --cacert "$HW/DC1/ca.pem" "${cert[@]}" "$@" \
	    "https://localhost:$PORT$path" 2> "$HW/curl.err")
	[ -f "$HW/body" ] || : > "$HW/body"
	printf 'HTTP %s %s %s\n' "${code:-000}" "$(tr '\n' ' ' < "$HW/body")" \
	    "$(tr '\n' ' ' < "$HW/curl.err")" >> "$HOUT"
}
json_post() {	# WHO BODY [CURL ARGS...]
	local who=$1 body=$2
	shift 2
	printf '%s' "$body" > "$HW/req.json"
	post "$who" /v1/password -H 'Content-Type: application/json' \
	    --data-binary @"$HW/req.json" "$@"
}

# ---- the cases (one function per row of cases.md) -------------------------
case_hook_no_client_cert() { json_post none "$(capture "$(newid)" alice 'NoCert-Passw0rd!')"; }
case_hook_other_ca_cert() { json_post other "$(capture "$(newid)" alice 'OtherCA-Passw0rd!')"; }
case_hook_revoked_dc() {
	"$ADSYNC" -c "$CONF" hook revoke DC2 > /dev/null 2>&1
	json_post DC2 "$(capture "$(newid)" alice 'Revoked-Passw0rd!')"
}
case_hook_replaced_cert() { json_post DC3-old "$(capture "$(newid)" alice 'Replaced-Passw0rd!')"; }
# Expect: 100-continue, so that curl waits for the early answer instead of
# writing the body into a connection the receiver has closed (a race that
# ends in "Broken pipe" and no answer read).
case_hook_oversize_declared() {
	head -c 100000 /dev/zero | tr '\0' ' ' > "$HW/big.json"
	post DC1 /v1/password -H 'Content-Type: application/json' \
	    -H 'Expect: 100-continue' --data-binary @"$HW/big.json"
}
case_hook_oversize_chunked() {
	head -c 100000 /dev/zero | tr '\0' ' ' > "$HW/big.json"
	post DC1 /v1/password -H 'Content-Type: application/json' \
	    -H 'Expect: 100-continue' -H 'Transfer-Encoding: chunked' \
	    --data-binary @"$HW/big.json"
}
case_hook_garbage_json() { json_post DC1 'this is not { json'; }
case_hook_truncated_json() { json_post DC1 "$(capture "$(newid)" alice 'Trunc-Passw0rd!' | head -c 60)"; }
case_hook_wrong_field_type() { json_post DC1 "$(capture "$(newid)" alice 'Type-Passw0rd!' | sed 's/"v":1/"v":"1"/')"; }
case_hook_bad_id() { json_post DC1 "$(capture "NOT-A-HEX-ID" alice 'BadId-Passw0rd!')"; }
case_hook_invalid_utf8_password() {
	# The password field holds the bytes ff fe: not UTF-8.
	capture "$(newid)" alice 'Bad' > "$HW/u.json"
	python3 - "$HW/u.json" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read().replace(b'"password":"Bad"', b'"password":"Bad\xff\xfeUtf8"')
open(p, "wb").write(b)
PY
	post DC1 /v1/password -H 'Content-Type: application/json' --data-binary @"$HW/u.json"
}
case_hook_deep_nesting() {
	python3 -c 'print("[" * 4000 + "]" * 4000, end="")' > "$HW/deep.json"
	post DC1 /v1/password -H 'Content-Type: application/json' --data-binary @"$HW/deep.json"
}
case_hook_unknown_field() { json_post DC1 "$(capture "$(newid)" alice 'Unknown-Passw0rd!' | sed 's/^{/{"admin":true,/')"; }
case_hook_duplicate_field() { json_post DC1 "$(capture "$(newid)" alice 'Dup-Passw0rd!' | sed 's/^{/{"account":"root",/')"; }
REPLAY_ID=
case_hook_replayed_capture() {
	REPLAY_ID=$(newid)
	capture "$REPLAY_ID" alice 'Replay-Passw0rd!' > "$HW/replay.json"
	post DC1 /v1/password -H 'Content-Type: application/json' --data-binary @"$HW/replay.json"
	: > "$HOUT.first"; mv "$HOUT" "$HOUT.first"; : > "$HOUT"
	post DC1 /v1/password -H 'Content-Type: application/json' --data-binary @"$HW/replay.json"
}
case_hook_wrong_content_type() {
	capture "$(newid)" alice 'Ctype-Passw0rd!' > "$HW/ct.json"
	post DC1 /v1/password -H 'Content-Type: text/plain' --data-binary @"$HW/ct.json"
}
# What some HTTP stacks send: the type with a charset parameter (accepted).
case_hook_content_type_charset() {
	capture "$(newid)" alice 'Charset-Passw0rd!' > "$HW/cs.json"
	post DC1 /v1/password -H 'Content-Type: Application/JSON; charset="UTF-8"' \
	    --data-binary @"$HW/cs.json"
}
# No Content-Type at all ("Content-Type:" makes curl send none).
case_hook_no_content_type() {
	capture "$(newid)" alice 'NoCtype-Passw0rd!' > "$HW/nct.json"
	post DC1 /v1/password -H 'Content-Type:' --data-binary @"$HW/nct.json"
}
case_hook_get_method() { post DC1 /v1/password; }
case_hook_unknown_path() { post DC1 /v1/../etc/passwd --path-as-is -X POST -d '{}'; }
case_hook_plain_http() {
	local code
	code=$(curl -s -S -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://localhost:$PORT/v1/password" -d '{}' 2> "$HW/curl.err")
	printf 'HTTP %s %s\n' "${code:-000}" "$(tr '\n' ' ' < "$HW/curl.err")" >> "$HOUT"
}
# The receiver answers 431 and closes while curl may still be sending the
# 70 KB: on a busy machine curl then fails to send ("Broken pipe",
# "Connection reset") before it reads the answer. Such a try says nothing
# either way and is made again (at most 5), the answer must still be 431.
case_hook_huge_header() {
	local i last
	for i in 1 2 3 4 5; do
		json_post DC1 "$(capture "$(newid)" alice 'Header-Passw0rd!')" -H "X-Pad: $(head -c 70000 /dev/zero | tr '\0' a)"
		last=$(tail -n 1 "$HOUT")
		case $last in
		"HTTP 000 "*"Send failure"*|"HTTP 000 "*"Connection reset"*|"HTTP 000 "*"Broken pipe"*)
			[ "$i" = 5 ] || sed -i '$d' "$HOUT" ;;
		*) break ;;
		esac
	done
}
case_hook_slow_client() {
	# Clients at another address (127.0.0.2) that open TLS connections,
	# send half a request line and wait (as many as the receiver allows
	# one address, 8); meanwhile a good capture must be answered at once.
	python3 - "$PORT" "$HW/DC1" > "$HW/slow.log" 2>&1 <<'PY' &
import socket, ssl, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=d + "/ca.pem")
ctx.load_cert_chain(d + "/dc.pem", d + "/dc.key")
conns = []
for _ in range(8):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0)), server_hostname="localhost")
    s.sendall(b"POST /v1/pass")
    conns.append(s)
print("holding", len(conns), flush=True)
time.sleep(30)
PY
	SLOW_PID=$!
	for _ in $(seq 1 50); do grep -q holding "$HW/slow.log" 2>/dev/null && break; sleep 0.1; done
	local t0 t1
	t0=$(date +%s%N)
	json_post DC1 "$(capture "$(newid)" alice 'WhileSlow-Passw0rd!')"
	t1=$(date +%s%N)
	sed -i "s/\$/ (answered in $(( (t1 - t0) / 1000000 )) ms while 8 slow clients hold connections)/" "$HOUT"
	kill "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null; SLOW_PID=
}
case_hook_heartbeat_garbage() {
	printf '{"v":1,"version":"x","spooled":-5,"last_change":"soon"}' > "$HW/hb.json"
	post DC1 /v1/heartbeat -H 'Content-Type: application/json' --data-binary @"$HW/hb.json"
}

# ---- what must be unaffected ------------------------------------------------
unaffected_daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null || { echo "     the daemon died"; tail -20 "$HW/daemon.log"; return 1; }; }
unaffected_good_capture() {	# an enrolled DC's capture is still queued
	local save=$HOUT out
	HOUT=$HW/good.out
	: > "$HOUT"
	json_post DC1 "$(capture "$(newid)" bob 'Good-Passw0rd-9')"
	out=$(cat "$HOUT")
	HOUT=$save
	[[ $out == "HTTP 202 "* ]] || { echo "     a good capture afterwards: $out"; return 1; }
}
unaffected_no_sanitizer() { h_sanitizer "$HW/daemon.log"; }
unaffected_no_password_in_log() {	# the case's password never in the log
	local p
	for p in NoCert OtherCA Revoked Replaced Trunc Type BadId Unknown Dup Replay Ctype Charset NoCtype Header WhileSlow Good; do
		if grep -q -- "$p-Passw0rd" "$HW/daemon.log"; then
			echo "     a test password ($p-Passw0rd...) is in the daemon's log"
			return 1
		fi
	done
	! grep -qa 'Bad.*Utf8' "$HW/daemon.log" || { echo "     the invalid password is in the log"; return 1; }
}
unaffected_first_was_queued() {	# the replay: the first copy was queued
	grep -q '^HTTP 202 ' "$HOUT.first" || { echo "     first copy: $(cat "$HOUT.first")"; return 1; }
}

hostile_load hook
hostile_each hostile_check
kill -TERM "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=
echo "--- the daemon stopped: exit $rc"
ok=0
[ "$rc" = 0 ] || { echo "FAIL: the daemon did not stop cleanly (exit $rc)"; ok=1; }
h_sanitizer "$HW/daemon.log" || { echo "FAIL: sanitizer report in the daemon's log"; ok=1; }
hostile_finish || ok=1
[ -n "$HOSTILE_MUTATE" ] || grep 'hook receiver' "$HW/daemon.log" | sed 's/^/log: /' | head -40
exit $ok

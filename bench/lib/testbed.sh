# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # rsemu, work, KEY, srv_cpu, AD_* in; port, admin out
# Shared by the bench scripts that run rsemu and adsync against a testbed
# DC (bench/sync.sh, bench/daemon.sh); sourced inside their --inner part.
# A directory of its own, so that bench/run.sh (which runs bench/*.sh) does
# not take it for a benchmark.
#
# Needs: $rsemu (the binary), $work (the run's directory, with tls/ from
# tests/testbed/mkcert.sh and secret.key), $KEY (the user key), $srv_cpu
# (a taskset prefix or empty); the testbed's AD_* variables for
# bench_conf. Every process it starts is stopped by its PID.

# bench_env PIN: what every testbed benchmark sets up first. With PIN = 1
# on a machine of 2+ cores, rsemu runs on CPU 0 and the clients on the
# others (the real API runs on other machines; sets srv_cpu and cli_cpu,
# empty otherwise); TLS material in $work/tls, the API secret key in
# $work/secret.key (umask 077 from here on) and KEY, the user key.
bench_env() {
	srv_cpu="" cli_cpu=""
	if [ "${1:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
		srv_cpu="taskset -c 0" cli_cpu="taskset -c 1-$(($(nproc) - 1))"
	fi
	"$src/tests/testbed/mkcert.sh" "$work/tls" >/dev/null
	umask 077
	head -c 24 /dev/urandom | base64 > "$work/secret.key"
	KEY=benchUserKey0001
}

# bench_rsemu_start LOGSIZE: rsemu over TLS on loopback, --throttle off,
# request log of LOGSIZE entries (0: none), domains example.com,
# example.net and bench.example; ${BENCH_RSEMU_WRAP} (a profiler) in
# front. Sets rsemu_pid, port and admin (host:port of the admin API).
bench_rsemu_start() {
	rm -f "$work/ready"
	# shellcheck disable=SC2086 # the prefixes are words
	$srv_cpu ${BENCH_RSEMU_WRAP:-} "$rsemu" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	    --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server.key" \
	    --account 100001 --user-key "$KEY" --secret-key-file "$work/secret.key" \
	    --domain example.com:both --domain example.net:both \
	    --domain bench.example:both \
	    --throttle off --threads "$(nproc)" --request-log "${1:-0}" \
	    --ready-file "$work/ready" 2>"$work/rsemu.log" &
	rsemu_pid=$!
	for _ in $(seq 1 200); do
		[ -s "$work/ready" ] && break
		kill -0 "$rsemu_pid" 2>/dev/null || { cat "$work/rsemu.log" >&2; exit 1; }
		sleep 0.05
	done
	port=$(sed -n 's/^listen=.*:\([0-9]*\)$/\1/p' "$work/ready")
	admin=$(sed -n 's/^admin=//p' "$work/ready")
}

# bench_rsemu_stop: SIGTERM to the rsemu bench_rsemu_start started.
bench_rsemu_stop() {
	if [ -n "${rsemu_pid:-}" ]; then
		kill -TERM "$rsemu_pid" 2>/dev/null || true
		wait "$rsemu_pid" 2>/dev/null || true
	fi
	rsemu_pid=""
}

# bench_conf STATE_DIR MAX_IN_FLIGHT > FILE: the adsync.conf of a bench
# run against that rsemu (unpaced) and the testbed's service account.
bench_conf() {
	mkdir -p "$1"
	cat <<-EOF
	[ad]
	uri = $AD_URI
	base_dn = $AD_BASE_DN
	bind_dn = $AD_BIND_UPN
	bind_password_file = $AD_BIND_PASSWORD_FILE
	ca_file = $AD_CA

	[rackspace]
	api_url = https://127.0.0.1:$port/v1
	customer = 100001
	user_key = $KEY
	secret_key_file = $work/secret.key
	ca_file = $work/tls/ca.pem
	reads_per_minute = 1000000
	writes_per_minute = 1000000
	throttle_window = 1
	max_in_flight = $2

	[sync]
	exchange_group = CN=Hosted Exchange Users,OU=Groups,$AD_BASE_DN
	rackspace_email_group = CN=Rackspace Email Users,OU=Groups,$AD_BASE_DN
	domains = example.com example.net
	state_dir = $1
	max_deletes = 1000000
	EOF
}

# bench_conf_set FILE SECTION KEY VALUE: sets KEY in [SECTION] of an
# adsync.conf (replaced where it is, else added; the section too).
bench_conf_set() {
	awk -v sec="[$2]" -v key="$3" -v val="$4" '
	    /^\[/ {
		if (insec && !done) { print key " = " val; done = 1 }
		insec = ($0 == sec)
	    }
	    insec && $1 == key { if (!done) print key " = " val; done = 1; next }
	    { print }
	    END { if (!done) { if (!insec) print sec; print key " = " val } }' \
	    "$1" > "$1.new" && mv "$1.new" "$1"
}

# bench_rsemu_throttle SPEC: replaces the throttle of the rsemu that
# bench_rsemu_start started (rsemu(1) --throttle SPEC; its windows are
# cleared), e.g. get=60,write=30,domain=2,altdomain=2,window=6.
bench_rsemu_throttle() {
	curl -sf -o /dev/null -X POST --data-raw "$1" "http://$admin/_emu/throttle"
}

# bench_pwhook_install PWHOOK HOOKFILE SPOOL: makes the testbed DC run
# PWHOOK as its check password script (as tests/integration/test_pwsync.sh
# does) and restarts the DC ($AD_SAMBA_AD, $AD_DIR) until it answers.
bench_pwhook_install() {
	sed -i "s|^\[global\]\$|[global]\n\tcheck password script = $1 -c $2 --spool $3|" \
	    "$AD_DIR/etc/smb.conf"
	"$AD_SAMBA_AD" "$AD_DIR" stop >/dev/null
	"$AD_SAMBA_AD" "$AD_DIR" start >/dev/null
	"$AD_SAMBA_AD" "$AD_DIR" wait >/dev/null
}

#!/bin/bash
# Hostile API replies (tests/hostile/cases.md, category "api"), from rsemu's
# fault rules (docs/man/rsemu.1: reply, html_error, garbage, huge_body,
# truncate, wrong_type, drip), against a real Samba DC (the sample):
#   run_api.sh ADSYNC RSEMU SRCDIR
#
# "read" rows: one fault on the inventory reads of `adsync plan --json`
# (a fresh state, so the plan reads the service's index pages). A read
# that cannot be trusted stops the plan with an error naming the request
# and what was wrong with the answer; nothing is written, and the same
# plan without the fault lists every create. A fault the client is meant
# to retry (a 502 page once) is invisible: the plan is complete.
#
# "write" rows: faults on single writes of one `sync --once --json` from
# scratch; each object's alert must name it, the operation and what the
# service answered, and everything else is applied.
# The case_*, inject_* and unaffected_* functions are called by name.
# shellcheck disable=SC2317
SYNC_ORG=sample
# shellcheck source=tests/integration/sync_env.sh
. "$(dirname "$0")/../integration/sync_env.sh" "$@"
HW=$W/hostile
# shellcheck source=tests/hostile/hostile_lib.sh
. "$SRCDIR/tests/hostile/hostile_lib.sh"

D=/v1/customers/me/domains
IDX_EX="$D/example.com/ex/mailboxes"
faults() {	# JSON rules array
	emu_faults "{\"rules\":$1}" || { echo "     cannot set rsemu faults: $1"; return 1; }
}
fired() {	# how often rule N fired
	curl -sf "$EMU_ADMIN/_emu/faults" | python3 -c "import json,sys; print(json.load(sys.stdin)['rules'][$1]['fired'])"
}

# ---- reads: plan --json on a fresh state ------------------------------------
PLAN_N=0
plan_fresh() {	# the answer: stderr + the summary line, one per line
	PLAN_N=$((PLAN_N + 1))
	conf_set sync state_dir "$W/state-read-$PLAN_N"
	req_mark
	adsync_run plan --json
	PLAN_RC=$RC
	emu_requests
	cp "$W/reqs.txt" "$HW/plan$PLAN_N.reqs"
	{ cat "$W/err"; grep '"summary"' "$W/out"; echo "exit $RC"; } > "$HOUT"
	faults '[]'
}
read_case() {	# RULE-JSON
	faults "[$1]" && plan_fresh
}
case_api_index_truncated() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"truncate\",\"count\":0}"; }
case_api_index_wrong_type() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"wrong_type\",\"count\":0}"; }
case_api_index_garbage() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"garbage\",\"count\":0}"; }
case_api_index_html_200() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"reply\",\"status\":200,\"content_type\":\"text/html\",\"body\":\"<html><body>Please log in to the proxy</body></html>\",\"count\":0}"; }
case_api_index_empty_200() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"reply\",\"status\":200,\"body\":\"\",\"count\":0}"; }
case_api_index_array() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"reply\",\"status\":200,\"body\":\"[]\",\"count\":0}"; }
case_api_index_huge() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"huge_body\",\"bytes\":20000000,\"count\":0}"; }
case_api_index_html_502_always() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"html_error\",\"count\":0}"; }
case_api_index_html_502_once() { read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"html_error\",\"count\":1}"; }
case_api_index_total_lies() {
	read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"reply\",\"status\":200,\"body\":\"{\\\"mailboxes\\\":[],\\\"offset\\\":0,\\\"size\\\":250,\\\"total\\\":999999999}\",\"count\":0}"
}
case_api_dl_marker_loop() {
	# An empty page that always names the same next marker; 50 times,
	# then rsemu answers again.
	read_case "{\"method\":\"GET\",\"path\":\"$D/example.com/ex/distributionlists\",\"match\":\"prefix\",\"action\":\"reply\",\"status\":200,\"body\":\"{\\\"DistributionLists\\\":[],\\\"NextMarker\\\":\\\"same\\\",\\\"TotalCount\\\":4}\",\"count\":50}"
}
case_api_index_drip() {
	conf_set rackspace timeout 2
	conf_set rackspace connect_timeout 1
	conf_set rackspace max_retries 0
	read_case "{\"method\":\"GET\",\"path\":\"$IDX_EX\",\"match\":\"prefix\",\"action\":\"drip\",\"bytes\":1,\"ms\":500,\"count\":0}"
	conf_set rackspace timeout 10
	conf_set rackspace connect_timeout 5
	conf_set rackspace max_retries 2
}
case_api_read_final_message() { case_api_index_garbage; }

PLAN_CREATES=
unaffected_nothing_written() {
	[ "$(grep -vc '^GET ' "$HW/plan$PLAN_N.reqs")" = 0 ] || { echo "     the plan wrote"; return 1; }
}
unaffected_plan_refused() { [ "$PLAN_RC" = 1 ] || { echo "     plan exited $PLAN_RC, want 1"; return 1; }; }
unaffected_plan_complete() {	# the same creates as a plan without faults
	local n
	n=$(json_ops | grep -c '^create ')
	[ "$n" = "$PLAN_CREATES" ] || { echo "     $n creates, want $PLAN_CREATES"; return 1; }
}
unaffected_clean_plan_after() {	# without the fault, the full plan again
	local save=$HOUT
	HOUT=$HW/clean.out
	plan_fresh
	HOUT=$save
	unaffected_plan_complete
}
unaffected_few_dl_pages() {
	local n
	n=$(grep -c 'distributionlists' "$HW/plan$PLAN_N.reqs")
	[ "$n" -le 5 ] || { echo "     $n GETs of the list index for one repeated marker"; return 1; }
}
unaffected_no_sanitizer() { h_sanitizer "$W/err" "$W/rsemu.log"; }
# Retries as docs/target.md says: an answer that cannot be decoded is not
# retried (one GET of the index); a 5xx to a GET is, max_retries (2) times.
index_gets() { grep -c '^GET example.com/ex/mailboxes?' "$HW/plan$PLAN_N.reqs"; }
unaffected_not_retried() { [ "$(index_gets)" = 1 ] || { echo "     $(index_gets) GETs of the index, want 1 (not retried)"; return 1; }; }
unaffected_retried_twice() { [ "$(index_gets)" = 3 ] || { echo "     $(index_gets) GETs of the index, want 3 (max_retries = 2)"; return 1; }; }
unaffected_retried_once() { [ "$(index_gets)" = 2 ] || { echo "     $(index_gets) GETs of the index, want 2"; return 1; }; }

# ---- writes: one sync from scratch with a fault per object -----------------
M=$D/example.com/ex/mailboxes
R=$D/example.com/rs/mailboxes
WRITE_RULES="[
 {\"method\":\"POST\",\"path\":\"$M/alice.anderson\",\"action\":\"html_error\",\"count\":0},
 {\"method\":\"POST\",\"path\":\"$M/bob.baker\",\"action\":\"reply\",\"status\":400,\"body\":\"{\\\"badRequestFault\\\":{\\\"message\\\":\\\"Bad\\\\u001b[2J\\\\u001b[31m\\\\nInjected line\\\\r\\\\nX-Evil: 1 $(head -c 1500 /dev/zero | tr '\0' 'm')\\\",\\\"code\\\":400}}\",\"count\":0},
 {\"method\":\"POST\",\"path\":\"$M/carol.chen\",\"action\":\"garbage\",\"status\":400,\"count\":0},
 {\"method\":\"POST\",\"path\":\"$M/david.dunn\",\"action\":\"reply\",\"status\":200,\"content_type\":\"text/html\",\"body\":\"<html>Welcome to the hotel Wi-Fi</html>\",\"count\":1},
 {\"method\":\"POST\",\"path\":\"$R/uma.underwood\",\"action\":\"html_error\",\"count\":1},
 {\"method\":\"PUT\",\"path\":\"$D/example.com/ex/distributionlists/sales\",\"action\":\"reply\",\"status\":500,\"body\":\"{\\\"appsFault\\\":{\\\"message\\\":7,\\\"code\\\":\\\"500\\\"}}\",\"count\":0}
]"
WRITE_DONE=
write_sync() {
	[ -z "$WRITE_DONE" ] || return 0
	WRITE_DONE=1
	conf_set sync state_dir "$W/state-write"
	faults "$WRITE_RULES" || return 1
	req_mark
	adsync_run sync --once --json
	WRITE_RC=$RC
	cp "$W/out" "$HW/write.out"
	cp "$W/err" "$HW/write.err"
	alerts_load
	cp "$W/alerts.txt" "$HW/write.alerts"
	emu_requests
	cp "$W/reqs.txt" "$HW/write.reqs"
	curl -sf "$EMU_ADMIN/_emu/faults" > "$HW/write.faults"
	faults '[]'
	emu_state
}
write_case() { write_sync; cat "$HW/write.alerts" "$HW/write.err" > "$HOUT"; }
case_api_create_html_502_always() { write_case; }
case_api_create_fault_control_chars() { write_case; }
case_api_create_garbage_400() { write_case; }
case_api_create_200_html() { write_case; }
case_api_create_html_502_once() { write_case; }
case_api_list_members_after_failed_create() { write_case; }
case_api_create_retry_budget() { write_case; }
case_api_list_fault_wrong_types() { write_case; }

unaffected_write_others() {	# every other sample mailbox was made
	local ex rs
	ex=$(words "$SAMPLE_EX_COM" | grep -vxE 'alice.anderson|bob.baker|carol.chen|david.dunn' | tr '\n' ' ')
	rs=$(words "$SAMPLE_RS_COM" | tr '\n' ' ')
	expect_names "(others) Exchange mailboxes" example.com ex "$ex" "david.dunn" > "$HW/names.out"
	expect_names "(others) Rackspace Email mailboxes" example.com rs "$rs" >> "$HW/names.out"
	expect_names "(others) example.net" example.net rs "$SAMPLE_RS_NET" >> "$HW/names.out"
	if grep -q '^FAIL' "$HW/names.out"; then
		# Not the runner's own failure: the case's.
		FAILS=$((FAILS - $(grep -c '^FAIL' "$HW/names.out")))
		sed 's/^/     /' "$HW/names.out"
		return 1
	fi
}
unaffected_write_run_ok() { [ "$WRITE_RC" = 2 ] || { echo "     the sync exited $WRITE_RC, want 2"; return 1; }; }
unaffected_write_no_sanitizer() { h_sanitizer "$HW/write.err" "$W/rsemu.log"; }
unaffected_alice_absent() { ! st_has example.com ex alice.anderson || { echo "     alice's mailbox exists"; return 1; }; }
unaffected_david_exists() { st_has example.com ex david.dunn || { echo "     david's mailbox does not exist in rsemu (the 200 was taken for a create)"; return 1; }; }
unaffected_uma_once() {
	st_has example.com rs uma.underwood || { echo "     no mailbox for uma"; return 1; }
	[ "$(grep -c '^POST example.com/rs/mailboxes/uma.underwood 200' "$HW/write.reqs")" = 1 ] ||
	    { echo "     uma's creates:"; grep 'uma.underwood' "$HW/write.reqs" | sed 's/^/       | /'; return 1; }
}
unaffected_managers_members() {	# every synced member but alice
	local want got
	want="judy.jones@example.com paula@example.com sybil.schmidt@example.com"
	got=$(st_members example.com managers | tr '\n' ' ')
	got=${got% }
	[ "$got" = "$want" ] || { echo "     Managers' members in rsemu: '$got', want '$want' (all but alice, whose create failed)"; return 1; }
}
unaffected_no_escape() {
	! grep -q $'\033' "$HW/write.alerts" "$HW/write.err" || { echo "     an escape character reached the output"; return 1; }
}
unaffected_no_managers_error() {
	! grep -q "Performed action 'Add members' for group CN=Managers" "$HW/write.alerts" ||
	    { echo "     $(grep "CN=Managers" "$HW/write.alerts" | cut -f3 | cut -c1-300)"; return 1; }
}
posts_of() { grep -c "^POST example.com/ex/mailboxes/$1 " "$HW/write.reqs"; }
unaffected_alice_posts_bounded() {	# unknown outcome: looked up, re-sent up to max_retries
	local n seq want
	n=$(posts_of alice.anderson)
	# The first POST and max_retries (2) re-sends, the pipeline's
	# included; each looked up first, and the last one after.
	if [ "$n" != 3 ]; then
		echo "     $n POSTs for alice, want 3 (1 + max_retries = 2)"
		return 1
	fi
	seq=$(grep -E '^(POST|GET) example.com/ex/mailboxes/alice.anderson ' "$HW/write.reqs" | cut -d' ' -f1,3 | tr '\n' ' ')
	want="POST 502 GET 404 POST 502 GET 404 POST 502 GET 404 "
	[ "$seq" = "$want" ] || { echo "     alice's requests: $seq, want $want"; return 1; }
}
unaffected_alice_not_unknown() {	# looked up after the last POST: the outcome is known
	local l
	l=$(grep -F 'CN=Alice Anderson' "$HW/write.alerts" | grep -F "Performed action 'Create'")
	[ -n "$l" ] || { echo "     no alert for alice's create"; return 1; }
	! grep -qi 'unknown' <<< "$l" || { echo "     alice's alert: ${l:0:300}"; return 1; }
}
unaffected_david_looked_up() {	# the page was not taken for a create: looked up, then made once
	local seq want
	seq=$(grep -E '^(POST|GET) example.com/ex/mailboxes/david.dunn ' "$HW/write.reqs" | cut -d' ' -f1,3 | tr '\n' ' ')
	want="POST 200 GET 404 POST 200 "
	[ "$seq" = "$want" ] || { echo "     david's requests: $seq, want $want"; return 1; }
}
unaffected_engineering_members() {	# bob's and carol's creates failed (400s)
	local want got
	want="frank.fischer@example.com juergen.grossmann@example.com"
	got=$(st_members example.com engineering | tr '\n' ' ')
	got=${got% }
	[ "$got" = "$want" ] || { echo "     Engineering's members in rsemu: '$got', want '$want'"; return 1; }
}
unaffected_posted_once() {	# a 4xx is not retried
	local u
	case $1 in
	api_create_fault_control_chars) u=bob.baker ;;
	*) u=carol.chen ;;
	esac
	[ "$(posts_of "$u")" = 1 ] || { echo "     $(posts_of "$u") POSTs for $u, want 1"; return 1; }
}
unaffected_sales_put_retried() {	# a 5xx to a PUT: max_retries (2) more
	local n
	n=$(grep -c '^PUT example.com/ex/distributionlists/sales' "$HW/write.reqs")
	[ "$n" = 3 ] || { echo "     $n PUTs of the sales list, want 3"; return 1; }
}
unaffected_sales_members_tried() { grep -q 'distributionlists/sales' "$HW/write.reqs" || { echo "     no request for the sales list"; return 1; }; }

hostile_load api read write
echo "=== a plan without faults (the reference)"
HOUT=$HW/ref.out
plan_fresh
PLAN_CREATES=$(json_ops | grep -c '^create ')
expect_ge "creates in a clean plan" "$PLAN_CREATES" 40
hostile_each hostile_check
finish_rc=0
sanitizer_check "$W/rsemu.log" rsemu
hostile_finish || finish_rc=1
[ "$FAILS" = 0 ] || { echo "FAIL: $FAILS of the runner's own checks failed"; finish_rc=1; }
exit $finish_rc

# Unit tests of src/target (the API client): pure parts only — pacing and
# backoff arithmetic, error decoding, escaping and form encoding, requests,
# records and JSON decoding, the password rule. The transport is covered by
# the integration tests against rsemu (tests/integration/client.cmake).
adsync_unit_test(test_target_pace SOURCES test_target_pace.c
	LIBS adsync_target)
adsync_unit_test(test_target_wire SOURCES test_target_wire.c
	LIBS adsync_target)
adsync_unit_test(test_target_decode SOURCES test_target_decode.c
	LIBS adsync_target)
# The typed operations' logic (the create budget, marker paging, which
# write answers are the API's) over a scripted transport: rs_client_call
# and the client getters they read are replaced at link time.
adsync_unit_test(test_target_ops SOURCES test_target_ops.c
	LIBS adsync_target)
target_link_options(test_target_ops PRIVATE
	"LINKER:--wrap=rs_client_call"
	"LINKER:--wrap=rs_client_max_retries"
	"LINKER:--wrap=rs_client_customer")

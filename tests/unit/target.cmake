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

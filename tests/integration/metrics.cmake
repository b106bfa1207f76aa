# Metrics (issue 8, docs/daemon.md "Metrics"). promparse.py is the strict
# parser of the Prometheus text format that every check of the metrics
# goes through; it has its own self-test, and checks the exposition the
# unit test renders from a sample view (escaping, histogram) as well as
# the daemon's real one. The two quick tests are pure (label unit); they
# skip (77) without python3.
add_test(NAME promparse_selftest
	COMMAND sh -c "command -v python3 >/dev/null || exit 77; exec python3 \"$0\""
		${CMAKE_CURRENT_SOURCE_DIR}/test_promparse.py)
set_tests_properties(promparse_selftest PROPERTIES
	LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 60)

if(TARGET test_daemon_metrics)
	add_test(NAME metrics_format
		COMMAND sh -c "command -v python3 >/dev/null || exit 77; \"$0\" --print > \"$2\" && exec python3 \"$1\" \"$2\""
			$<TARGET_FILE:test_daemon_metrics>
			${CMAKE_CURRENT_SOURCE_DIR}/promparse.py
			${CMAKE_CURRENT_BINARY_DIR}/metrics_format.prom)
	set_tests_properties(metrics_format PROPERTIES
		LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 60
		ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endif()

# `adsync daemon` end to end: the metrics command against Samba and rsemu,
# through sync_env.sh (with-ad.sh). Skipped (77) without root or Samba.
if(TARGET adsync AND TARGET rsemu)
	add_test(NAME daemon_metrics
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_metrics.sh
			$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
			${PROJECT_SOURCE_DIR})
	set_tests_properties(daemon_metrics PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template;ASAN_OPTIONS=detect_leaks=1")
endif()

# The daemon's crash safety (issue 6, docs/daemon.md): `adsync daemon`
# killed with SIGKILL at random points of an initial sync of the generated
# 2,000-user organisation, then left to converge: no duplicate in rsemu's
# request log, no loss (test_daemon_crash.sh). Against Samba (with-ad.sh
# --org gen:2000, a template built once) and rsemu, through sync_env.sh.
# Skipped (77) without root or Samba.
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()

if(TARGET adsync AND TARGET rsemu)
	add_test(NAME daemon_crash
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_daemon_crash.sh
			$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
			${PROJECT_SOURCE_DIR})
	set_tests_properties(daemon_crash PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
endif()

# End-to-end tests of the sync engine (`adsync plan`, `adsync sync --once`),
# label integration: a real Samba AD DC (tests/testbed/with-ad.sh, its own
# network namespace, the sample organisation) and rsemu over TLS on
# ephemeral loopback ports, both inside the test. One script per theme,
# tests/integration/test_sync_<theme>.sh, sharing sync_env.sh; what each
# proves is in docs/testing-sync.md. Skipped (77) without root or Samba.
#
# This file is included before testbed.cmake (the glob is sorted), so the
# template variable is defined here too, with the same value.
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()

if(TARGET adsync AND TARGET rsemu)
	foreach(theme sample lifecycle adopt proxy guard crash errors)
		add_test(NAME sync_${theme}
			COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sync_${theme}.sh
				$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
				${PROJECT_SOURCE_DIR})
		set_tests_properties(sync_${theme} PROPERTIES
			LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
			FIXTURES_REQUIRED ad_template
			ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
	endforeach()
endif()

# adsync check --connect against the Samba testbed and rsemu (label
# integration), through the sync tests' environment (sync_env.sh).
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()
if(TARGET adsync AND TARGET rsemu)
	add_test(NAME sync_check
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sync_check.sh
			$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
			${PROJECT_SOURCE_DIR})
	set_tests_properties(sync_check PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
endif()

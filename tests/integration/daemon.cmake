# End-to-end tests of `adsync daemon` (docs/daemon.md, issue 6): the
# daemon against Samba (with-ad.sh, its own network namespace) and rsemu,
# through sync_env.sh. Skipped (77) without root or Samba.
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()

if(TARGET adsync AND TARGET rsemu)
	foreach(theme basic)
		add_test(NAME daemon_${theme}
			COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_daemon_${theme}.sh
				$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
				${PROJECT_SOURCE_DIR})
		set_tests_properties(daemon_${theme} PROPERTIES
			LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
			FIXTURES_REQUIRED ad_template
			ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
	endforeach()
endif()

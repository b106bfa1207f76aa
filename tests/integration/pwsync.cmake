# Password sync end to end (issue 7, docs/pwsync.md): Samba runs
# adsync-pwhook as its check password script, `adsync daemon` receives the
# captures over mutual TLS and sets them in rsemu. Skipped (77) without
# root, Samba or kpasswd.
if(TARGET adsync AND TARGET rsemu AND TARGET adsync-pwhook)
	add_test(NAME pwsync_e2e
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_pwsync.sh
			$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
			${PROJECT_SOURCE_DIR} $<TARGET_FILE:adsync-pwhook>)
	set_tests_properties(pwsync_e2e PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template;ASAN_OPTIONS=detect_leaks=1")
endif()

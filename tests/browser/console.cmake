# The web console in headless Chromium (issue 8, docs/testing-sync.md
# "Browser tests"): tests/browser/test_console.sh drives `adsync daemon`'s
# console with playwright-core (installed into the build directory by
# npm-install.sh, pinned by package-lock.json) and Debian's chromium, against
# Samba (with-ad.sh, its own network namespace) and rsemu through
# sync_env.sh. Screenshots: ${CMAKE_BINARY_DIR}/browser-shots. Skipped (77)
# without node or chromium, root or Samba.
if(TARGET adsync AND TARGET rsemu)
	add_test(NAME browser_console
		COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_console.sh
			$<TARGET_FILE:adsync> $<TARGET_FILE:rsemu>
			${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
	set_tests_properties(browser_console PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 400
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template;ASAN_OPTIONS=detect_leaks=1")
endif()

# Smoke test of `make demo` (label integration): scripts/demo.sh against this
# build directory with DEMO_SECONDS=1 and stdin from /dev/null, its output
# checked and nothing left running (test_demo.sh). Needs root and Samba:
# otherwise skipped (77).
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()
if(TARGET adsync AND TARGET rsemu)
	add_test(NAME demo_smoke
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_demo.sh
			${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
	set_tests_properties(demo_smoke PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
endif()

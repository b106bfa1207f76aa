# cli: the adsync binary run as a user would, the banned-function check and
# its self-test, and the man pages.
add_test(NAME test_cli
	COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.sh $<TARGET_FILE:adsync>
		${PROJECT_SOURCE_DIR} ${PROJECT_VERSION})
set_tests_properties(test_cli PROPERTIES LABELS unit
	ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")

add_test(NAME banned_functions
	COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/check-banned.sh)
set_tests_properties(banned_functions PROPERTIES LABELS unit)

add_test(NAME test_cli_banned
	COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_banned.sh
		${PROJECT_SOURCE_DIR}/scripts/check-banned.sh)
set_tests_properties(test_cli_banned PROPERTIES LABELS unit)

# groff renders every man page without a warning (skipped without groff).
add_test(NAME test_cli_man
	COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_man.sh
		${PROJECT_SOURCE_DIR}/docs/man)
set_tests_properties(test_cli_man PROPERTIES LABELS unit SKIP_RETURN_CODE 77)

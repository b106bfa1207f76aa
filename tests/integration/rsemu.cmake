# rsemu end-to-end test over TLS on ephemeral ports (label integration).
add_test(NAME rsemu_api
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/rsemu_api.sh $<TARGET_FILE:rsemu>
		${PROJECT_SOURCE_DIR})
set_tests_properties(rsemu_api PROPERTIES LABELS integration
	SKIP_RETURN_CODE 77 TIMEOUT 300
	ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")

# adsync-pwfilter.dll (hooks/windows) under wine, label integration: the
# mingw-built driver plays LSASS against a mutual-TLS stub receiver.
# Skipped (77) when mingw-w64 or wine64 is not installed.
add_test(NAME pwfilter
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_pwfilter.sh
		"${ADSYNC_PWFILTER_DLL}" "${ADSYNC_PWFILTER_DRIVER}"
		${PROJECT_SOURCE_DIR} $<TARGET_FILE:adsync>)
set_tests_properties(pwfilter PROPERTIES
	LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)

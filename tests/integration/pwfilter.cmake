# adsync-pwfilter.dll (hooks/windows) under wine, label integration: the
# mingw-built driver plays LSASS against a mutual-TLS stub receiver.
# Skipped (77) when mingw-w64 or wine64 is not installed.
add_test(NAME pwfilter
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_pwfilter.sh
		"${ADSYNC_PWFILTER_DLL}" "${ADSYNC_PWFILTER_DRIVER}"
		${PROJECT_SOURCE_DIR} $<TARGET_FILE:adsync>)
# RUN_SERIAL: run with -j2 beside the Samba tests, wine's TLS (its GnuTLS
# import of the PKCS#12 key: "The scanning of a large integer has
# failed") failed twice in a day, never alone (see the closing note of
# issue 9's first sitting); alone it costs about 37 s.
set_tests_properties(pwfilter PROPERTIES
	LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)

# adsync-pwfilter.dll (hooks/windows) under wine, label integration: the
# mingw-built driver plays LSASS against a mutual-TLS stub receiver.
# Skipped (77) when mingw-w64 or wine64 is not installed.
add_test(NAME pwfilter
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_pwfilter.sh
		"${ADSYNC_PWFILTER_DLL}" "${ADSYNC_PWFILTER_DRIVER}"
		${PROJECT_SOURCE_DIR} $<TARGET_FILE:adsync>)
# wine's TLS failed now and then ("The scanning of a large integer has
# failed", its GnuTLS import of the PKCS#12 key): the random RSA key had a
# private component shorter than its full length, about one key in twenty
# (measured: 6 of 120). Keys are now made full-length, here (rsa_full) and
# by `adsync hook enroll --rsa` (pw_pki_rsa_gen). RUN_SERIAL stays from
# before the cause was known; alone the test costs about 37 s.
set_tests_properties(pwfilter PROPERTIES
	LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)

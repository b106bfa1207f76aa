# web (src/web): the console's authentication (password file, sessions,
# CSRF, pre-login token, login limiter on a driven clock) and its parsers
# and encoders; and `adsync web passwd` run as a user would (password on
# standard input). The password cases hash with Argon2id at libsodium's
# MODERATE cost (~0.4 s each).
adsync_unit_test(test_web_auth SOURCES test_web_auth.c
	LIBS adsync_web adsync_common PkgConfig::SODIUM)
set_tests_properties(test_web_auth PROPERTIES TIMEOUT 120)
adsync_unit_test(test_web_form SOURCES test_web_form.c
	LIBS adsync_web adsync_common)

if(TARGET adsync)
	add_test(NAME test_web_passwd
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_web_passwd.sh
			$<TARGET_FILE:adsync>)
	set_tests_properties(test_web_passwd PROPERTIES LABELS unit
		TIMEOUT 120 ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endif()

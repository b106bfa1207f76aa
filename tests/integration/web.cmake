# The web console's gate (src/web, docs/web.md): raw HTTP against `adsync
# daemon` in set-up mode (no AD, no API: loopback only): Host checks, login
# and its lock, CSRF, Origin, content types, body and header limits,
# security headers, logout, and TLS with web_tls_cert (test_web_gate.py).
# The browser tests with
# Samba and rsemu are tests/browser. Skipped (77) without python3.
if(TARGET adsync)
	add_test(NAME web_gate
		COMMAND sh -c "command -v python3 >/dev/null || exit 77; exec python3 \"$0\" \"$1\""
			${CMAKE_CURRENT_SOURCE_DIR}/test_web_gate.py
			$<TARGET_FILE:adsync>)
	set_tests_properties(web_gate PROPERTIES LABELS integration
		SKIP_RETURN_CODE 77 TIMEOUT 120
		ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endif()

# adsync-pwhook against a mutual-TLS HTTPS stub of the receiver
# (pwhook_stub.py): delivery, spooling while the receiver is down, the
# sender, answers 400/503, foreign client and server certificates, and the
# syncpasswords mode. Skipped (77) without python3 or openssl.
if(TARGET adsync-pwhook)
	add_executable(pwhook_mkfile pwhook_mkfile.c)
	target_link_libraries(pwhook_mkfile PRIVATE adsync_pwproto)
	add_test(NAME pwhook
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_pwhook.sh
			$<TARGET_FILE:adsync-pwhook> $<TARGET_FILE:pwhook_mkfile>
			${CMAKE_CURRENT_SOURCE_DIR}/pwhook_stub.py)
	set_tests_properties(pwhook PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 180
		ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endif()

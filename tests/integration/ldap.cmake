# Integration tests of the LDAP source and `adsync ad dump|watch` against a
# real Samba AD DC (label integration). Each case runs in
# tests/testbed/with-ad.sh: its own network namespace and a fresh DC cloned
# from the ad_template fixture (tests/integration/testbed.cmake). Skipped
# (77) without root or Samba.
if(TARGET adsync)
	foreach(case dump_sample dump_5k ranges dirsync dirsync_svc
			dirsync_objsec usn usn_svc failover errors notify)
		add_test(NAME ldap_${case}
			COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_ldap.sh
				$<TARGET_FILE:adsync> ${PROJECT_SOURCE_DIR} ${case})
		set_tests_properties(ldap_${case} PROPERTIES
			LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600
			FIXTURES_REQUIRED ad_template
			ENVIRONMENT "ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template;ASAN_OPTIONS=detect_leaks=1")
	endforeach()
	# Seconds, not minutes: the 5,000-object directory takes longest.
	set_tests_properties(ldap_dump_5k PROPERTIES TIMEOUT 900)
endif()

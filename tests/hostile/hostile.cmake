# The hostile-input suite (issue 9, docs/testing-sync.md "Hostile input"):
# the table tests/hostile/cases.md (case, category, where, how to inject,
# the error text expected, what must be unaffected, status) and one runner
# per category, label integration:
#
#   hostile_ad        run_ad.sh: AD values in a Samba DC (sample org) and
#                     the decoder (hostile_decode, the model unit API)
#   hostile_ad_large  run_ad_large.sh: a 10,000-member list (gen:10000)
#   hostile_api       run_api.sh: rsemu's hostile replies to plan and sync
#   hostile_hook      run_hook.sh: the password receiver (no Samba)
#   hostile_console   run_console.py: the web console (no Samba)
#   hostile_conf      run_conf.sh: adsync check (no Samba)
#   hostile_mutated   the three fast runners with every expected text made
#                     wrong: each case must fail (the checks can fail)
#   hostile_table     the table itself: well formed, 40 cases or more
#
# The Samba runners skip (77) without root or Samba, like the sync tests.
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()
set(hostile_dir ${CMAKE_CURRENT_LIST_DIR})

if(TARGET adsync_ldap)
	add_executable(hostile_decode ${hostile_dir}/hostile_decode.c)
	target_link_libraries(hostile_decode PRIVATE adsync_ldap)
endif()

add_test(NAME hostile_table
	COMMAND sh -c "command -v python3 >/dev/null || exit 77; exec python3 \"$0\" \"$1\""
		${hostile_dir}/check_table.py ${hostile_dir}/cases.md)
set_tests_properties(hostile_table PROPERTIES LABELS integration
	SKIP_RETURN_CODE 77 TIMEOUT 30)

if(TARGET adsync)
	add_test(NAME hostile_conf
		COMMAND ${hostile_dir}/run_conf.sh $<TARGET_FILE:adsync>
			${PROJECT_SOURCE_DIR})
	add_test(NAME hostile_hook
		COMMAND ${hostile_dir}/run_hook.sh $<TARGET_FILE:adsync>
			${PROJECT_SOURCE_DIR})
	add_test(NAME hostile_console
		COMMAND sh -c "command -v python3 >/dev/null || exit 77; exec python3 \"$0\" \"$1\" \"$2\""
			${hostile_dir}/run_console.py $<TARGET_FILE:adsync>
			${PROJECT_SOURCE_DIR})
	add_test(NAME hostile_mutated
		COMMAND sh -c "export HOSTILE_MUTATE=1; \"$0/run_conf.sh\" \"$1\" \"$2\" > /dev/null && \"$0/run_hook.sh\" \"$1\" \"$2\" > /dev/null && python3 \"$0/run_console.py\" \"$1\" \"$2\" > /dev/null && echo 'every case failed with a wrong expected text'"
			${hostile_dir} $<TARGET_FILE:adsync> ${PROJECT_SOURCE_DIR})
	set_tests_properties(hostile_conf hostile_hook hostile_console
		hostile_mutated PROPERTIES LABELS integration
		SKIP_RETURN_CODE 77 TIMEOUT 180
		ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endif()

if(TARGET adsync AND TARGET rsemu AND TARGET hostile_decode)
	add_test(NAME hostile_ad
		COMMAND ${hostile_dir}/run_ad.sh $<TARGET_FILE:adsync>
			$<TARGET_FILE:rsemu> ${PROJECT_SOURCE_DIR}
			$<TARGET_FILE:hostile_decode>)
	add_test(NAME hostile_ad_large
		COMMAND ${hostile_dir}/run_ad_large.sh $<TARGET_FILE:adsync>
			$<TARGET_FILE:rsemu> ${PROJECT_SOURCE_DIR})
	add_test(NAME hostile_api
		COMMAND ${hostile_dir}/run_api.sh $<TARGET_FILE:adsync>
			$<TARGET_FILE:rsemu> ${PROJECT_SOURCE_DIR})
	set_tests_properties(hostile_ad hostile_api PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
	# The first run builds the 10,000-user template (about 20 s quiet,
	# minutes on a loaded machine); later runs clone it.
	set_tests_properties(hostile_ad_large PROPERTIES
		LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 900
		FIXTURES_REQUIRED ad_template
		ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV};ASAN_OPTIONS=detect_leaks=1")
endif()

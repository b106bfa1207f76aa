# The secrets audit (issue 9, docs/testing-sync.md "Secrets audit"): after
# the tests, no secret they used may be in a log, an output, a state file
# or a core file. Included first by tests/CMakeLists.txt.
#
# Every test gets, in its ENVIRONMENT, ADSYNC_AUDIT_DIR (BUILD/audit: the
# registry of secrets and the evidence the harnesses keep) and
# ADSYNC_AUDIT_TEST (its own name), and FIXTURES_REQUIRED audit, both
# appended to what its owner set. The fixture: audit_setup empties
# BUILD/audit before any of them, secrets_audit (audit.py run) scans after
# all of them, whichever were selected (ctest -R X runs both around X).
#
# CMake 3.25 sets test properties only from the directory that made the
# test (set_tests_properties(DIRECTORY) is 3.28), and owners set ENVIRONMENT
# and FIXTURES_REQUIRED after add_test. So add_test is wrapped: the first
# test of a directory schedules audit_wire_directory() for the end of that
# directory (cmake_language(DEFER)), which then appends to every test the
# directory made. This covers tests/ and everything added after this file,
# in whichever subdirectory.
set(ADSYNC_AUDIT_DIR ${CMAKE_BINARY_DIR}/audit)
set(ADSYNC_AUDIT_HOME ${CMAKE_CURRENT_LIST_DIR})

function(audit_wire_directory)
	get_property(tests DIRECTORY PROPERTY TESTS)
	foreach(t IN LISTS tests)
		if(t STREQUAL "audit_setup" OR t STREQUAL "secrets_audit")
			continue()
		endif()
		set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT
			"ADSYNC_AUDIT_DIR=${ADSYNC_AUDIT_DIR}"
			"ADSYNC_AUDIT_TEST=${t}")
		set_property(TEST ${t} APPEND PROPERTY FIXTURES_REQUIRED audit)
	endforeach()
endfunction()

# add_test as it was, each argument passed on exactly (bracket arguments:
# the semicolons and empty strings of sh -c commands survive).
function(add_test)
	set(code "_add_test(")
	math(EXPR last "${ARGC} - 1")
	foreach(i RANGE 0 ${last})
		string(APPEND code " [==[${ARGV${i}}]==]")
	endforeach()
	string(APPEND code ")")
	cmake_language(EVAL CODE "${code}")
	get_property(wired DIRECTORY PROPERTY ADSYNC_AUDIT_WIRED)
	if(NOT wired)
		set_property(DIRECTORY PROPERTY ADSYNC_AUDIT_WIRED 1)
		cmake_language(DEFER CALL audit_wire_directory)
	endif()
endfunction()

# Empties BUILD/audit: a registry (0600) and the time the run started
# (core files older than that are not this run's). Plain sh: the fixture
# must not skip, or CTest would not run the tests that require it.
add_test(NAME audit_setup
	COMMAND sh -c "rm -rf \"$0\" && mkdir -m 700 \"$0\" && (umask 077 && : > \"$0/secrets\") && date +%s.%N > \"$0/.audit-stamp\" && echo \"audit: $0 emptied\""
		${ADSYNC_AUDIT_DIR})
set_tests_properties(audit_setup PROPERTIES
	LABELS integration FIXTURES_SETUP audit TIMEOUT 60)

# The audit: BUILD/audit/**, the CTest log so far, core files, and what
# expect.txt says each test that ran must have registered and kept.
add_test(NAME secrets_audit
	COMMAND sh -c "command -v python3 >/dev/null || { echo 'SKIP: python3 missing'; exit 77; }; exec python3 \"$0\" run \"$1\" --expect \"$2\""
		${ADSYNC_AUDIT_HOME}/audit.py ${CMAKE_BINARY_DIR}
		${ADSYNC_AUDIT_HOME}/expect.txt)
set_tests_properties(secrets_audit PROPERTIES
	LABELS integration FIXTURES_CLEANUP audit SKIP_RETURN_CODE 77
	TIMEOUT 120)

# The scanner's self-test: every encoding found, a clean tree passes,
# nothing printed in clear, an empty registry refused.
add_test(NAME secrets_audit_selftest
	COMMAND sh -c "command -v python3 >/dev/null || exit 77; exec python3 \"$0\""
		${ADSYNC_AUDIT_HOME}/test_audit.py)
set_tests_properties(secrets_audit_selftest PROPERTIES
	LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 60)

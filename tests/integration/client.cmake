# Integration tests of the API client (src/target) and `adsync api` against
# rsemu over TLS, label "integration". rsemu is started by the fixture on
# ephemeral loopback ports; a test exits 77 (skipped) only when rsemu is not
# built, which does not happen in the finished tree.

# The fixture is a library of its own: the benchmarks reuse it.
add_library(adsync_rsemu_fixture STATIC rsemu_fixture.c)
target_include_directories(adsync_rsemu_fixture PUBLIC
	${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src/conf)
target_compile_definitions(adsync_rsemu_fixture PRIVATE
	ADSYNC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(adsync_rsemu_fixture PUBLIC adsync_common
	PkgConfig::CURL PkgConfig::JANSSON PkgConfig::SODIUM)

set(client_test_env
	"ADSYNC_TEST_SRCDIR=${PROJECT_SOURCE_DIR}"
	"ASAN_OPTIONS=detect_leaks=1")
if(TARGET rsemu)
	list(APPEND client_test_env "RSEMU=$<TARGET_FILE:rsemu>")
endif()
if(TARGET adsync)
	list(APPEND client_test_env "ADSYNC_BIN=$<TARGET_FILE:adsync>")
endif()

function(adsync_client_test name)
	add_executable(${name} ${name}.c)
	target_link_libraries(${name} PRIVATE adsync_rsemu_fixture
		adsync_target PkgConfig::CMOCKA)
	add_test(NAME ${name} COMMAND ${name})
	set_tests_properties(${name} PROPERTIES LABELS integration
		ENVIRONMENT "${client_test_env}" SKIP_RETURN_CODE 77
		TIMEOUT 900)
	if(TARGET rsemu)
		add_dependencies(${name} rsemu)
	endif()
endfunction()

adsync_client_test(test_client_resources)
adsync_client_test(test_client_faults)
adsync_client_test(test_client_cli)
if(TARGET adsync)
	add_dependencies(test_client_cli adsync)
endif()

# conf: the parser, validation, dump, goldens and secret-file checks.
adsync_unit_test(test_conf SOURCES test_conf.c LIBS adsync_conf)

# Rewrites tests/unit/golden/conf/*.ok from the current code; review the
# diff like code. `update-goldens` gathers every module's target.
add_custom_target(update-goldens-conf
	COMMAND ${CMAKE_COMMAND} -E env ADSYNC_UPDATE_GOLDENS=1
		ADSYNC_TEST_SRCDIR=${PROJECT_SOURCE_DIR} $<TARGET_FILE:test_conf>
	DEPENDS test_conf
	COMMENT "Regenerating tests/unit/golden/conf/*.ok"
	VERBATIM)
if(NOT TARGET update-goldens)
	add_custom_target(update-goldens)
endif()
add_dependencies(update-goldens update-goldens-conf)

# conf_edit: editing adsync.conf in place, and secret_write_file().
adsync_unit_test(test_conf_edit SOURCES test_conf_edit.c LIBS adsync_conf)

# plan: goldens (tests/unit/golden/plan/NAME.in -> NAME.ok, NAME.json.ok),
# convergence of every golden through a fake applier, the attribute table
# (checked against rsemu's field tables, hence rsemu_core), the guard.
adsync_unit_test(test_plan SOURCES test_plan.c plan_fixture.c
	LIBS adsync_plan rsemu_core)

# Rewrites tests/unit/golden/plan/*.ok from the current code; review the
# diff like code. `update-goldens` gathers every module's target.
add_custom_target(update-goldens-plan
	COMMAND ${CMAKE_COMMAND} -E env ADSYNC_UPDATE_GOLDENS=1
		ADSYNC_TEST_SRCDIR=${PROJECT_SOURCE_DIR} $<TARGET_FILE:test_plan>
	DEPENDS test_plan
	COMMENT "Regenerating tests/unit/golden/plan/*.ok"
	VERBATIM)
if(NOT TARGET update-goldens)
	add_custom_target(update-goldens)
endif()
add_dependencies(update-goldens update-goldens-plan)

# pwhook (hooks/samba): the domain complexity rule that adsync-pwhook's
# check password mode applies. Pure, so the source is linked directly.
adsync_unit_test(test_pwhook_complexity
	SOURCES test_pwhook_complexity.c
		${PROJECT_SOURCE_DIR}/hooks/samba/pwhook_complexity.c)
target_include_directories(test_pwhook_complexity PRIVATE
	${PROJECT_SOURCE_DIR}/hooks/samba)

# hooks/samba (adsync-pwhook): what Samba hands the hook on a DC, the LDIF
# record of samba-tool syncpasswords and the password of the check
# password script (the complexity rule). The sources are linked directly,
# as tests/unit/pwhook.cmake does. Replay tests/fuzz/corpus/pwhook_ldif/
# and pwhook_complexity/ as fuzz_pwhook_*_corpus.
adsync_fuzz(pwhook_ldif SOURCES fuzz_pwhook_ldif.c
	${PROJECT_SOURCE_DIR}/hooks/samba/pwhook_ldif.c
	LIBS adsync_pwproto adsync_common PkgConfig::SODIUM)
target_include_directories(fuzz_pwhook_ldif PRIVATE
	${PROJECT_SOURCE_DIR}/hooks/samba)
adsync_fuzz(pwhook_complexity SOURCES fuzz_pwhook_complexity.c
	${PROJECT_SOURCE_DIR}/hooks/samba/pwhook_complexity.c)
target_include_directories(fuzz_pwhook_complexity PRIVATE
	${PROJECT_SOURCE_DIR}/hooks/samba)

adsync_unit_test(test_common SOURCES test_common.c LIBS adsync_common)
adsync_unit_test(test_fileio SOURCES test_fileio.c LIBS adsync_common)
adsync_unit_test(test_rs_auth SOURCES test_rs_auth.c LIBS adsync_rsauth)

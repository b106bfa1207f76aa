adsync_fuzz(rs_auth SOURCES fuzz_rs_auth.c LIBS adsync_rsauth)

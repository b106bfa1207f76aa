# pwproto (src/pwproto): the hook file, the capture and heartbeat payloads.
adsync_unit_test(test_pwproto SOURCES test_pwproto.c LIBS adsync_pwproto)

# pwproto's decoders (src/pwproto): the capture and heartbeat bodies a DC
# posts to the receiver, and the hook file. Each replays
# tests/fuzz/corpus/pwproto_<name>/ as fuzz_pwproto_<name>_corpus.
adsync_fuzz(pwproto_capture SOURCES fuzz_pwproto_capture.c
	LIBS adsync_pwproto)
adsync_fuzz(pwproto_hookfile SOURCES fuzz_pwproto_hookfile.c
	LIBS adsync_pwproto)

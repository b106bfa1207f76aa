# Harnesses of the decoders that take untrusted input (docs/style.md §12):
# the configuration parser, the API client's reply decoders, and rsemu's
# request-side parsers. Each replays tests/fuzz/corpus/<name>/ as the test
# fuzz_<name>_corpus in ordinary builds.
adsync_fuzz(conf SOURCES fuzz_conf.c LIBS adsync_conf)
adsync_fuzz(target_decode SOURCES fuzz_target_decode.c LIBS adsync_target)
adsync_fuzz(target_error SOURCES fuzz_target_error.c LIBS adsync_target)
adsync_fuzz(emu_form SOURCES fuzz_emu_form.c LIBS rsemu_core)
adsync_fuzz(emu_route SOURCES fuzz_emu_route.c LIBS rsemu_core)
adsync_fuzz(emu_spec SOURCES fuzz_emu_spec.c LIBS rsemu_core)
adsync_fuzz(emu_api SOURCES fuzz_emu_api.c LIBS rsemu_core adsync_rsauth)

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
# The API client's Index readers (offset and marker paging): the decoding is
# interleaved with the HTTP calls, so rs_client_call and rs_client_customer
# are wrapped by the harness, which serves the pages of its input.
adsync_fuzz(target_index SOURCES fuzz_target_index.c LIBS adsync_target)
target_link_options(fuzz_target_index PRIVATE
	-Wl,--wrap=rs_client_call -Wl,--wrap=rs_client_customer)
# rsemu's --config INI file and command line.
adsync_fuzz(emu_config SOURCES fuzz_emu_config.c LIBS rsemu_core)

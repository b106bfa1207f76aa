# ctl: the control socket's request handling (src/ctl), driven through the
# real server on a socket in a private temporary directory. Replays
# tests/fuzz/corpus/ctl_request/ as fuzz_ctl_request_corpus.
adsync_fuzz(ctl_request SOURCES fuzz_ctl_request.c LIBS adsync_ctl)

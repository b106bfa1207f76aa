# The in-place editor of adsync.conf (src/conf/conf_edit.c), which the web
# console feeds with form values. Replays tests/fuzz/corpus/conf_edit/ as
# fuzz_conf_edit_corpus.
adsync_fuzz(conf_edit SOURCES fuzz_conf_edit.c LIBS adsync_conf)

# store: the row-body decoders of state.db (src/store/store_codec.c), which
# anyone able to write state_dir could have altered. Replays
# tests/fuzz/corpus/store_codec/ as fuzz_store_codec_corpus.
adsync_fuzz(store_codec SOURCES fuzz_store_codec.c LIBS adsync_store)

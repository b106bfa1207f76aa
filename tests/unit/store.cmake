# Unit tests of the store module: migrations, modes and the lock, the
# mirror, synced rows, the journal, alerts and corrupt rows, on real SQLite
# databases (in memory and in temporary state directories).
# ADSYNC_STORE_BENCH=100000 in the environment adds a timed full read.
adsync_unit_test(test_store SOURCES test_store.c LIBS adsync_store)

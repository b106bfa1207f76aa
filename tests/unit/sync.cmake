# Unit tests of the sync engine's pure parts (new mailbox passwords).
adsync_unit_test(test_sync SOURCES test_sync.c LIBS adsync_sync)

# The process sandbox (src/common/sandbox.c, docs/SECURITY.md).
adsync_unit_test(test_sandbox SOURCES test_sandbox.c LIBS adsync_common)

# systemd notify protocol (src/common/sdnotify.c), against real AF_UNIX
# datagram sockets in a mkdtemp directory and the abstract namespace.
adsync_unit_test(test_sdnotify SOURCES test_sdnotify.c LIBS adsync_common)

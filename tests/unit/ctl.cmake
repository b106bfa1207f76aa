# Unit tests of the ctl module (the daemon's control socket): real UNIX
# sockets in a temporary directory under /tmp; ctl_call runs on a second
# thread while the test turns the server's loop. The other-uid case needs
# root and is skipped (inside the binary) otherwise.
adsync_unit_test(test_ctl SOURCES test_ctl.c LIBS adsync_ctl)
set_tests_properties(test_ctl PROPERTIES TIMEOUT 120)

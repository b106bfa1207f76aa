# Unit tests of the daemon's metrics (src/daemon/daemon_metrics.c): the
# text format, the change latency histogram, a rendered exposition, and
# the store counts behind it. Its `--print` output is also checked by the
# strict parser (tests/integration/metrics.cmake).
adsync_unit_test(test_daemon_metrics SOURCES test_daemon_metrics.c
	LIBS adsync_daemon adsync_target)

# pwsync (src/pwsync): the hook PKI (checked with OpenSSL), the queue
# sealer, pw.db (DCs, the sealed queue, alerts) and the receiver's start
# and its errors, each case in its own temporary state directory.
adsync_unit_test(test_pwsync SOURCES test_pwsync.c
	LIBS adsync_pwsync adsync_pwproto adsync_common PkgConfig::CRYPTO
	PkgConfig::SODIUM PkgConfig::SQLITE PkgConfig::CURL)

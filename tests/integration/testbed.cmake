# The Samba AD testbed (tests/testbed/, docs/testbed.md), label integration.
# Every test that needs an AD DC runs under tests/testbed/with-ad.sh, declares
# FIXTURES_REQUIRED ad_template and gets ADSYNC_AD_TEMPLATE (below) in its
# ENVIRONMENT. All skip (77) without root or Samba.
set(ADSYNC_TESTBED ${PROJECT_SOURCE_DIR}/tests/testbed)
set(ADSYNC_AD_TEMPLATE ${CMAKE_BINARY_DIR}/testbed/template)
set(ADSYNC_AD_TEMPLATE_ENV "ADSYNC_AD_TEMPLATE=${ADSYNC_AD_TEMPLATE}")

# Fixture: provisions the template once (~5 s) and the sample-org template
# (~1 s); later runs find them current (their .stamp) and only start a DC.
# The timeout is generous: on a loaded machine provisioning takes several
# times longer, and it may first wait for the template lock held by
# another build (with-ad.sh, docs/testbed.md).
add_test(NAME testbed_template
	COMMAND ${ADSYNC_TESTBED}/with-ad.sh --org sample -- true)
set_tests_properties(testbed_template PROPERTIES
	LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 900
	FIXTURES_SETUP ad_template
	ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV}")

# The sample organisation is there, over LDAPS verified with AD_CA; DirSync
# works as svc-adsync.
add_test(NAME testbed_sample_org
	COMMAND ${ADSYNC_TESTBED}/with-ad.sh --org sample --
		${ADSYNC_TESTBED}/check-sample-org.sh)
# A generated organisation: counts, and ranged retrieval of a group larger
# than AD's 1500-value slice.
add_test(NAME testbed_gen
	COMMAND ${ADSYNC_TESTBED}/with-ad.sh --org gen:1600 --members 1600 --
		${ADSYNC_TESTBED}/check-gen-org.sh 1600 1600)
# with-ad.sh itself: exit statuses, and nothing left behind on failure,
# TERM, HUP or KILL.
add_test(NAME testbed_fixture
	COMMAND ${ADSYNC_TESTBED}/check-fixture.sh)
set_tests_properties(testbed_sample_org testbed_gen testbed_fixture PROPERTIES
	LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
	FIXTURES_REQUIRED ad_template
	ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV}")

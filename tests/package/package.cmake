# The package test (issue 10, docs/packaging.md "The package test"): the
# Debian packages built by scripts/deb.sh (lintian included), installed
# with apt into a clean Debian 12 root made by debootstrap (cached under
# build/package), checked there, and used for one `adsync sync --once`
# from inside the root against a Samba DC with the sample organisation
# (tests/testbed/with-ad.sh) and the packaged rsemu. Label integration
# and package (`ctest -L package`). Skipped (77) without root,
# debootstrap, lintian, the Debian mirror or Samba.
#
# Its first run makes the base root (debootstrap minbase, about 30 s with
# a near mirror) and fetches the packages' dependencies; later runs unpack
# the cached base and install from the cached .debs.
if(NOT DEFINED ADSYNC_AD_TEMPLATE_ENV)
	set(ADSYNC_AD_TEMPLATE_ENV
		"ADSYNC_AD_TEMPLATE=${CMAKE_BINARY_DIR}/testbed/template")
endif()

add_test(NAME package
	COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_package.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(package PROPERTIES
	LABELS "integration;package" SKIP_RETURN_CODE 77 TIMEOUT 900
	FIXTURES_REQUIRED ad_template
	ENVIRONMENT "${ADSYNC_AD_TEMPLATE_ENV}")

# ldap: the pure parts of the AD reader (watermarks, filters, error
# messages, entry decoding on canned values). The libldap side is covered
# by tests/integration/ldap.cmake against a Samba DC.
adsync_unit_test(test_ldap SOURCES test_ldap.c LIBS adsync_ldap)

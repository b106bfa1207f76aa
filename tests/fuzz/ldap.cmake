# ldap: entry decoding and watermark text (src/ldap/ad_decode.c,
# ad_watermark.c).
adsync_fuzz(ad_decode SOURCES fuzz_ad_decode.c LIBS adsync_ldap)

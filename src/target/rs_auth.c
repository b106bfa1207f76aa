/*
 * Signature computation and header parsing (docs/rackspace-api.md §2.4).
 * SHA-1 and Base64 come from OpenSSL's libcrypto; the four parts are fed to
 * the digest one after the other so the secret is never concatenated into a
 * second buffer. Any thread. rs_auth_parse() takes untrusted input.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "err.h"
#include "rs_auth.h"

int
rs_auth_timestamp(time_t t, char out[RS_AUTH_TS_LEN + 1])
{
	struct tm tm;

	/* UTC, as the official C# client does; the API documents no zone. */
	if (gmtime_r(&t, &tm) == NULL)
		return -ADSYNC_ERANGE;
	if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999)
		return -ADSYNC_ERANGE;
	if (strftime(out, RS_AUTH_TS_LEN + 1, "%Y%m%d%H%M%S", &tm) !=
	    RS_AUTH_TS_LEN)
		return -ADSYNC_ERANGE;
	return 0;
}

static int
two(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int
rs_auth_timestamp_parse(const char *ts, time_t *out)
{
	struct tm tm;
	time_t t;
	int i;

	for (i = 0; i < RS_AUTH_TS_LEN; i++)
		if (!isdigit((unsigned char)ts[i]))
			return -ADSYNC_EPARSE;
	if (ts[RS_AUTH_TS_LEN] != '\0')
		return -ADSYNC_EPARSE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = two(ts) * 100 + two(ts + 2) - 1900;
	tm.tm_mon = two(ts + 4) - 1;
	tm.tm_mday = two(ts + 6);
	tm.tm_hour = two(ts + 8);
	tm.tm_min = two(ts + 10);
	tm.tm_sec = two(ts + 12);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -ADSYNC_EPARSE;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -ADSYNC_EPARSE;
	*out = t;
	return 0;
}

int
rs_auth_hash(const char *user_key, const char *user_agent,
    const char *timestamp, const unsigned char *secret, size_t secret_len,
    char out[RS_AUTH_HASH_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -ADSYNC_EPROTO;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
	    EVP_DigestUpdate(ctx, user_key, strlen(user_key)) &&
	    EVP_DigestUpdate(ctx, user_agent, strlen(user_agent)) &&
	    EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) &&
	    EVP_DigestUpdate(ctx, secret, secret_len) &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen != 20)
		return -ADSYNC_EPROTO;
	/* Base64 of the 20 raw bytes (not of the hex digest): 28 chars. */
	if (EVP_EncodeBlock((unsigned char *)out, md, 20) != RS_AUTH_HASH_LEN)
		return -ADSYNC_EPROTO;
	out[RS_AUTH_HASH_LEN] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
rs_auth_header(const char *user_key, const char *user_agent, time_t now,
    const unsigned char *secret, size_t secret_len, char *out, size_t outlen)
{
	char ts[RS_AUTH_TS_LEN + 1], hash[RS_AUTH_HASH_LEN + 1];
	int r, n;

	if ((r = rs_auth_timestamp(now, ts)) < 0)
		return r;
	if ((r = rs_auth_hash(user_key, user_agent, ts, secret, secret_len,
	    hash)) < 0)
		return r;
	n = snprintf(out, outlen, "%s:%s:%s", user_key, ts, hash);
	if (n < 0 || (size_t)n >= outlen)
		return -ADSYNC_ETOOBIG;
	return 0;
}

int
rs_auth_parse(const char *value, struct rs_auth_parts *out)
{
	const char *c1, *c2, *p;
	size_t klen;
	int i;

	if ((c1 = strchr(value, ':')) == NULL)
		return -ADSYNC_EPARSE;
	klen = (size_t)(c1 - value);
	if (klen == 0 || klen > RS_AUTH_KEY_MAX)
		return -ADSYNC_EPARSE;
	for (p = value; p < c1; p++)
		if (!isgraph((unsigned char)*p))
			return -ADSYNC_EPARSE;
	c2 = c1 + 1 + RS_AUTH_TS_LEN;
	for (p = c1 + 1; p < c2; p++)
		if (!isdigit((unsigned char)*p))
			return -ADSYNC_EPARSE;
	if (*c2 != ':')
		return -ADSYNC_EPARSE;
	for (i = 0; i < RS_AUTH_HASH_LEN; i++) {
		unsigned char ch = (unsigned char)c2[1 + i];

		if (!(isalnum(ch) || ch == '+' || ch == '/' || ch == '='))
			return -ADSYNC_EPARSE;
	}
	if (c2[1 + RS_AUTH_HASH_LEN] != '\0')
		return -ADSYNC_EPARSE;
	memcpy(out->user_key, value, klen);
	out->user_key[klen] = '\0';
	memcpy(out->timestamp, c1 + 1, RS_AUTH_TS_LEN);
	out->timestamp[RS_AUTH_TS_LEN] = '\0';
	memcpy(out->hash, c2 + 1, RS_AUTH_HASH_LEN);
	out->hash[RS_AUTH_HASH_LEN] = '\0';
	return 0;
}

bool
rs_auth_hash_equal(const char *a, const char *b)
{
	/* SECURITY: constant time, so response timing does not reveal how
	 * many leading characters of a forged hash were right. */
	return strlen(a) == RS_AUTH_HASH_LEN && strlen(b) == RS_AUTH_HASH_LEN &&
	    CRYPTO_memcmp(a, b, RS_AUTH_HASH_LEN) == 0;
}

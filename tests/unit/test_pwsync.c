/*
 * Unit tests of src/pwsync (docs/pwsync.md), each case in a fresh
 * mkdtemp() state directory (0700) that is removed afterwards:
 *
 *  - pw_pki_ensure: the pki directory and file modes, the server
 *    certificate checked independently with OpenSSL (chain to the CA,
 *    serverAuth, the exact SAN set), idempotence, re-issue on new names,
 *    a pki directory open to others refused;
 *  - pw_pki_issue: the client certificate, its PKCS#8 key and PKCS#12
 *    bundle, the fingerprint recomputed here;
 *  - pw_sealer: the key file, round trips, damaged and foreign blobs,
 *    unsafe or bad key files;
 *  - pw_db: DCs, the queue (duplicates, pw_done, order, sealed blobs),
 *    the raw file never holding a plaintext password, read-only handles,
 *    alerts;
 *  - pw_receiver_start: a real listening port, and its errors.
 *
 * Runs under ASan/UBSan with leak checking in the dev preset. No network
 * but 127.0.0.1.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <curl/curl.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "pwproto.h"
#include "pwsync.h"
#include "secret.h"
#include "strparse.h"

#define TMP_PREFIX "/tmp/adsync-ut-pwsync."

/* ---- helpers ---- */

struct fx {
	char dir[64];
};

static int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%sXXXXXX", TMP_PREFIX);
	if (mkdtemp(fx->dir) == NULL || chmod(fx->dir, 0700) < 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;
	int r = 0;

	/* Only our own mkdtemp directory, never a symbolic link's target. */
	if (strncmp(fx->dir, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
		(void)chmod(fx->dir, 0700);
		r = nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	free(fx);
	return r;
}

static void
path_of(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < outlen);
}

/* A subdirectory of the fixture used as a second state directory. */
static void
other_state(const struct fx *fx, char *out, size_t outlen)
{
	path_of(out, outlen, fx->dir, "other");
	assert_int_equal(mkdir(out, 0700), 0);
}

static void
mkdir_pki(const char *state_dir)
{
	char p[256];

	path_of(p, sizeof(p), state_dir, "pki");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, 0700), 0);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static mode_t
mode_in(const char *dir, const char *name)
{
	char p[256];

	path_of(p, sizeof(p), dir, name);
	return mode_of(p);
}

/* The whole file (malloc'd, NUL-terminated), or NULL when it does not
 * exist. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t got;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	for (;;) {
		if (n + 4097 > cap) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = read(fd, buf + n, cap - n - 1);
		assert_true(got >= 0);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static unsigned char *
slurp_in(const char *dir, const char *name, size_t *len)
{
	char p[256];
	unsigned char *b;

	path_of(p, sizeof(p), dir, name);
	b = slurp(p, len);
	if (b == NULL)
		fail_msg("%s is missing", p);
	return b;
}

static void
write_file(const char *path, const char *data, mode_t mode)
{
	size_t len = strlen(data);
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

#define assert_contains(hay, needle) do { \
	const char *h_ = (hay), *n_ = (needle); \
	if (strstr(h_, n_) == NULL) \
		fail_msg("\"%s\" does not contain \"%s\"", h_, n_); \
} while (0)

/* ---- OpenSSL views of the PKI ---- */

static X509 *
load_cert(const char *dir, const char *name)
{
	char p[256];
	X509 *x;
	FILE *f;

	snprintf(p, sizeof(p), "%s/pki/%s", dir, name);
	f = fopen(p, "re");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *
load_key(const char *dir, const char *name)
{
	char p[256];
	EVP_PKEY *k;
	FILE *f;

	snprintf(p, sizeof(p), "%s/pki/%s", dir, name);
	f = fopen(p, "re");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

/* X509_verify_cert of `x` against `ca` alone, for `purpose`
 * (X509_PURPOSE_SSL_SERVER / _CLIENT: the EKU is checked too). The
 * X509_V_ERR code (X509_V_OK when it verifies). */
static int
verify_with(X509 *ca, X509 *x, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok, err;

	assert_non_null(st);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, st, x, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	ok = X509_verify_cert(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	if (ok == 1)
		return X509_V_OK;
	return err != X509_V_OK ? err : -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "DNS:a,IP:1.2.3.4,..." of `x`'s SANs, sorted, so that sets compare. */
static void
san_set(X509 *x, char *out, size_t outlen)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	const unsigned char *d;
	char ent[16][300];
	const char *sorted[16];
	size_t used = 0;
	int i, n, len;

	out[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(gens);
	n = sk_GENERAL_NAME_num(gens);
	assert_true(n > 0 && n <= 16);
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			snprintf(ent[i], sizeof(ent[i]), "DNS:%.*s", len,
			    (const char *)d);
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if (len == 4)
				snprintf(ent[i], sizeof(ent[i]),
				    "IP:%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
			else
				snprintf(ent[i], sizeof(ent[i]), "IP:len%d",
				    len);
		} else {
			snprintf(ent[i], sizeof(ent[i]), "type%d", g->type);
		}
		sorted[i] = ent[i];
	}
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_str);
	for (i = 0; i < n; i++) {
		len = snprintf(out + used, outlen - used, "%s%s",
		    i ? "," : "", sorted[i]);
		assert_true(len > 0 && (size_t)len < outlen - used);
		used += (size_t)len;
	}
	GENERAL_NAMES_free(gens);
}

/* The same sorting for an expected list written by hand. */
static void
sort_list(const char *in, char *out, size_t outlen)
{
	char copy[1024], *p, *save = NULL;
	const char *items[16];
	size_t n = 0, used = 0;
	int len;
	size_t i;

	snprintf(copy, sizeof(copy), "%s", in);
	for (p = strtok_r(copy, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		assert_true(n < 16);
		items[n++] = p;
	}
	qsort(items, n, sizeof(items[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len = snprintf(out + used, outlen - used, "%s%s",
		    i ? "," : "", items[i]);
		assert_true(len > 0 && (size_t)len < outlen - used);
		used += (size_t)len;
	}
}

static void
assert_sans(X509 *x, const char *expected)
{
	char got[1024], want[1024];

	san_set(x, got, sizeof(got));
	sort_list(expected, want, sizeof(want));
	assert_string_equal(got, want);
}

static void
cert_cn(X509 *x, char *out, int outlen)
{
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, out, outlen) > 0);
}

static void
sha256_hex(const unsigned char *der, size_t len, char hex[PW_FP_HEX + 1])
{
	unsigned char md[crypto_hash_sha256_BYTES];
	size_t i;

	crypto_hash_sha256(md, der, len);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static int64_t
cert_not_after(X509 *x)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
	return (int64_t)timegm(&tm);
}

/* ---- pw_pki_ensure ---- */

static void
ensure_ok(const char *dir, const char *names)
{
	char why[512] = "";
	int r = pw_pki_ensure(dir, names, why, sizeof(why));

	if (r != 0)
		fail_msg("pw_pki_ensure(%s): %d %s", names, r, why);
}

static void
test_pki_ensure_files(void **state)
{
	struct fx *fx = *state;
	X509 *ca, *srv;
	EVP_PKEY *key;
	char cn[128];

	ensure_ok(fx->dir, "adsync.example.test 10.1.2.3");
	assert_int_equal(mode_in(fx->dir, "pki"), 0700);
	assert_int_equal(mode_in(fx->dir, "pki/ca.key"), 0600);
	assert_int_equal(mode_in(fx->dir, "pki/server.key"), 0600);
	/* umask 022 (main): the certificates are public. */
	assert_int_equal(mode_in(fx->dir, "pki/ca.pem"), 0644);
	assert_int_equal(mode_in(fx->dir, "pki/server.pem"), 0644);

	ca = load_cert(fx->dir, "ca.pem");
	srv = load_cert(fx->dir, "server.pem");
	assert_true(X509_check_ca(ca) >= 1);
	assert_int_equal(X509_check_ca(srv), 0);
	assert_int_equal(X509_verify(ca, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_verify(srv, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_check_issued(ca, srv), X509_V_OK);
	assert_int_equal(verify_with(ca, srv, X509_PURPOSE_SSL_SERVER),
	    X509_V_OK);
	assert_true(X509_get_extension_flags(srv) & EXFLAG_XKUSAGE);
	assert_int_equal(X509_get_extended_key_usage(srv), XKU_SSL_SERVER);
	/* Not usable as a client certificate. */
	assert_int_not_equal(verify_with(ca, srv, X509_PURPOSE_SSL_CLIENT),
	    X509_V_OK);
	assert_sans(srv, "DNS:adsync.example.test,IP:10.1.2.3,"
	    "DNS:localhost,IP:127.0.0.1");
	cert_cn(ca, cn, sizeof(cn));
	assert_string_equal(cn, "adsync hook CA");
	/* The CA's key is P-256 and matches ca.pem; server.key matches. */
	key = load_key(fx->dir, "ca.key");
	assert_int_equal(EVP_PKEY_eq(key, X509_get0_pubkey(ca)), 1);
	assert_string_equal(EVP_PKEY_get0_type_name(key), "EC");
	EVP_PKEY_free(key);
	key = load_key(fx->dir, "server.key");
	assert_int_equal(EVP_PKEY_eq(key, X509_get0_pubkey(srv)), 1);
	EVP_PKEY_free(key);
	X509_free(srv);
	X509_free(ca);
}

static void
test_pki_ensure_sans(void **state)
{
	struct fx *fx = *state;
	char other[256], host[256], want[512];
	X509 *srv;

	/* "localhost" and 127.0.0.1 given too, and a name twice: each once. */
	ensure_ok(fx->dir, "localhost  dc-rx.example.test\t127.0.0.1 "
	    "dc-rx.example.test 192.168.10.20");
	srv = load_cert(fx->dir, "server.pem");
	assert_sans(srv, "DNS:localhost,DNS:dc-rx.example.test,IP:127.0.0.1,"
	    "IP:192.168.10.20");
	X509_free(srv);

	/* "" = this host's name. */
	other_state(fx, other, sizeof(other));
	ensure_ok(other, "");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	srv = load_cert(other, "server.pem");
	if (strcmp(host, "localhost") == 0)
		snprintf(want, sizeof(want), "DNS:localhost,IP:127.0.0.1");
	else
		snprintf(want, sizeof(want), "DNS:%s,DNS:localhost,"
		    "IP:127.0.0.1", host);
	assert_sans(srv, want);
	X509_free(srv);
}

static void
test_pki_ensure_idempotent(void **state)
{
	static const char *const files[] = { "pki/ca.key", "pki/ca.pem",
	    "pki/server.key", "pki/server.pem" };
	struct fx *fx = *state;
	unsigned char *before[4], *after;
	size_t blen[4], alen, i;

	ensure_ok(fx->dir, "a.example.test b.example.test");
	for (i = 0; i < 4; i++)
		before[i] = slurp_in(fx->dir, files[i], &blen[i]);
	ensure_ok(fx->dir, "a.example.test b.example.test");
	for (i = 0; i < 4; i++) {
		after = slurp_in(fx->dir, files[i], &alen);
		if (alen != blen[i] || memcmp(after, before[i], alen) != 0)
			fail_msg("%s changed on a second pw_pki_ensure with "
			    "the same names", files[i]);
		free(after);
	}
	for (i = 0; i < 4; i++)
		free(before[i]);
}

/* A receiver certificate that ends within the renewal margin is issued
 * again under the same CA (the DCs keep trusting it); one that does not is
 * left alone; pw_pki_server_expiring() says which. */
static void
test_pki_ensure_renew(void **state)
{
	struct fx *fx = *state;
	unsigned char *ca1, *srv1, *b;
	size_t ca1_len, srv1_len, len;
	char why[512] = "";

	ensure_ok(fx->dir, "a.example.test");
	ca1 = slurp_in(fx->dir, "pki/ca.pem", &ca1_len);
	srv1 = slurp_in(fx->dir, "pki/server.pem", &srv1_len);
	/* 825 days of validity: not within 30, within 900. */
	assert_int_equal(pw_pki_server_expiring(fx->dir, 30), 0);
	assert_int_equal(pw_pki_server_expiring(fx->dir, 900), 1);
	assert_int_equal(pw_pki_ensure_renew(fx->dir, "a.example.test", 30,
	    why, sizeof(why)), 0);
	b = slurp_in(fx->dir, "pki/server.pem", &len);
	assert_true(len == srv1_len && memcmp(b, srv1, len) == 0);
	free(b);
	assert_int_equal(pw_pki_ensure_renew(fx->dir, "a.example.test", 900,
	    why, sizeof(why)), 0);
	b = slurp_in(fx->dir, "pki/server.pem", &len);
	assert_false(len == srv1_len && memcmp(b, srv1, len) == 0);
	free(b);
	b = slurp_in(fx->dir, "pki/ca.pem", &len);
	assert_true(len == ca1_len && memcmp(b, ca1, len) == 0);
	free(b);
	free(ca1);
	free(srv1);
}

static void
test_pki_ensure_new_names(void **state)
{
	struct fx *fx = *state;
	unsigned char *cakey, *capem, *srvpem, *b;
	size_t cakey_len, capem_len, srvpem_len, len;
	char other[256];
	X509 *ca, *srv, *ca2;

	ensure_ok(fx->dir, "old.example.test");
	cakey = slurp_in(fx->dir, "pki/ca.key", &cakey_len);
	capem = slurp_in(fx->dir, "pki/ca.pem", &capem_len);
	srvpem = slurp_in(fx->dir, "pki/server.pem", &srvpem_len);

	ensure_ok(fx->dir, "new.example.test 10.9.8.7");
	b = slurp_in(fx->dir, "pki/ca.key", &len);
	assert_true(len == cakey_len && memcmp(b, cakey, len) == 0);
	free(b);
	b = slurp_in(fx->dir, "pki/ca.pem", &len);
	assert_true(len == capem_len && memcmp(b, capem, len) == 0);
	free(b);
	b = slurp_in(fx->dir, "pki/server.pem", &len);
	assert_false(len == srvpem_len && memcmp(b, srvpem, len) == 0);
	free(b);
	assert_int_equal(mode_in(fx->dir, "pki/server.key"), 0600);

	ca = load_cert(fx->dir, "ca.pem");
	srv = load_cert(fx->dir, "server.pem");
	assert_sans(srv, "DNS:new.example.test,IP:10.9.8.7,DNS:localhost,"
	    "IP:127.0.0.1");
	assert_int_equal(verify_with(ca, srv, X509_PURPOSE_SSL_SERVER),
	    X509_V_OK);

	/* Another state directory's CA does not vouch for it: the check
	 * above is not vacuous. */
	other_state(fx, other, sizeof(other));
	ensure_ok(other, "new.example.test 10.9.8.7");
	ca2 = load_cert(other, "ca.pem");
	assert_int_not_equal(verify_with(ca2, srv, X509_PURPOSE_SSL_SERVER),
	    X509_V_OK);
	assert_int_not_equal(X509_verify(srv, X509_get0_pubkey(ca2)), 1);

	X509_free(ca2);
	X509_free(srv);
	X509_free(ca);
	free(cakey);
	free(capem);
	free(srvpem);
}

static void
test_pki_ensure_unsafe_dir(void **state)
{
	struct fx *fx = *state;
	char pki[256], why[512] = "", p[256];
	int r;

	path_of(pki, sizeof(pki), fx->dir, "pki");
	assert_int_equal(mkdir(pki, 0755), 0);
	assert_int_equal(chmod(pki, 0755), 0);
	r = pw_pki_ensure(fx->dir, "localhost", why, sizeof(why));
	assert_true(r < 0);
	assert_contains(why, "chmod");
	assert_contains(why, pki);
	/* Nothing was made in it. */
	path_of(p, sizeof(p), fx->dir, "pki/ca.key");
	assert_int_equal(access(p, F_OK), -1);

	/* Fixed as told, it works. */
	assert_int_equal(chmod(pki, 0700), 0);
	ensure_ok(fx->dir, "localhost");
}

/* ---- pw_pki_issue ---- */

static void
issue_ok(const char *dir, const char *dc, bool rsa, struct pw_hookfile *hf,
    char fp[PW_FP_HEX + 1], int64_t *not_after)
{
	char why[512] = "";
	int r = pw_pki_issue(dir, dc, "https://adsync.example.test:8732", rsa,
	    hf, fp, not_after, why, sizeof(why));

	if (r != 0)
		fail_msg("pw_pki_issue(%s, rsa %d): %d %s", dc, rsa, r, why);
}

static void
pki_issue_check(struct fx *fx, bool rsa)
{
	struct pw_hookfile hf, hf2;
	char fp[PW_FP_HEX + 1], fp2[PW_FP_HEX + 1], mine[PW_FP_HEX + 1];
	char cn[128];
	const unsigned char *p;
	unsigned char *ca_der = NULL;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *key, *pkey = NULL;
	X509 *ca, *crt, *pcrt = NULL;
	STACK_OF(X509) *chain = NULL;
	PKCS12 *p12;
	int64_t not_after, not_after2, now = (int64_t)time(NULL);
	size_t len;
	int n;

	ensure_ok(fx->dir, "adsync.example.test");
	issue_ok(fx->dir, "DC1", rsa, &hf, fp, &not_after);
	assert_string_equal(hf.dc, "DC1");
	assert_string_equal(hf.receiver, "https://adsync.example.test:8732");

	/* ca_der is the CA of ca.pem. */
	ca = load_cert(fx->dir, "ca.pem");
	n = i2d_X509(ca, &ca_der);
	assert_true(n > 0);
	assert_int_equal(hf.ca_len, (size_t)n);
	assert_memory_equal(hf.ca_der, ca_der, (size_t)n);
	OPENSSL_free(ca_der);

	/* The client certificate. */
	p = hf.cert_der;
	crt = d2i_X509(NULL, &p, (long)hf.cert_len);
	assert_non_null(crt);
	assert_ptr_equal(p, hf.cert_der + hf.cert_len);
	cert_cn(crt, cn, sizeof(cn));
	assert_string_equal(cn, "DC1");
	assert_int_equal(X509_verify(crt, X509_get0_pubkey(ca)), 1);
	assert_int_equal(verify_with(ca, crt, X509_PURPOSE_SSL_CLIENT),
	    X509_V_OK);
	assert_true(X509_get_extension_flags(crt) & EXFLAG_XKUSAGE);
	assert_int_equal(X509_get_extended_key_usage(crt), XKU_SSL_CLIENT);
	assert_int_equal(X509_check_ca(crt), 0);
	assert_int_not_equal(verify_with(ca, crt, X509_PURPOSE_SSL_SERVER),
	    X509_V_OK);
	/* About two years, and not_after is the certificate's. */
	assert_true(not_after > now + 729LL * 86400);
	assert_true(not_after < now + 731LL * 86400);
	assert_true(llabs((long long)(cert_not_after(crt) - not_after)) <= 5);

	/* key_der: PKCS#8 of the certificate's key. */
	p = secret_bytes(hf.key_der, &len);
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	assert_non_null(p8);
	key = EVP_PKCS82PKEY(p8);
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_eq(key, X509_get0_pubkey(crt)), 1);
	assert_int_equal(X509_check_private_key(crt, key), 1);
	if (rsa) {
		static const char *const names[] = { "rsa-factor1",
		    "rsa-factor2", "rsa-exponent1", "rsa-exponent2",
		    "rsa-coefficient1" };
		BIGNUM *bn;
		size_t i;

		assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_RSA);
		assert_int_equal(EVP_PKEY_get_bits(key), 2048);
		/* Every private component at its full length (Windows'
		 * fixed-length key blob; wine refused shorter ones). */
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			bn = NULL;
			assert_int_equal(EVP_PKEY_get_bn_param(key, names[i],
			    &bn), 1);
			assert_int_equal(BN_num_bytes(bn), 128);
			BN_clear_free(bn);
		}
		bn = NULL;
		assert_int_equal(EVP_PKEY_get_bn_param(key, "d", &bn), 1);
		assert_int_equal(BN_num_bytes(bn), 256);
		BN_clear_free(bn);
	} else {
		assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
		assert_int_equal(EVP_PKEY_get_bits(key), 256);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);

	/* p12: the same certificate and key, empty password. */
	p = secret_bytes(hf.p12, &len);
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_parse(p12, "", &pkey, &pcrt, &chain), 1);
	assert_non_null(pkey);
	assert_non_null(pcrt);
	assert_int_equal(X509_cmp(pcrt, crt), 0);
	assert_int_equal(EVP_PKEY_eq(pkey, key), 1);
	PKCS12_free(p12);
	EVP_PKEY_free(pkey);
	X509_free(pcrt);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);

	/* The fingerprint is SHA-256 of cert_der, lowercase hex. */
	sha256_hex(hf.cert_der, hf.cert_len, mine);
	assert_string_equal(fp, mine);
	pw_pki_fingerprint(hf.cert_der, hf.cert_len, mine);
	assert_string_equal(fp, mine);

	/* Enrolling the same DC again: another certificate, same CA. */
	issue_ok(fx->dir, "DC1", rsa, &hf2, fp2, &not_after2);
	assert_string_not_equal(fp, fp2);
	assert_int_equal(hf2.ca_len, hf.ca_len);
	assert_memory_equal(hf2.ca_der, hf.ca_der, hf.ca_len);
	assert_false(hf2.cert_len == hf.cert_len &&
	    memcmp(hf2.cert_der, hf.cert_der, hf.cert_len) == 0);

	pw_hookfile_fini(&hf2);
	pw_hookfile_fini(&hf);
	X509_free(crt);
	X509_free(ca);
}

static void
test_pki_issue(void **state)
{
	pki_issue_check(*state, false);
}

/* `adsync hook enroll --rsa`: the same, with an RSA 2048 key. */
static void
test_pki_issue_rsa(void **state)
{
	pki_issue_check(*state, true);
}

static void
test_pki_issue_needs_ca(void **state)
{
	struct fx *fx = *state;
	struct pw_hookfile hf;
	char fp[PW_FP_HEX + 1], why[512] = "";
	int64_t na = 0;

	assert_true(pw_pki_issue(fx->dir, "DC1", "https://x.test:8732", false,
	    &hf, fp, &na, why, sizeof(why)) < 0);
	assert_true(why[0] != '\0');
	assert_null(hf.receiver);
	assert_null(hf.cert_der);
	pw_hookfile_fini(&hf);
}

/* ---- pw_sealer ---- */

static struct pw_sealer *
sealer_ok(const char *dir)
{
	struct pw_sealer *s = NULL;
	char why[512] = "";
	int r = pw_sealer_open(dir, &s, why, sizeof(why));

	if (r != 0)
		fail_msg("pw_sealer_open(%s): %d %s", dir, r, why);
	assert_non_null(s);
	return s;
}

static struct secret *
pw_new(const char *pw)
{
	struct secret *s = secret_new(pw, strlen(pw), "test password");

	assert_non_null(s);
	return s;
}

/* Seals `pw` with `a`, opens it with `b` and compares. */
static void
round_trip(const struct pw_sealer *a, const struct pw_sealer *b,
    const void *pw, size_t pwlen)
{
	struct secret *in = secret_new(pw, pwlen, "test password"), *out;
	const unsigned char *o;
	unsigned char *blob;
	size_t len = 0, olen;

	assert_non_null(in);
	blob = pw_seal(a, in, &len);
	assert_non_null(blob);
	assert_int_equal(len, crypto_secretbox_NONCEBYTES +
	    crypto_secretbox_MACBYTES + pwlen);
	/* Not in clear (a short password may occur in random bytes). */
	if (pwlen >= 8)
		assert_null(memmem(blob, len, pw, pwlen));
	out = pw_unseal(b, blob, len);
	assert_non_null(out);
	o = secret_bytes(out, &olen);
	assert_int_equal(olen, pwlen);
	assert_memory_equal(o, pw, pwlen);
	assert_int_equal(o[olen], '\0');
	secret_free(out);
	secret_free(in);
	free(blob);
}

static void
test_sealer_key_file(void **state)
{
	struct fx *fx = *state;
	struct pw_sealer *s, *s2;
	unsigned char *text, key[64];
	size_t len, klen = 0;

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	assert_int_equal(mode_in(fx->dir, "pki/queue.key"), 0600);
	text = slurp_in(fx->dir, "pki/queue.key", &len);
	/* base64 (standard, padded) of 32 bytes, one line. */
	assert_int_equal(len, 45);
	assert_int_equal(text[44], '\n');
	assert_int_equal(text[43], '=');
	assert_int_equal(sodium_base642bin(key, sizeof(key),
	    (const char *)text, 44, NULL, &klen, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(klen, 32);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(text, len);
	free(text);

	/* Opening it again reads the same key (not a new one). */
	s2 = sealer_ok(fx->dir);
	round_trip(s, s2, "Reopened-Key-1", 14);
	round_trip(s2, s, "Reopened-Key-2", 14);
	pw_sealer_free(s2);
	pw_sealer_free(s);
	pw_sealer_free(NULL);
}

static void
test_sealer_round_trip(void **state)
{
	struct fx *fx = *state;
	struct pw_sealer *s;
	char big[PW_PASSWORD_MAX];
	size_t i;

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	round_trip(s, s, "P\xc3\xa4ssw\xc3\xb6rd1\xe2\x82\xac",
	    strlen("P\xc3\xa4ssw\xc3\xb6rd1\xe2\x82\xac"));
	round_trip(s, s, "x", 1);
	round_trip(s, s, "Correct Horse Battery Staple 42!", 32);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('!' + i % 94);
	round_trip(s, s, big, sizeof(big));
	pw_sealer_free(s);
}

static void
test_sealer_tamper(void **state)
{
	struct fx *fx = *state;
	struct pw_sealer *s, *s2;
	struct secret *pw = pw_new("Tamper-Proof-9"), *out;
	unsigned char *blob, *b2;
	size_t len, len2, i;
	char other[256];

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	blob = pw_seal(s, pw, &len);
	assert_non_null(blob);

	/* Any one flipped byte (nonce, MAC or text): does not open. */
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		out = pw_unseal(s, blob, len);
		if (out != NULL)
			fail_msg("a blob with byte %zu flipped opened", i);
		blob[i] ^= 0x01;
	}
	/* Truncated or extended blobs do not open either. */
	assert_null(pw_unseal(s, blob, len - 1));
	assert_null(pw_unseal(s, blob, crypto_secretbox_NONCEBYTES +
	    crypto_secretbox_MACBYTES - 1));
	assert_null(pw_unseal(s, blob, 0));
	b2 = malloc(len + 1);
	assert_non_null(b2);
	memcpy(b2, blob, len);
	b2[len] = 0;
	assert_null(pw_unseal(s, b2, len + 1));
	free(b2);
	/* Intact, it still opens. */
	out = pw_unseal(s, blob, len);
	assert_non_null(out);
	secret_free(out);

	/* Two seals of one password differ (a fresh nonce each). */
	b2 = pw_seal(s, pw, &len2);
	assert_non_null(b2);
	assert_int_equal(len2, len);
	assert_memory_not_equal(b2, blob, crypto_secretbox_NONCEBYTES);
	assert_memory_not_equal(b2, blob, len);
	free(b2);

	/* Another state directory's key does not open it. */
	other_state(fx, other, sizeof(other));
	mkdir_pki(other);
	s2 = sealer_ok(other);
	assert_null(pw_unseal(s2, blob, len));
	b2 = pw_seal(s2, pw, &len2);
	assert_non_null(b2);
	assert_null(pw_unseal(s, b2, len2));
	free(b2);

	pw_sealer_free(s2);
	pw_sealer_free(s);
	secret_free(pw);
	free(blob);
}

static void
test_sealer_bad_key_file(void **state)
{
	static const char *const bad[] = {
		"not base64 at all!\n",
		"",
		/* base64 of 16 bytes: too short. */
		"AAECAwQFBgcICQoLDA0ODw==\n",
		/* base64 of 33 bytes: too long. */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
		/* 32 bytes in the URL-safe alphabet. */
		"-_-_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=\n",
	};
	struct fx *fx = *state;
	struct pw_sealer *s = NULL;
	char p[256], why[512];
	size_t i;
	int r;

	mkdir_pki(fx->dir);
	path_of(p, sizeof(p), fx->dir, "pki/queue.key");

	/* A key file others can read is refused, and not rewritten. */
	s = sealer_ok(fx->dir);
	pw_sealer_free(s);
	s = NULL;
	assert_int_equal(chmod(p, 0644), 0);
	why[0] = '\0';
	r = pw_sealer_open(fx->dir, &s, why, sizeof(why));
	assert_true(r < 0);
	assert_null(s);
	assert_contains(why, "chmod 600");
	assert_int_equal(mode_of(p), 0644);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(p, bad[i], 0600);
		why[0] = '\0';
		r = pw_sealer_open(fx->dir, &s, why, sizeof(why));
		if (r >= 0)
			fail_msg("queue.key \"%s\" was accepted", bad[i]);
		assert_null(s);
		assert_contains(why, "queue.key");
		/* An empty file is refused by the secret loader, with its
		 * own sentence. */
		if (bad[i][0] != '\0')
			assert_contains(why, "not a queue key");
	}
}

/* ---- pw_db ---- */

static struct pw_db *
db_ok(const char *dir, bool readonly)
{
	struct pw_db *db = NULL;
	char why[512] = "";
	int r = pw_db_open(dir, readonly, &db, why, sizeof(why));

	if (r != 0)
		fail_msg("pw_db_open(%s, %d): %d %s", dir, readonly, r, why);
	assert_non_null(db);
	return db;
}

static void
capture_init(struct pw_capture *c, const char *account, const char *pw,
    int64_t captured_ms)
{
	memset(c, 0, sizeof(*c));
	pw_capture_new_id(c->id);
	c->source = PW_SRC_CHECK_PASSWORD;
	c->committed = false;
	snprintf(c->account, sizeof(c->account), "%s", account);
	c->captured_ms = captured_ms;
	c->password = pw_new(pw);
}

struct dcs {
	int n;
	struct pw_dc d[8];
};

static int
dc_collect(void *arg, const struct pw_dc *d)
{
	struct dcs *l = arg;

	assert_true(l->n < 8);
	l->d[l->n++] = *d;
	return 0;
}

struct entries {
	int n;
	struct pw_entry e[8];
};

static int
entry_collect(void *arg, const struct pw_entry *e)
{
	struct entries *l = arg;

	assert_true(l->n < 8);
	l->e[l->n++] = *e;
	return 0;
}

/* The first 8 entries, then stops the walk (returns 1). */
static int
entry_collect_first8(void *arg, const struct pw_entry *e)
{
	struct entries *l = arg;

	l->e[l->n++] = *e;
	return l->n == 8 ? 1 : 0;
}

struct alerts {
	int n;
	struct pw_alert a[4];
};

static int
alert_collect(void *arg, const struct pw_alert *a)
{
	struct alerts *l = arg;

	assert_true(l->n < 4);
	l->a[l->n++] = *a;
	return 0;
}

static const char FP1[] =
    "1111111111111111111111111111111111111111111111111111111111111111";
static const char FP2[] =
    "2222222222222222222222222222222222222222222222222222222222222222";
static const char FP3[] =
    "3333333333333333333333333333333333333333333333333333333333333333";
static const char FP4[] =
    "4444444444444444444444444444444444444444444444444444444444444444";

static void
test_db_open_modes(void **state)
{
	struct fx *fx = *state;
	struct pw_db *db = NULL;
	char p[256], why[512] = "";
	int r;

	/* Read-only before anything was enrolled: no file, a hint. */
	r = pw_db_open(fx->dir, true, &db, why, sizeof(why));
	assert_int_equal(r, -ENOENT);
	assert_null(db);
	assert_contains(why, "hook enroll");

	db = db_ok(fx->dir, false);
	assert_int_equal(mode_in(fx->dir, "pw.db"), 0600);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", FP1, 100, 1000), 0);
	/* WAL files, when there, are as private as the database. */
	path_of(p, sizeof(p), fx->dir, "pw.db-wal");
	if (access(p, F_OK) == 0)
		assert_int_equal(mode_of(p) & 077, 0);
	path_of(p, sizeof(p), fx->dir, "pw.db-shm");
	if (access(p, F_OK) == 0)
		assert_int_equal(mode_of(p) & 077, 0);
	pw_db_close(db);
	pw_db_close(NULL);

	/* A pw.db others can read is refused, naming the fix. */
	path_of(p, sizeof(p), fx->dir, "pw.db");
	assert_int_equal(chmod(p, 0644), 0);
	db = NULL;
	why[0] = '\0';
	assert_int_equal(pw_db_open(fx->dir, false, &db, why, sizeof(why)),
	    -EPERM);
	assert_null(db);
	assert_contains(why, "chmod 600");
	assert_int_equal(chmod(p, 0600), 0);
	db = db_ok(fx->dir, false);
	pw_db_close(db);
}

static void
test_db_dc(void **state)
{
	struct fx *fx = *state;
	struct pw_db *db;
	struct pw_dc d;
	struct pw_heartbeat h;
	struct dcs l;

	db = db_ok(fx->dir, false);
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 0);
	assert_int_equal(pw_db_dc_revoke(db, "DC1", 50), -ENOENT);

	assert_int_equal(pw_db_dc_enroll(db, "dc2", FP2, 100, 9000), 0);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", FP1, 110, 9100), 0);
	assert_int_equal(pw_db_dc_enroll(db, "dc3", FP3, 120, 9200), 0);

	memset(&d, 0, sizeof(d));
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 1);
	assert_string_equal(d.name, "DC1");
	assert_string_equal(d.fingerprint, FP1);
	assert_int_equal(d.enrolled, 110);
	assert_int_equal(d.not_after, 9100);
	assert_int_equal(d.revoked, 0);
	assert_int_equal(d.last_heartbeat, 0);
	assert_int_equal(d.captures, 0);

	/* Listed by name. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_dc_each(db, dc_collect, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.d[0].name, "DC1");
	assert_string_equal(l.d[1].name, "dc2");
	assert_string_equal(l.d[2].name, "dc3");

	/* Revoked: still found by fingerprint, flagged. Twice: -ENOENT,
	 * and the first revocation's time stays. */
	assert_int_equal(pw_db_dc_revoke(db, "DC1", 200), 0);
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 1);
	assert_int_equal(d.revoked, 200);
	assert_int_equal(pw_db_dc_revoke(db, "DC1", 300), -ENOENT);
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 1);
	assert_int_equal(d.revoked, 200);
	assert_int_equal(pw_db_dc_revoke(db, "DC9", 300), -ENOENT);

	/* Enrolled again with a new certificate: the old fingerprint is
	 * gone, the revocation cleared (the name matches without case). */
	assert_int_equal(pw_db_dc_enroll(db, "dc1", FP4, 400, 9400), 0);
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 0);
	assert_int_equal(pw_db_dc_by_fp(db, FP4, &d), 1);
	assert_string_equal(d.name, "DC1");
	assert_int_equal(d.revoked, 0);
	assert_int_equal(d.enrolled, 400);
	assert_int_equal(d.not_after, 9400);
	/* By name (the receiver's message for a replaced certificate). */
	memset(&d, 0, sizeof(d));
	assert_int_equal(pw_db_dc_by_name(db, "DC1", &d), 1);
	assert_string_equal(d.fingerprint, FP4);
	assert_int_equal(pw_db_dc_by_name(db, "dc1", &d), 1);
	assert_int_equal(pw_db_dc_by_name(db, "DC9", &d), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_dc_each(db, dc_collect, &l), 0);
	assert_int_equal(l.n, 3);

	/* A fingerprint belongs to one DC only. */
	assert_true(pw_db_dc_enroll(db, "dc5", FP2, 500, 9500) < 0);

	/* Heartbeats. */
	memset(&h, 0, sizeof(h));
	snprintf(h.version, sizeof(h.version), "adsync-pwhook 1.2.3");
	h.spooled = 7;
	h.last_change_ms = 123456;
	assert_int_equal(pw_db_dc_heartbeat(db, "dc2", &h, 5000), 0);
	assert_int_equal(pw_db_dc_by_fp(db, FP2, &d), 1);
	assert_int_equal(d.last_heartbeat, 5000);
	assert_int_equal(d.spooled, 7);
	assert_string_equal(d.version, "adsync-pwhook 1.2.3");
	h.spooled = 0;
	snprintf(h.version, sizeof(h.version), "adsync-pwhook 1.2.4");
	assert_int_equal(pw_db_dc_heartbeat(db, "dc2", &h, 5060), 0);
	assert_int_equal(pw_db_dc_by_fp(db, FP2, &d), 1);
	assert_int_equal(d.last_heartbeat, 5060);
	assert_int_equal(d.spooled, 0);
	assert_string_equal(d.version, "adsync-pwhook 1.2.4");
	/* Others untouched. */
	assert_int_equal(pw_db_dc_by_fp(db, FP3, &d), 1);
	assert_int_equal(d.last_heartbeat, 0);

	pw_db_close(db);
}

static void
test_db_queue(void **state)
{
	struct fx *fx = *state;
	struct pw_capture c[3], again;
	struct pw_sealer *s;
	struct pw_db *db;
	struct entries l;
	struct secret *pw;
	struct pw_dc d;
	const unsigned char *p;
	unsigned char *blob;
	uint64_t n = 99;
	size_t len = 0, plen;
	int i;

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	db = db_ok(fx->dir, false);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", FP1, 100, 9000), 0);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 0);

	/* Inserted newest first; listed oldest capture first. */
	capture_init(&c[0], "carol", "Carol-Pw-3333", 3000);
	capture_init(&c[1], "alice", "Alice-Pw-1111", 1000);
	capture_init(&c[2], "bob", "B\xc3\xb6" "b-Pw-2222\xe2\x82\xac", 2000);
	c[1].source = PW_SRC_NOTIFY;
	c[1].committed = true;
	snprintf(c[1].upn, sizeof(c[1].upn), "alice@example.test");
	snprintf(c[1].guid, sizeof(c[1].guid),
	    "01234567-89ab-cdef-0123-456789abcdef");
	snprintf(c[1].sid, sizeof(c[1].sid), "S-1-5-21-1-2-3-1104");
	for (i = 0; i < 3; i++)
		assert_int_equal(pw_db_queue_put(db, s, "DC1", &c[i],
		    10000 + i), 1);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 3);

	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_queue_each(db, entry_collect, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.e[0].account, "alice");
	assert_string_equal(l.e[1].account, "bob");
	assert_string_equal(l.e[2].account, "carol");
	assert_string_equal(l.e[0].capture_id, c[1].id);
	assert_string_equal(l.e[0].dc, "DC1");
	assert_int_equal(l.e[0].source, PW_SRC_NOTIFY);
	assert_true(l.e[0].committed);
	assert_string_equal(l.e[0].upn, "alice@example.test");
	assert_string_equal(l.e[0].guid,
	    "01234567-89ab-cdef-0123-456789abcdef");
	assert_string_equal(l.e[0].sid, "S-1-5-21-1-2-3-1104");
	assert_int_equal(l.e[0].captured_ms, 1000);
	assert_int_equal(l.e[0].received_ms, 10001);
	assert_int_equal(l.e[0].attempts, 0);
	assert_string_equal(l.e[0].note, "");
	assert_int_equal(l.e[1].source, PW_SRC_CHECK_PASSWORD);
	assert_false(l.e[1].committed);
	assert_string_equal(l.e[1].upn, "");

	/* The DC's counters. */
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 1);
	assert_int_equal(d.captures, 3);
	assert_int_equal(d.last_change_ms, 10002);

	/* The sealed password opens to what was captured. */
	blob = pw_db_queue_sealed(db, l.e[1].id, &len);
	assert_non_null(blob);
	pw = pw_unseal(s, blob, len);
	assert_non_null(pw);
	p = secret_bytes(pw, &plen);
	assert_int_equal(plen, strlen("B\xc3\xb6" "b-Pw-2222\xe2\x82\xac"));
	assert_memory_equal(p, "B\xc3\xb6" "b-Pw-2222\xe2\x82\xac", plen);
	secret_free(pw);
	free(blob);
	assert_null(pw_db_queue_sealed(db, 987654, &len));

	/* A resend of a queued capture: 0, nothing added or counted. */
	memset(&again, 0, sizeof(again));
	again = c[1];
	again.password = pw_new("Different-Pw-0");
	assert_int_equal(pw_db_queue_put(db, s, "DC1", &again, 20000), 0);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pw_db_dc_by_fp(db, FP1, &d), 1);
	assert_int_equal(d.captures, 3);

	/* Notes and attempts. */
	assert_int_equal(pw_db_queue_note(db, l.e[2].id, "waiting for "
	    "pwdLastSet", true), 0);
	assert_int_equal(pw_db_queue_note(db, l.e[2].id, "no mailbox yet",
	    true), 0);
	assert_int_equal(pw_db_queue_note(db, l.e[2].id, "still no mailbox",
	    false), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_queue_each(db, entry_collect, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.e[2].attempts, 2);
	assert_string_equal(l.e[2].note, "still no mailbox");
	assert_int_equal(l.e[0].attempts, 0);

	/* Done: gone from the queue, and a resend is still a duplicate. */
	assert_int_equal(pw_db_queue_done(db, l.e[0].id, 30000000), 0);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 2);
	assert_null(pw_db_queue_sealed(db, l.e[0].id, &len));
	assert_int_equal(pw_db_queue_put(db, s, "DC1", &again, 30001000), 0);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 2);

	/* Remembered for PW_DONE_KEEP_S, then forgotten (pruned by a later
	 * pw_db_queue_done). */
	assert_int_equal(pw_db_queue_done(db, l.e[1].id, 30000000 +
	    (PW_DONE_KEEP_S - 10) * 1000LL), 0);
	assert_int_equal(pw_db_queue_put(db, s, "DC1", &again, 1), 0);
	assert_int_equal(pw_db_queue_done(db, l.e[2].id, 30000000 +
	    (PW_DONE_KEEP_S + 10) * 1000LL), 0);
	assert_int_equal(pw_db_queue_put(db, s, "DC1", &again, 2), 1);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 1);

	pw_capture_fini(&again);
	for (i = 0; i < 3; i++)
		pw_capture_fini(&c[i]);
	pw_db_close(db);
	pw_sealer_free(s);
}

/* The file's bytes, and its -wal's when there, hold `needle` or not. */
static bool
db_files_contain(const char *dir, const void *needle, size_t nlen)
{
	static const char *const names[] = { "pw.db", "pw.db-wal",
	    "pw.db-shm" };
	unsigned char *b;
	char p[256];
	size_t len, i;
	bool found = false;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_of(p, sizeof(p), dir, names[i]);
		if ((b = slurp(p, &len)) == NULL)
			continue;
		if (memmem(b, len, needle, nlen) != NULL)
			found = true;
		free(b);
	}
	return found;
}

static void
test_db_no_plaintext(void **state)
{
	static const char PW1[] = "Plaintext-Zebra-8731!";
	static const char PW2[] = "Gr\xc3\xbc\xc3\x9f" "e-Plaintext-\xe2\x82\xac";
	struct fx *fx = *state;
	struct pw_capture c;
	struct pw_sealer *s;
	struct pw_db *db;
	struct entries l;
	int i;

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	db = db_ok(fx->dir, false);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", FP1, 100, 9000), 0);
	for (i = 0; i < 20; i++) {
		capture_init(&c, "marker-account-zq", i % 2 ? PW1 : PW2,
		    1000 + i);
		assert_int_equal(pw_db_queue_put(db, s, "DC1", &c, 5000 + i),
		    1);
		pw_capture_fini(&c);
	}
	/* Some delivered (deleted rows), some noted. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_queue_each(db, entry_collect_first8, &l), 1);
	assert_int_equal(l.n, 8);
	for (i = 0; i < 4; i++)
		assert_int_equal(pw_db_queue_done(db, l.e[i].id, 9000), 0);
	assert_int_equal(pw_db_queue_note(db, l.e[5].id, "no mailbox", true),
	    0);

	/* While open (rows in the WAL) ... */
	assert_true(db_files_contain(fx->dir, "marker-account-zq", 17));
	assert_false(db_files_contain(fx->dir, PW1, strlen(PW1)));
	assert_false(db_files_contain(fx->dir, PW2, strlen(PW2)));
	pw_db_close(db);
	/* ... and after the last close (checkpointed into pw.db). */
	assert_true(db_files_contain(fx->dir, "marker-account-zq", 17));
	assert_false(db_files_contain(fx->dir, PW1, strlen(PW1)));
	assert_false(db_files_contain(fx->dir, PW2, strlen(PW2)));
	pw_sealer_free(s);
}

static void
test_db_readonly(void **state)
{
	struct fx *fx = *state;
	struct pw_capture c;
	struct pw_sealer *s;
	struct pw_db *db, *ro;
	struct pw_heartbeat h;
	struct dcs l;
	struct pw_dc d;
	uint64_t n = 0;

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	db = db_ok(fx->dir, false);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", FP1, 100, 9000), 0);
	capture_init(&c, "alice", "Alice-Pw-1111", 1000);
	assert_int_equal(pw_db_queue_put(db, s, "DC1", &c, 2000), 1);
	pw_capture_fini(&c);
	pw_db_close(db);

	ro = db_ok(fx->dir, true);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_dc_each(ro, dc_collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(pw_db_dc_by_fp(ro, FP1, &d), 1);
	assert_int_equal(pw_db_queue_count(ro, &n), 0);
	assert_int_equal(n, 1);

	/* Every write is refused, and nothing changes. */
	assert_true(pw_db_dc_enroll(ro, "DC2", FP2, 100, 9000) < 0);
	assert_true(pw_db_dc_revoke(ro, "DC1", 300) < 0);
	memset(&h, 0, sizeof(h));
	snprintf(h.version, sizeof(h.version), "x");
	assert_true(pw_db_dc_heartbeat(ro, "DC1", &h, 400) < 0);
	capture_init(&c, "bob", "Bob-Pw-2222", 1500);
	assert_true(pw_db_queue_put(ro, s, "DC1", &c, 2500) < 0);
	pw_capture_fini(&c);
	assert_true(pw_db_alert_set(ro, "bob", "", "", "weak", 10) < 0);
	assert_true(pw_db_errmsg(ro)[0] != '\0');

	assert_int_equal(pw_db_queue_count(ro, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pw_db_dc_by_fp(ro, FP1, &d), 1);
	assert_int_equal(d.revoked, 0);
	assert_int_equal(d.last_heartbeat, 0);
	assert_int_equal(pw_db_dc_by_fp(ro, FP2, &d), 0);
	pw_db_close(ro);
	pw_sealer_free(s);
}

static void
test_db_alerts(void **state)
{
	struct fx *fx = *state;
	struct pw_db *db;
	struct alerts l;

	db = db_ok(fx->dir, false);
	assert_int_equal(pw_db_alert_set(db, "alice", "g-a", "CN=Alice",
	    "weak password", 100), 0);
	assert_int_equal(pw_db_alert_set(db, "bob", "g-b", "CN=Bob",
	    "weak password", 150), 0);

	/* The same message again: first_seen kept, last_seen moves. */
	assert_int_equal(pw_db_alert_set(db, "alice", "g-a", "CN=Alice,OU=X",
	    "weak password", 200), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_alert_each(db, alert_collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.a[0].account, "alice");
	assert_int_equal(l.a[0].first_seen, 100);
	assert_int_equal(l.a[0].last_seen, 200);
	assert_string_equal(l.a[0].dn, "CN=Alice,OU=X");
	assert_string_equal(l.a[0].guid, "g-a");
	assert_string_equal(l.a[1].account, "bob");
	assert_int_equal(l.a[1].first_seen, 150);
	assert_int_equal(l.a[1].last_seen, 150);

	/* Another message: a new alert, first_seen restarts. */
	assert_int_equal(pw_db_alert_set(db, "alice", "g-a", "CN=Alice",
	    "the service refused the password", 300), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_alert_each(db, alert_collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.a[0].account, "bob");
	assert_string_equal(l.a[1].account, "alice");
	assert_string_equal(l.a[1].message,
	    "the service refused the password");
	assert_int_equal(l.a[1].first_seen, 300);
	assert_int_equal(l.a[1].last_seen, 300);

	/* Cleared (the account matches without case); clearing nothing is
	 * fine. */
	assert_int_equal(pw_db_alert_clear(db, "ALICE"), 0);
	assert_int_equal(pw_db_alert_clear(db, "nobody"), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_alert_each(db, alert_collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.a[0].account, "bob");
	assert_int_equal(pw_db_alert_clear(db, "bob"), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_alert_each(db, alert_collect, &l), 0);
	assert_int_equal(l.n, 0);
	pw_db_close(db);
}

/* ---- pw_receiver ---- */

static void
test_receiver_start(void **state)
{
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL, *rx2 = NULL;
	struct pw_sealer *s;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char why[512] = "", spec[64];
	const char *addr, *colon, *errstr;
	long long port;
	int r, fd;

	ensure_ok(fx->dir, "localhost");
	s = sealer_ok(fx->dir);

	r = pw_receiver_start("127.0.0.1:0", fx->dir, s, NULL, NULL, &rx,
	    why, sizeof(why));
	if (r != 0)
		fail_msg("pw_receiver_start: %d %s", r, why);
	assert_non_null(rx);
	addr = pw_receiver_addr(rx);
	assert_true(strncmp(addr, "127.0.0.1:", 10) == 0);
	colon = strrchr(addr, ':');
	assert_int_equal(strparse_num(colon + 1, 1, 65535, &port, &errstr), 0);

	/* Something listens there. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, slen), 0);
	close(fd);

	/* The same port again: in use. */
	snprintf(spec, sizeof(spec), "127.0.0.1:%lld", port);
	why[0] = '\0';
	r = pw_receiver_start(spec, fx->dir, s, NULL, NULL, &rx2, why,
	    sizeof(why));
	assert_true(r < 0);
	assert_null(rx2);
	assert_contains(why, "hook_listen");
	assert_contains(why, spec);

	pw_receiver_stop(rx);
	pw_receiver_stop(NULL);
	pw_sealer_free(s);
}

static void
test_receiver_bad_spec(void **state)
{
	static const char *const specs[] = { "nonsense", "127.0.0.1",
	    "127.0.0.1:99999", "example.test:8732", "", ":8732",
	    "127.0.0.1:-1" };
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL;
	struct pw_sealer *s;
	char why[512];
	size_t i;
	int r;

	ensure_ok(fx->dir, "localhost");
	s = sealer_ok(fx->dir);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		why[0] = '\0';
		r = pw_receiver_start(specs[i], fx->dir, s, NULL, NULL, &rx,
		    why, sizeof(why));
		if (r >= 0) {
			pw_receiver_stop(rx);
			fail_msg("listen spec \"%s\" was accepted", specs[i]);
		}
		assert_null(rx);
		assert_contains(why, "hook_listen");
	}
	pw_sealer_free(s);
}

static void
test_receiver_no_pki(void **state)
{
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL;
	struct pw_sealer *s;
	char why[512] = "";

	mkdir_pki(fx->dir);
	s = sealer_ok(fx->dir);
	assert_true(pw_receiver_start("127.0.0.1:0", fx->dir, s, NULL, NULL,
	    &rx, why, sizeof(why)) < 0);
	assert_null(rx);
	assert_contains(why, "server.pem");
	pw_sealer_free(s);
}

/* ---- pw_receiver end to end (mutual TLS with libcurl) ---- */

/* What a hook presents: PEM texts (owned), NULL cert = none. */
struct client {
	char *ca;
	char *cert;
	char *key;
};

static char *
bio_text(BIO *b)
{
	char *p, *out;
	long n = BIO_get_mem_data(b, &p);

	assert_true(n > 0);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return out;
}

static char *
der_cert_pem(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *out;

	assert_non_null(x);
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	out = bio_text(b);
	BIO_free(b);
	X509_free(x);
	return out;
}

static char *
der_key_pem(const struct secret *k)
{
	const unsigned char *p;
	size_t len;
	EVP_PKEY *key;
	BIO *b = BIO_new(BIO_s_mem());
	char *out;

	assert_non_null(b);
	p = secret_bytes(k, &len);
	key = d2i_AutoPrivateKey(NULL, &p, (long)len);
	assert_non_null(key);
	assert_int_equal(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
	    NULL), 1);
	out = bio_text(b);
	BIO_free(b);
	EVP_PKEY_free(key);
	return out;
}

/* Issues a certificate for `dc` in `dir` and makes the client from the
 * hook file's contents, as a hook would; `fp` gets its fingerprint. */
static void
client_issue(const char *dir, const char *dc, bool rsa, struct client *cl,
    char fp[PW_FP_HEX + 1])
{
	struct pw_hookfile hf;
	int64_t na;

	issue_ok(dir, dc, rsa, &hf, fp, &na);
	cl->ca = der_cert_pem(hf.ca_der, hf.ca_len);
	cl->cert = der_cert_pem(hf.cert_der, hf.cert_len);
	cl->key = der_key_pem(hf.key_der);
	pw_hookfile_fini(&hf);
}

static void
client_fini(struct client *cl)
{
	free(cl->ca);
	free(cl->cert);
	if (cl->key != NULL)
		sodium_memzero(cl->key, strlen(cl->key));
	free(cl->key);
	memset(cl, 0, sizeof(*cl));
}

struct http_res {
	CURLcode rc;
	long status;
	char body[2048];
	size_t len;
};

static size_t
http_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_res *res = arg;
	size_t len = size * n, room = sizeof(res->body) - 1 - res->len;

	if (len > room)
		len = room;
	memcpy(res->body + res->len, p, len);
	res->len += len;
	res->body[res->len] = '\0';
	return size * n;
}

/* One request to the receiver at "127.0.0.1:PORT" `addr`, by the name
 * `host` (resolved to 127.0.0.1, checked against the certificate's SANs),
 * with TLS verification on, as every hook does. */
static void
http_req(const char *addr, const char *host, const struct client *cl,
    const char *method, const char *path, const char *body, size_t len,
    bool chunked, struct http_res *res)
{
	struct curl_slist *hdr = NULL, *resolve = NULL;
	struct curl_blob ca, cert, key;
	const char *port = strrchr(addr, ':') + 1;
	char url[256], rs[256];
	CURL *c = curl_easy_init();

	assert_non_null(c);
	memset(res, 0, sizeof(*res));
	snprintf(url, sizeof(url), "https://%s:%s%s", host, port, path);
	snprintf(rs, sizeof(rs), "%s:%s:127.0.0.1", host, port);
	resolve = curl_slist_append(resolve, rs);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (chunked)
		hdr = curl_slist_append(hdr, "Transfer-Encoding: chunked");
	assert_non_null(resolve);
	assert_non_null(hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	ca = (struct curl_blob){ cl->ca, strlen(cl->ca), CURL_BLOB_COPY };
	curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	if (cl->cert != NULL) {
		cert = (struct curl_blob){ cl->cert, strlen(cl->cert),
		    CURL_BLOB_COPY };
		key = (struct curl_blob){ cl->key, strlen(cl->key),
		    CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    chunked ? (curl_off_t)-1 : (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
	res->rc = curl_easy_perform(c);
	if (res->rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	curl_slist_free_all(resolve);
}

/* The JSON body of a capture of `account` with `pw`. */
static char *
capture_body(const char *id, const char *account, const char *pw,
    size_t *len)
{
	struct pw_capture c;
	struct buf b;
	char *out;

	capture_init(&c, account, pw, 1700000000000LL);
	if (id != NULL)
		snprintf(c.id, sizeof(c.id), "%s", id);
	buf_init(&b, PW_BODY_MAX);
	assert_int_equal(pw_capture_encode(&c, &b), 0);
	*len = b.len;
	out = malloc(b.len + 1);
	assert_non_null(out);
	memcpy(out, buf_str(&b), b.len + 1);
	buf_fini(&b);
	pw_capture_fini(&c);
	return out;
}

static void
body_free(char *body, size_t len)
{
	sodium_memzero(body, len);
	free(body);
}

static _Atomic int rx_notified;

static void
rx_notify(void *arg)
{
	(void)arg;
	rx_notified++;
}

#define assert_status(res, want) do { \
	const struct http_res *r_ = (res); \
	if (r_->rc != CURLE_OK || r_->status != (want)) \
		fail_msg("want HTTP %d, got curl %d (%s) status %ld: %s", \
		    (want), (int)r_->rc, curl_easy_strerror(r_->rc), \
		    r_->status, r_->body); \
} while (0)

static void
test_receiver_mtls(void **state)
{
	static const char PW[] = "Hook-Pw-\xc3\xa4-4711";
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL;
	struct pw_sealer *s;
	struct pw_db *db;
	struct client dc1, dc2, none;
	struct http_res res;
	struct entries l;
	struct pw_dc d;
	struct secret *pw;
	char fp1[PW_FP_HEX + 1], fp2[PW_FP_HEX + 1], why[512] = "", id[80];
	char addr[80], *body, *big;
	const unsigned char *p;
	unsigned char *blob;
	uint64_t n = 0;
	size_t len, blen, plen;
	int r;

	ensure_ok(fx->dir, "localhost");
	s = sealer_ok(fx->dir);
	db = db_ok(fx->dir, false);
	memset(&dc1, 0, sizeof(dc1));
	memset(&dc2, 0, sizeof(dc2));
	client_issue(fx->dir, "DC1", false, &dc1, fp1);
	client_issue(fx->dir, "DC2", false, &dc2, fp2);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", fp1, time(NULL),
	    time(NULL) + 86400), 0);
	rx_notified = 0;
	r = pw_receiver_start("127.0.0.1:0", fx->dir, s, rx_notify, NULL, &rx,
	    why, sizeof(why));
	if (r != 0)
		fail_msg("pw_receiver_start: %d %s", r, why);
	snprintf(addr, sizeof(addr), "%s", pw_receiver_addr(rx));

	/* A capture: 202 once committed, then 200 "duplicate" for the
	 * resend, queued once, notified once. */
	body = capture_body(NULL, "alice", PW, &len);
	http_req(addr, "localhost", &dc1, "POST", "/v1/password", body, len,
	    false, &res);
	assert_status(&res, 202);
	assert_int_equal(rx_notified, 1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pw_db_queue_each(db, entry_collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].dc, "DC1");
	assert_string_equal(l.e[0].account, "alice");
	snprintf(id, sizeof(id), "{\"id\":\"%s\"}", l.e[0].capture_id);
	assert_string_equal(res.body, id);
	blob = pw_db_queue_sealed(db, l.e[0].id, &blen);
	assert_non_null(blob);
	pw = pw_unseal(s, blob, blen);
	assert_non_null(pw);
	p = secret_bytes(pw, &plen);
	assert_int_equal(plen, strlen(PW));
	assert_memory_equal(p, PW, plen);
	secret_free(pw);
	free(blob);
	/* By the IP address too (the IP SAN). */
	http_req(addr, "127.0.0.1", &dc1, "POST", "/v1/password", body, len,
	    false, &res);
	assert_status(&res, 200);
	assert_contains(res.body, "\"duplicate\":true");
	assert_int_equal(rx_notified, 1);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 1);
	body_free(body, len);

	/* A heartbeat. */
	body = strdup("{\"v\":1,\"version\":\"ut 1.0\",\"spooled\":3,"
	    "\"last_change\":0}");
	assert_non_null(body);
	http_req(addr, "localhost", &dc1, "POST", "/v1/heartbeat", body,
	    strlen(body), false, &res);
	assert_status(&res, 200);
	free(body);
	assert_int_equal(pw_db_dc_by_fp(db, fp1, &d), 1);
	assert_true(d.last_heartbeat > 0);
	assert_int_equal(d.spooled, 3);
	assert_string_equal(d.version, "ut 1.0");

	/* Other paths and methods. */
	http_req(addr, "localhost", &dc1, "POST", "/v1/other", "{}", 2, false,
	    &res);
	assert_status(&res, 404);
	http_req(addr, "localhost", &dc1, "GET", "/v1/password", NULL, 0,
	    false, &res);
	assert_status(&res, 405);

	/* A malformed body: 400 naming the problem, never the password. */
	body = capture_body(NULL, "bob", "Leaky-Secret-99", &len);
	body[len - 1] = ',';
	http_req(addr, "localhost", &dc1, "POST", "/v1/password", body, len,
	    false, &res);
	assert_status(&res, 400);
	assert_contains(res.body, "\"error\"");
	assert_null(strstr(res.body, "Leaky-Secret-99"));
	body_free(body, len);

	/* Too big, announced or chunked. */
	big = malloc(PW_BODY_MAX + 100);
	assert_non_null(big);
	memset(big, ' ', PW_BODY_MAX + 100);
	big[0] = '{';
	big[PW_BODY_MAX + 99] = '}';
	http_req(addr, "localhost", &dc1, "POST", "/v1/password", big,
	    PW_BODY_MAX + 100, false, &res);
	assert_status(&res, 413);
	big[PW_BODY_MAX + 99] = '\0';
	http_req(addr, "localhost", &dc1, "POST", "/v1/password", big, 0,
	    true, &res);
	assert_status(&res, 413);
	free(big);

	/* Not enrolled (DC2), no certificate, another CA's certificate,
	 * revoked (DC1): refused, nothing queued. */
	body = capture_body(NULL, "carol", "Carol-Pw-3333", &len);
	http_req(addr, "localhost", &dc2, "POST", "/v1/password", body, len,
	    false, &res);
	assert_status(&res, 403);
	memset(&none, 0, sizeof(none));
	none.ca = dc1.ca;
	http_req(addr, "localhost", &none, "POST", "/v1/password", body, len,
	    false, &res);
	assert_true(res.rc != CURLE_OK || res.status == 403);
	assert_int_equal(pw_db_dc_revoke(db, "DC1", time(NULL)), 0);
	http_req(addr, "localhost", &dc1, "POST", "/v1/password", body, len,
	    false, &res);
	assert_status(&res, 403);
	assert_contains(res.body, "revoked");
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rx_notified, 1);

	/* Enrolling DC2 lets it send at once. */
	assert_int_equal(pw_db_dc_enroll(db, "DC2", fp2, time(NULL),
	    time(NULL) + 86400), 0);
	http_req(addr, "localhost", &dc2, "POST", "/v1/password", body, len,
	    false, &res);
	assert_status(&res, 202);
	assert_int_equal(rx_notified, 2);
	body_free(body, len);

	pw_receiver_stop(rx);
	client_fini(&dc2);
	client_fini(&dc1);
	pw_db_close(db);
	pw_sealer_free(s);
}

static void
test_receiver_foreign_ca(void **state)
{
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL;
	struct pw_sealer *s;
	struct pw_db *db;
	struct client mine, theirs, mixed;
	struct http_res res;
	char fp[PW_FP_HEX + 1], fp2[PW_FP_HEX + 1], why[512] = "";
	char other[256], *body;
	uint64_t n = 0;
	size_t len;
	int r;

	ensure_ok(fx->dir, "localhost");
	other_state(fx, other, sizeof(other));
	ensure_ok(other, "localhost");
	s = sealer_ok(fx->dir);
	db = db_ok(fx->dir, false);
	client_issue(fx->dir, "DC1", false, &mine, fp);
	/* A certificate for the same name from another adsync's CA, whose
	 * fingerprint is even enrolled here: the chain check refuses it. */
	client_issue(other, "DC1", false, &theirs, fp2);
	assert_int_equal(pw_db_dc_enroll(db, "DC1", fp2, time(NULL),
	    time(NULL) + 86400), 0);
	r = pw_receiver_start("127.0.0.1:0", fx->dir, s, NULL, NULL, &rx,
	    why, sizeof(why));
	if (r != 0)
		fail_msg("pw_receiver_start: %d %s", r, why);

	body = capture_body(NULL, "dave", "Dave-Pw-4444", &len);
	mixed = theirs;
	mixed.ca = mine.ca;	/* trusts our receiver */
	http_req(pw_receiver_addr(rx), "localhost", &mixed, "POST",
	    "/v1/password", body, len, false, &res);
	assert_true(res.rc != CURLE_OK || res.status == 403);
	/* A hook that trusts the other CA does not talk to us at all. */
	http_req(pw_receiver_addr(rx), "localhost", &theirs, "POST",
	    "/v1/password", body, len, false, &res);
	assert_int_equal(res.rc, CURLE_PEER_FAILED_VERIFICATION);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 0);
	body_free(body, len);

	pw_receiver_stop(rx);
	client_fini(&theirs);
	client_fini(&mine);
	pw_db_close(db);
	pw_sealer_free(s);
}

/* A DC enrolled with --rsa (RSA 2048 client key) is served like any
 * other: its capture is queued (202). */
static void
test_receiver_mtls_rsa(void **state)
{
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL;
	struct pw_sealer *s;
	struct pw_db *db;
	struct client cl;
	struct http_res res;
	char fp[PW_FP_HEX + 1], why[512] = "", *body;
	uint64_t n = 0;
	size_t len;
	int r;

	ensure_ok(fx->dir, "localhost");
	s = sealer_ok(fx->dir);
	db = db_ok(fx->dir, false);
	client_issue(fx->dir, "WINDC1", true, &cl, fp);
	assert_int_equal(pw_db_dc_enroll(db, "WINDC1", fp, time(NULL),
	    time(NULL) + 86400), 0);
	r = pw_receiver_start("127.0.0.1:0", fx->dir, s, NULL, NULL, &rx,
	    why, sizeof(why));
	if (r != 0)
		fail_msg("pw_receiver_start: %d %s", r, why);
	body = capture_body(NULL, "erin", "Erin-Pw-5555", &len);
	http_req(pw_receiver_addr(rx), "localhost", &cl, "POST",
	    "/v1/password", body, len, false, &res);
	body_free(body, len);
	assert_status(&res, 202);
	assert_int_equal(pw_db_queue_count(db, &n), 0);
	assert_int_equal(n, 1);

	pw_receiver_stop(rx);
	client_fini(&cl);
	pw_db_close(db);
	pw_sealer_free(s);
}

/* Open descriptors of this process. */
static int
fd_count(void)
{
	char p[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (access(p, F_OK) == 0)
			n++;
	}
	return n;
}

/* server.key replaced by another key: the pair does not match, the start
 * fails with a sentence naming the files, and no descriptor is left. */
static void
test_receiver_bad_key_pair(void **state)
{
	struct fx *fx = *state;
	struct pw_receiver *rx = NULL;
	struct pw_sealer *s;
	EVP_PKEY *k;
	char p[256], why[512] = "";
	FILE *f;
	int before, r;

	ensure_ok(fx->dir, "localhost");
	s = sealer_ok(fx->dir);
	k = EVP_EC_gen("P-256");
	assert_non_null(k);
	path_of(p, sizeof(p), fx->dir, "pki/server.key");
	assert_int_equal(unlink(p), 0);
	f = fopen(p, "wxe");
	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), 0600), 0);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
	EVP_PKEY_free(k);

	before = fd_count();
	r = pw_receiver_start("127.0.0.1:0", fx->dir, s, NULL, NULL, &rx,
	    why, sizeof(why));
	if (r >= 0) {
		pw_receiver_stop(rx);
		fail_msg("started with a key that is not server.pem's");
	}
	assert_null(rx);
	assert_contains(why, "server.pem");
	assert_int_equal(fd_count(), before);
	pw_sealer_free(s);
}

/* A pw.db of a newer schema is refused, not written. */
static void
test_db_newer_schema(void **state)
{
	struct fx *fx = *state;
	struct pw_db *db = NULL;
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	char p[256], why[512] = "";

	db = db_ok(fx->dir, false);
	pw_db_close(db);
	db = NULL;
	path_of(p, sizeof(p), fx->dir, "pw.db");
	assert_int_equal(sqlite3_open_v2(p, &raw, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version = 3",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(raw);

	assert_int_equal(pw_db_open(fx->dir, false, &db, why, sizeof(why)),
	    -ADSYNC_ERANGE);
	assert_null(db);
	assert_contains(why, "newer adsync");
}

/* A pw.db of schema 1 (before pw_last) is brought up: the newest-capture
 * rule needs that table, and a pw.db written by an earlier adsync must
 * not silently lose it. */
static void
test_db_upgrade_v1(void **state)
{
	struct fx *fx = *state;
	struct pw_db *db = NULL;
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	char p[256];
	int v = -1, n = -1;

	db = db_ok(fx->dir, false);
	pw_db_close(db);
	path_of(p, sizeof(p), fx->dir, "pw.db");
	assert_int_equal(sqlite3_open_v2(p, &raw, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "DROP TABLE pw_last", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version = 1",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(raw);

	db = db_ok(fx->dir, false);
	pw_db_close(db);
	assert_int_equal(sqlite3_open_v2(p, &raw, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'pw_last'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(raw);
	assert_int_equal(v, 2);
	assert_int_equal(n, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pki_ensure_files),
		T(test_pki_ensure_sans),
		T(test_pki_ensure_idempotent),
		T(test_pki_ensure_renew),
		T(test_pki_ensure_new_names),
		T(test_pki_ensure_unsafe_dir),
		T(test_pki_issue),
		T(test_pki_issue_rsa),
		T(test_pki_issue_needs_ca),
		T(test_sealer_key_file),
		T(test_sealer_round_trip),
		T(test_sealer_tamper),
		T(test_sealer_bad_key_file),
		T(test_db_open_modes),
		T(test_db_dc),
		T(test_db_queue),
		T(test_db_no_plaintext),
		T(test_db_readonly),
		T(test_db_alerts),
		T(test_db_newer_schema),
		T(test_db_upgrade_v1),
		T(test_receiver_start),
		T(test_receiver_bad_spec),
		T(test_receiver_no_pki),
		T(test_receiver_bad_key_pair),
		T(test_receiver_mtls),
		T(test_receiver_mtls_rsa),
		T(test_receiver_foreign_ca),
	};
	int r;

	if (sodium_init() < 0)
		return 1;
	(void)umask(022);
	log_init("test_pwsync", -1, LOG_DEST_STDERR);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}

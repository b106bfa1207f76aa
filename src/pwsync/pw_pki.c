/*
 * adsync's own small PKI for the password hooks (docs/pwsync.md): a CA
 * made on first use in state_dir/pki, the receiver's certificate issued
 * by it for the names the DCs use, and one client certificate per enrolled
 * DC. ECDSA P-256 and SHA-256 throughout (OpenSSL's libcrypto, which the
 * build already has through libcurl).
 *
 * Why a private CA and not the company's: the receiver must accept only
 * the hooks adsync enrolled, and a DC's certificate is revoked by adsync
 * alone (its fingerprint in pw.db), with no CRL or OCSP to run.
 *
 * Keys: written 0600 with O_EXCL into a 0700 directory, then renamed into
 * place, so a crash never leaves a half key; read back only through
 * secret_load_file(). Nothing here logs key material. Any thread, but one
 * at a time per state_dir (the callers are the CLI and the daemon's start).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "fileio.h"
#include "log.h"
#include "pwsync.h"
#include "secret.h"
#include "strparse.h"
#include "xmalloc.h"

#define PKI_CA_DAYS 3650
#define PKI_SERVER_DAYS 825
#define PKI_CLIENT_DAYS 730

static int
pw_pki_path(char *out, size_t outlen, const char *state_dir,
    const char *name)
{
	int n = snprintf(out, outlen, "%s/pki%s%s", state_dir,
	    name[0] ? "/" : "", name);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* The pki directory, 0700, made when missing. */
static int
pw_pki_dir(const char *state_dir, char *why, size_t whylen)
{
	char dir[PATH_MAX];
	struct stat st;
	int r;

	if ((r = pw_pki_path(dir, sizeof(dir), state_dir, "")) < 0)
		return r;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whylen, "cannot create %s: %s", state_dir,
		    adsync_strerror(r));
		return r;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whylen, "cannot create %s: %s", dir,
		    adsync_strerror(r));
		return r;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory; remove it and "
		    "start again", dir);
		return -ENOTDIR;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s must be a directory of this user "
		    "with mode 0700 (it holds adsync's CA key): chmod 700 %s",
		    dir, dir);
		return -EPERM;
	}
	return 0;
}

/* Writes `len` bytes to `path` atomically with `mode` (tmp, fsync,
 * rename). */
static int
pw_pki_write(const char *path, const void *data, size_t len, mode_t mode,
    char *why, size_t whylen)
{
	struct file_replace_opts o = { .mode = mode, .no_symlink = true };

	return file_replace(path, data, len, &o, why, whylen);
}

/* PEM of `x` (certificate) or `k` (private key) into a malloc'd string. */
static char *
pw_pki_pem(X509 *x, EVP_PKEY *k, size_t *len)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *out = NULL, *p;
	long n;

	if (b == NULL)
		return NULL;
	if ((x != NULL && PEM_write_bio_X509(b, x) == 1) ||
	    (k != NULL && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL) == 1)) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
			memcpy(out, p, (size_t)n);
			out[n] = '\0';
			*len = (size_t)n;
		}
	}
	BIO_free(b);
	return out;
}

/* Writes `x` (a certificate, 0644) or `k` (a private key, 0600) as PEM. */
static int
pw_pki_save(const char *path, X509 *x, EVP_PKEY *k, char *why,
    size_t whylen)
{
	size_t len = 0;
	char *pem = pw_pki_pem(x, k, &len);
	int r;

	if (pem == NULL)
		return -ENOMEM;
	r = pw_pki_write(path, pem, len, k != NULL ? 0600 : 0644, why, whylen);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return r;
}

static EVP_PKEY *
pw_pki_load_key(const char *path, char *why, size_t whylen)
{
	struct secret *s = NULL;
	const unsigned char *p;
	EVP_PKEY *k = NULL;
	size_t len;
	BIO *b;

	if (secret_load_file(path, "pki key", SECRET_FILE_MAX, &s, why,
	    whylen) < 0)
		return NULL;
	p = secret_bytes(s, &len);
	if ((b = BIO_new_mem_buf(p, (int)len)) != NULL) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	secret_free(s);
	if (k == NULL)
		snprintf(why, whylen, "%s is not a PEM private key; remove "
		    "the pki directory's files to make new ones (every DC "
		    "must then be enrolled again)", path);
	return k;
}

static X509 *
pw_pki_load_cert(const char *path, char *why, size_t whylen)
{
	X509 *x = NULL;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(why, whylen, "cannot open %s: %s", path,
		    adsync_strerror(-errno));
		return NULL;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		snprintf(why, whylen, "%s is not a PEM certificate", path);
	return x;
}

static int
pw_pki_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -EINVAL;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -ENOMEM;
}

/*
 * A certificate for `key` named `cn`, valid `days`, signed by `ca_key`
 * (`ca` NULL: self-signed). `kind` is 'a' (CA), 's' (server, SANs in
 * `san`), 'c' (client).
 */
static X509 *
pw_pki_make(EVP_PKEY *key, const char *cn, int days, X509 *ca,
    EVP_PKEY *ca_key, char kind, const char *san)
{
	unsigned char serial[16];
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	/* A positive random serial: revocation is by fingerprint, but
	 * serials still must be unique per issuer. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	serial[0] |= 0x40;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ==
	    NULL || X509_set_pubkey(x, key) != 1)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"adsync", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		goto fail;
	if (X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) :
	    name) != 1)
		goto fail;
	if (pw_pki_ext(x, ca != NULL ? ca : x, NID_subject_key_identifier,
	    "hash") < 0)
		goto fail;
	switch (kind) {
	case 'a':
		if (pw_pki_ext(x, x, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0") < 0 ||
		    pw_pki_ext(x, x, NID_key_usage,
		    "critical,keyCertSign,cRLSign") < 0)
			goto fail;
		break;
	case 's':
		if (pw_pki_ext(x, ca, NID_basic_constraints,
		    "critical,CA:FALSE") < 0 ||
		    pw_pki_ext(x, ca, NID_key_usage,
		    "critical,digitalSignature") < 0 ||
		    pw_pki_ext(x, ca, NID_ext_key_usage, "serverAuth") < 0 ||
		    pw_pki_ext(x, ca, NID_subject_alt_name, san) < 0 ||
		    pw_pki_ext(x, ca, NID_authority_key_identifier,
		    "keyid:always") < 0)
			goto fail;
		break;
	default:
		if (pw_pki_ext(x, ca, NID_basic_constraints,
		    "critical,CA:FALSE") < 0 ||
		    pw_pki_ext(x, ca, NID_key_usage,
		    "critical,digitalSignature") < 0 ||
		    pw_pki_ext(x, ca, NID_ext_key_usage, "clientAuth") < 0 ||
		    pw_pki_ext(x, ca, NID_authority_key_identifier,
		    "keyid:always") < 0)
			goto fail;
		break;
	}
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* Whether `word` is already one of the entries of the SAN list `list`. */
static bool
pw_pki_san_has(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = strchr(list, ':'); p != NULL; p = strchr(p, ':')) {
		p++;
		if (strncasecmp(p, word, len) == 0 &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

/* "DNS:a,IP:127.0.0.1,..." for the receiver: `names` (or this host's
 * name), localhost and 127.0.0.1, each once. */
static int
pw_pki_san(const char *names, char *out, size_t outlen)
{
	char host[256], word[256];
	const char *p, *w;
	size_t len, used = 0;
	int n, i, dots, digits, ok;
	const char *fixed[] = { "localhost", "127.0.0.1" };

	out[0] = '\0';
	if (names[0] == '\0') {
		if (gethostname(host, sizeof(host)) < 0)
			return -errno;
		host[sizeof(host) - 1] = '\0';
		names = host;
	}
	for (i = -1; i < 2; i++) {
		p = i < 0 ? names : fixed[i];
		while (strparse_word(&p, &w, &len)) {
			if (len >= sizeof(word))
				return -ENAMETOOLONG;
			memcpy(word, w, len);
			word[len] = '\0';
			if (pw_pki_san_has(out, word))
				continue;
			dots = digits = 0;
			ok = 1;
			for (w = word; *w; w++) {
				if (*w == '.')
					dots++;
				else if (*w >= '0' && *w <= '9')
					digits++;
				else
					ok = 0;
			}
			n = snprintf(out + used, outlen - used, "%s%s:%s",
			    used ? "," : "", ok && dots == 3 ? "IP" : "DNS",
			    word);
			if (n < 0 || (size_t)n >= outlen - used)
				return -ENAMETOOLONG;
			used += (size_t)n;
		}
	}
	return 0;
}

static EVP_PKEY *
pw_pki_keygen(void)
{
	return EVP_EC_gen("P-256");
}

/* 1 when the certificate in `path` ends within `days` (or cannot be
 * read: it is made again), 0 when not. */
static int
pw_pki_ends_within(const char *path, int days)
{
	char why[256];
	X509 *crt = pw_pki_load_cert(path, why, sizeof(why));
	time_t limit = time(NULL) + (time_t)days * 86400;
	int r;

	if (crt == NULL)
		return 1;
	r = X509_cmp_time(X509_get0_notAfter(crt), &limit) <= 0;
	X509_free(crt);
	return r;
}

int
pw_pki_server_expiring(const char *state_dir, int days)
{
	char crt_p[PATH_MAX];

	if (pw_pki_path(crt_p, sizeof(crt_p), state_dir, "server.pem") < 0)
		return -ENAMETOOLONG;
	if (access(crt_p, F_OK) < 0)
		return 0;	/* no receiver yet */
	return pw_pki_ends_within(crt_p, days);
}

int
pw_pki_ensure(const char *state_dir, const char *names, char *why,
    size_t whylen)
{
	return pw_pki_ensure_renew(state_dir, names, PW_PKI_RENEW_DAYS, why,
	    whylen);
}

int
pw_pki_ensure_renew(const char *state_dir, const char *names,
    int renew_days, char *why, size_t whylen)
{
	char ca_key_p[PATH_MAX], ca_p[PATH_MAX], key_p[PATH_MAX];
	char crt_p[PATH_MAX], names_p[PATH_MAX], san[1024], old[1024];
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *crt = NULL;
	FILE *fp;
	int r;

	why[0] = '\0';
	if ((r = pw_pki_dir(state_dir, why, whylen)) < 0)
		return r;
	if (pw_pki_path(ca_key_p, sizeof(ca_key_p), state_dir, "ca.key") <
	    0 || pw_pki_path(ca_p, sizeof(ca_p), state_dir, "ca.pem") < 0 ||
	    pw_pki_path(key_p, sizeof(key_p), state_dir, "server.key") < 0 ||
	    pw_pki_path(crt_p, sizeof(crt_p), state_dir, "server.pem") < 0 ||
	    pw_pki_path(names_p, sizeof(names_p), state_dir,
	    "server.names") < 0)
		return -ENAMETOOLONG;
	if ((r = pw_pki_san(names, san, sizeof(san))) < 0) {
		snprintf(why, whylen, "cannot list the receiver's names: %s",
		    adsync_strerror(r));
		return r;
	}
	r = -ENOMEM;
	/* The certificate is written after the key: without it the CA was
	 * never complete (a crash in between), no DC can hold a certificate
	 * of it, and it is made again. */
	if (access(ca_p, F_OK) < 0) {
		/* The first use: a new CA (and so a new server cert). */
		if ((ca_key = pw_pki_keygen()) == NULL ||
		    (ca = pw_pki_make(ca_key, "adsync hook CA", PKI_CA_DAYS,
		    NULL, ca_key, 'a', NULL)) == NULL)
			goto fail;
		if ((r = pw_pki_save(ca_key_p, NULL, ca_key, why, whylen)) < 0 ||
		    (r = pw_pki_save(ca_p, ca, NULL, why, whylen)) < 0)
			goto out;
		(void)unlink(crt_p);
		log_info("pki: made adsync's hook CA in %s", ca_p);
	} else if ((ca_key = pw_pki_load_key(ca_key_p, why, whylen)) ==
	    NULL || (ca = pw_pki_load_cert(ca_p, why, whylen)) == NULL) {
		r = -ADSYNC_EPARSE;
		goto out;
	}
	/* The server certificate follows hook_names. */
	old[0] = '\0';
	if ((fp = fopen(names_p, "re")) != NULL) {
		if (fgets(old, sizeof(old), fp) == NULL)
			old[0] = '\0';
		old[strcspn(old, "\n")] = '\0';
		fclose(fp);
	}
	if (access(crt_p, F_OK) == 0 && access(key_p, F_OK) == 0 &&
	    strcmp(old, san) == 0) {
		/* The hooks check its dates: it is made again before it
		 * ends (the DCs trust the CA, not this certificate). */
		if (!pw_pki_ends_within(crt_p, renew_days)) {
			r = 0;
			goto out;
		}
		log_info("pki: the receiver's certificate ends within %d "
		    "days: issuing a new one", renew_days);
	}
	r = -ENOMEM;
	if ((key = pw_pki_keygen()) == NULL ||
	    (crt = pw_pki_make(key, "adsync hook receiver", PKI_SERVER_DAYS,
	    ca, ca_key, 's', san)) == NULL)
		goto fail;
	if ((r = pw_pki_save(key_p, NULL, key, why, whylen)) < 0 ||
	    (r = pw_pki_save(crt_p, crt, NULL, why, whylen)) < 0 ||
	    (r = pw_pki_write(names_p, san, strlen(san), 0644, why,
	    whylen)) < 0)
		goto out;
	log_info("pki: issued the receiver's certificate for %s", san);
	r = 0;
	goto out;
fail:
	snprintf(why, whylen, "cannot make the hook certificates in %s/pki "
	    "(OpenSSL failed)", state_dir);
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(crt);
	return r;
}

/*
 * An RSA 2048 key whose private components all have their full length
 * (p, q, dP, dQ, qInv 128 bytes; d 256). Windows keeps a private key as a
 * blob of fixed-length fields; wine's PFX import of a key with a shorter
 * one (a leading zero byte: about one key in fifty) failed in GnuTLS ("The
 * scanning of a large integer has failed") in the pwfilter test, so a
 * Windows DC's hook file never carries such a key.
 */
static EVP_PKEY *
pw_pki_rsa_gen(void)
{
	static const struct { const char *name; int bytes; } full[] = {
		{ "rsa-factor1", 128 }, { "rsa-factor2", 128 },
		{ "rsa-exponent1", 128 }, { "rsa-exponent2", 128 },
		{ "rsa-coefficient1", 128 }, { "d", 256 } };
	EVP_PKEY *key;
	BIGNUM *bn;
	size_t i;
	int tries, ok;

	for (tries = 0; tries < 64; tries++) {
		if ((key = EVP_RSA_gen(2048)) == NULL)
			return NULL;
		ok = 1;
		for (i = 0; ok && i < sizeof(full) / sizeof(full[0]); i++) {
			bn = NULL;
			ok = EVP_PKEY_get_bn_param(key, full[i].name, &bn) ==
			    1 && BN_num_bytes(bn) == full[i].bytes;
			BN_clear_free(bn);
		}
		if (ok)
			return key;
		EVP_PKEY_free(key);
	}
	return NULL;
}

static unsigned char *
pw_pki_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL, *out;
	int n = i2d_X509(x, &der);

	if (n <= 0)
		return NULL;
	out = xmalloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

void
pw_pki_fingerprint(const unsigned char *der, size_t len,
    char hex[PW_FP_HEX + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	unsigned i;

	if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md)) {
		hex[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int
pw_pki_issue(const char *state_dir, const char *dc, const char *receiver,
    bool rsa, struct pw_hookfile *hf, char fp[PW_FP_HEX + 1], int64_t *not_after,
    char *why, size_t whylen)
{
	char ca_key_p[PATH_MAX], ca_p[PATH_MAX];
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *crt = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int n, r = -ENOMEM;

	memset(hf, 0, sizeof(*hf));
	why[0] = '\0';
	if (pw_pki_path(ca_key_p, sizeof(ca_key_p), state_dir, "ca.key") <
	    0 || pw_pki_path(ca_p, sizeof(ca_p), state_dir, "ca.pem") < 0)
		return -ENAMETOOLONG;
	if ((ca_key = pw_pki_load_key(ca_key_p, why, whylen)) == NULL ||
	    (ca = pw_pki_load_cert(ca_p, why, whylen)) == NULL) {
		r = -ADSYNC_EPARSE;
		goto out;
	}
	/* RSA for a DC whose TLS stack cannot present an ECDSA client key
	 * (measured: wine's PFXImportCertStore imports RSA keys only). */
	if ((key = rsa ? pw_pki_rsa_gen() : pw_pki_keygen()) == NULL ||
	    (crt = pw_pki_make(key, dc, PKI_CLIENT_DAYS, ca, ca_key, 'c',
	    NULL)) == NULL)
		goto fail;
	snprintf(hf->dc, sizeof(hf->dc), "%s", dc);
	hf->receiver = xstrdup(receiver);
	if ((hf->ca_der = pw_pki_der(ca, &hf->ca_len)) == NULL ||
	    (hf->cert_der = pw_pki_der(crt, &hf->cert_len)) == NULL)
		goto fail;
	if ((p8 = EVP_PKEY2PKCS8(key)) == NULL ||
	    (n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0)
		goto fail;
	hf->key_der = secret_new(der, (size_t)n, "hook client key");
	OPENSSL_clear_free(der, (size_t)n);
	der = NULL;
	/* Windows' PFXImportCertStore: the key under 3DES (readable by
	 * every Windows Server still in support), the certificates in
	 * clear, a SHA-1 MAC; the password is empty because the hook
	 * file itself is the secret (0600, like the key next to it). */
	if ((p12 = PKCS12_create("", dc, key, crt, NULL,
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, -1, 2048, 1, 0)) == NULL ||
	    (n = i2d_PKCS12(p12, &der)) <= 0)
		goto fail;
	hf->p12 = secret_new(der, (size_t)n, "hook client p12");
	OPENSSL_clear_free(der, (size_t)n);
	der = NULL;
	if (hf->key_der == NULL || hf->p12 == NULL)
		goto fail;
	pw_pki_fingerprint(hf->cert_der, hf->cert_len, fp);
	*not_after = (int64_t)time(NULL) + (int64_t)PKI_CLIENT_DAYS * 86400;
	r = 0;
	goto out;
fail:
	snprintf(why, whylen, "cannot issue a certificate for %s (OpenSSL "
	    "failed)", dc);
	pw_hookfile_fini(hf);
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	PKCS12_free(p12);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(crt);
	return r;
}

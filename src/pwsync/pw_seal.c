/*
 * The password queue's encryption at rest: libsodium's secretbox
 * (XSalsa20-Poly1305) with a fresh random nonce per row, under a 32-byte
 * key kept in state_dir/pki/queue.key (base64 text, 0600, made on first
 * use with O_EXCL). A copy of pw.db without the key reveals no password;
 * the key is held in a struct secret (locked, wiped) while the daemon runs.
 * Any thread; a struct pw_sealer is read-only after pw_sealer_open().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "pwsync.h"
#include "secret.h"
#include "xmalloc.h"

struct pw_sealer {
	struct secret *key;	/* crypto_secretbox_KEYBYTES */
};

/* Writes a new key file: into a temporary name first, then linked into
 * place, so a crash never leaves an empty key (which would stop every
 * later start); -EEXIST when another process made one first. */
static int
pw_sealer_create(const char *path)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_secretbox_KEYBYTES,
	    sodium_base64_VARIANT_ORIGINAL) + 1], tmp[4096 + 16];
	size_t len;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -errno;
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64) - 1, key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	len = strlen(b64);
	b64[len++] = '\n';
	if (write(fd, b64, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno != 0 ? -errno : -EIO;
	sodium_memzero(b64, sizeof(b64));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* link(), not rename(): a key another process made meanwhile wins
	 * (EEXIST), and is never replaced. */
	if (r == 0 && link(tmp, path) < 0)
		r = -errno;
	(void)unlink(tmp);
	return r;
}

int
pw_sealer_open(const char *state_dir, struct pw_sealer **out, char *why,
    size_t whylen)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	struct secret *text = NULL;
	const unsigned char *p;
	struct pw_sealer *s;
	char path[4096];
	size_t len, klen = 0;
	int r;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/pki/queue.key", state_dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK) < 0 && (r = pw_sealer_create(path)) < 0 &&
	    r != -EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", path,
		    adsync_strerror(r));
		return r;
	}
	if ((r = secret_load_file(path, "pki/queue.key", 1024, &text, why,
	    whylen)) < 0)
		return r;
	p = secret_bytes(text, &len);
	if (sodium_base642bin(key, sizeof(key), (const char *)p, len, NULL,
	    &klen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    klen != sizeof(key)) {
		secret_free(text);
		sodium_memzero(key, sizeof(key));
		snprintf(why, whylen, "%s is not a queue key (32 bytes in "
		    "base64); restore it from a backup, or remove it and "
		    "pw.db together (queued passwords are then lost)", path);
		return -ADSYNC_EPARSE;
	}
	secret_free(text);
	s = xcalloc(1, sizeof(*s));
	s->key = secret_new(key, sizeof(key), "pki/queue.key");
	sodium_memzero(key, sizeof(key));
	if (s->key == NULL) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void
pw_sealer_free(struct pw_sealer *s)
{
	if (s == NULL)
		return;
	secret_free(s->key);
	free(s);
}

unsigned char *
pw_seal(const struct pw_sealer *s, const struct secret *pw, size_t *len)
{
	const unsigned char *k, *m;
	unsigned char *out;
	size_t klen, mlen;

	k = secret_bytes(s->key, &klen);
	m = secret_bytes(pw, &mlen);
	*len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + mlen;
	out = xmalloc(*len);
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	if (crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, m, mlen,
	    out, k) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

struct secret *
pw_unseal(const struct pw_sealer *s, const unsigned char *blob, size_t len)
{
	const unsigned char *k;
	unsigned char *m;
	struct secret *pw;
	size_t klen, mlen;

	if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
	    len > crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
	    PW_PASSWORD_MAX)
		return NULL;
	mlen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	k = secret_bytes(s->key, &klen);
	/* sodium_malloc: guarded, and never swapped while it holds the
	 * password. */
	if ((m = sodium_malloc(mlen + 1)) == NULL)
		return NULL;
	if (crypto_secretbox_open_easy(m, blob + crypto_secretbox_NONCEBYTES,
	    len - crypto_secretbox_NONCEBYTES, blob, k) != 0) {
		sodium_free(m);
		return NULL;
	}
	pw = secret_new(m, mlen, "queued password");
	sodium_free(m);		/* wipes */
	return pw;
}

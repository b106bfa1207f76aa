/*
 * The spool: captures the receiver has not acknowledged yet, one file per
 * capture in a 0700 directory, named by the capture id and sealed with
 * crypto_secretbox_easy (nonce + ciphertext of the JSON body) under a key
 * kept beside them in spool.key (0600). The key on the same disk does not
 * protect against root on the DC (who sees every password anyway); it
 * keeps plaintext passwords out of backups of the spool, out of a disk
 * that is reused, and out of a grep. Single thread; the directory is
 * trusted only after its owner and mode are checked, entries are
 * authenticated before they are decoded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "pwhook.h"
#include "strparse.h"

#define PWHOOK_KEY_FILE "spool.key"
#define PWHOOK_LAST_FILE "last-change"
#define PWHOOK_ENTRY_MAX \
	(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PW_BODY_MAX)

static int
pwhook_write_all(int fd, const void *p, size_t len)
{
	const unsigned char *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads at most `max` bytes; -EFBIG when the file holds more. */
static int
pwhook_read_all(int fd, unsigned char *p, size_t max, size_t *got)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (n == max) {
			unsigned char extra;

			r = read(fd, &extra, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r > 0)
				return -EFBIG;
			break;
		}
		r = read(fd, p + n, max - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

/* SECURITY: a spool or key that others can reach or replace is refused
 * rather than repaired: someone changed it, and the administrator should
 * know. */
static int
pwhook_check_private(const struct stat *st, bool dir, const char *what,
    char *why, size_t whylen)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "%s: not a %s", what,
		    dir ? "directory" : "regular file");
		return -ADSYNC_ESECRET;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, whylen, "%s: owned by uid %u, not by uid %u",
		    what, (unsigned)st->st_uid, (unsigned)geteuid());
		return -ADSYNC_ESECRET;
	}
	if ((st->st_mode & 077) != 0) {
		snprintf(why, whylen, "%s: mode %04o gives access to group or "
		    "others; run: chmod %s %s", what,
		    (unsigned)(st->st_mode & 07777), dir ? "700" : "600", what);
		return -ADSYNC_ESECRET;
	}
	return 0;
}

static int
pwhook_spool_key_read(struct pwhook_spool *sp, int fd, char *why,
    size_t whylen)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char what[300];
	struct stat st;
	size_t got = 0;
	int r;

	snprintf(what, sizeof(what), "%s/%s", sp->dir, PWHOOK_KEY_FILE);
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((r = pwhook_check_private(&st, false, what, why, whylen)) < 0)
		return r;
	if ((r = pwhook_read_all(fd, key, sizeof(key), &got)) < 0 ||
	    got != sizeof(key)) {
		snprintf(why, whylen, "%s: not a %zu-byte key", what,
		    sizeof(key));
		sodium_memzero(key, sizeof(key));
		return -ADSYNC_ESECRET;
	}
	sp->key = secret_new(key, sizeof(key), "spool.key");
	sodium_memzero(key, sizeof(key));
	return sp->key != NULL ? 0 : -ENOMEM;
}

/*
 * Creates the key under a temporary name (O_EXCL) and links it into
 * place, so that a second hook starting at the same time never reads a
 * half-written key: link() fails with EEXIST and that hook reads ours.
 */
static int
pwhook_spool_key_create(struct pwhook_spool *sp)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char tmp[64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), ".%s.%ld", PWHOOK_KEY_FILE, (long)getpid());
	(void)unlinkat(sp->dirfd, tmp, 0);
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	randombytes_buf(key, sizeof(key));
	r = pwhook_write_all(fd, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && linkat(sp->dirfd, tmp, sp->dirfd, PWHOOK_KEY_FILE, 0) < 0)
		r = errno == EEXIST ? 0 : -errno;
	(void)unlinkat(sp->dirfd, tmp, 0);
	if (r == 0)
		(void)fsync(sp->dirfd);
	return r;
}

int
pwhook_spool_open(struct pwhook_spool *sp, const char *dir, char *why,
    size_t whylen)
{
	struct stat st;
	int fd, r, tries;

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = -1;
	if (whylen > 0)
		why[0] = '\0';
	if (strlen(dir) >= sizeof(sp->dir)) {
		snprintf(why, whylen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whylen, "%s: cannot create: %s", dir,
		    adsync_strerror(r));
		return r;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sp->dirfd < 0) {
		r = -errno;
		snprintf(why, whylen, "%s: cannot open: %s%s", dir,
		    adsync_strerror(r), r == -ELOOP || r == -ENOTDIR ?
		    " (a symbolic link or not a directory)" : "");
		return r;
	}
	if (fstat(sp->dirfd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = pwhook_check_private(&st, true, dir, why, whylen)) < 0)
		goto fail;
	for (tries = 0; tries < 2; tries++) {
		fd = openat(sp->dirfd, PWHOOK_KEY_FILE, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			r = pwhook_spool_key_read(sp, fd, why, whylen);
			close(fd);
			if (r < 0)
				goto fail;
			return 0;
		}
		r = -errno;
		if (r != -ENOENT)
			break;
		if ((r = pwhook_spool_key_create(sp)) < 0)
			break;
	}
	snprintf(why, whylen, "%s/%s: %s%s", dir, PWHOOK_KEY_FILE,
	    adsync_strerror(r), r == -ELOOP ? " (symbolic links are refused)" :
	    "");
fail:
	if (why[0] == '\0')
		snprintf(why, whylen, "%s: %s", dir, adsync_strerror(r));
	pwhook_spool_close(sp);
	return r;
}

void
pwhook_spool_close(struct pwhook_spool *sp)
{
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	secret_free(sp->key);
	sp->key = NULL;
	sp->dirfd = -1;
}

static bool
pwhook_spool_name_ok(const char *s)
{
	size_t i;

	for (i = 0; i < PW_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[PW_ID_LEN] == '\0';
}

int
pwhook_spool_put(struct pwhook_spool *sp, const char *id,
    const struct buf *json)
{
	unsigned char *out = NULL;
	size_t outlen;
	char tmp[PW_ID_LEN + 8];
	int fd = -1, r;

	if (!pwhook_spool_name_ok(id) || json->len > PW_BODY_MAX)
		return -EINVAL;
	outlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
	    json->len;
	if ((out = malloc(outlen)) == NULL)
		return -ENOMEM;
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
	    (const unsigned char *)json->data, json->len, out,
	    secret_bytes(sp->key, NULL));
	/* The temporary name starts with a dot: listings skip it, so the
	 * sender never sees a half-written entry. */
	snprintf(tmp, sizeof(tmp), ".tmp-%s", id);
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if ((r = pwhook_write_all(fd, out, outlen)) < 0)
		goto out;
	/* Durable before we report it spooled: the password change may be
	 * committed the next moment, and this is the only copy. */
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto out;
	}
	fd = -1;
	if (renameat(sp->dirfd, tmp, sp->dirfd, id) < 0) {
		r = -errno;
		goto out;
	}
	if (fsync(sp->dirfd) < 0) {
		r = -errno;
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		(void)unlinkat(sp->dirfd, tmp, 0);
	free(out);
	return r;
}

int
pwhook_spool_get(struct pwhook_spool *sp, const char *id,
    struct pw_capture *out, char *why, size_t whylen)
{
	unsigned char *ct = NULL, *pt = NULL;
	size_t got = 0, ptlen;
	char sub[200];
	struct stat st;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if (!pwhook_spool_name_ok(id))
		return -EINVAL;
	fd = openat(sp->dirfd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		r = -EINVAL;
		goto out;
	}
	if ((ct = malloc(PWHOOK_ENTRY_MAX)) == NULL ||
	    (pt = sodium_malloc(PW_BODY_MAX)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = pwhook_read_all(fd, ct, PWHOOK_ENTRY_MAX, &got)) < 0) {
		if (r == -EFBIG) {
			snprintf(why, whylen, "larger than an entry can be");
			r = -EINVAL;
		}
		goto out;
	}
	if (got < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 1) {
		snprintf(why, whylen, "too short");
		r = -EINVAL;
		goto out;
	}
	ptlen = got - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	if (crypto_secretbox_open_easy(pt, ct + crypto_secretbox_NONCEBYTES,
	    got - crypto_secretbox_NONCEBYTES, ct,
	    secret_bytes(sp->key, NULL)) != 0) {
		snprintf(why, whylen, "cannot be authenticated (damaged, or "
		    "sealed under another spool.key)");
		r = -EINVAL;
		goto out;
	}
	if ((r = pw_capture_decode((const char *)pt, ptlen, out, sub,
	    sizeof(sub))) < 0) {
		snprintf(why, whylen, "cannot be decoded: %s", sub);
		r = -EINVAL;
		goto out;
	}
	/* The name is not authenticated; the body is. */
	if (strcmp(out->id, id) != 0) {
		snprintf(why, whylen, "holds capture %s", out->id);
		pw_capture_fini(out);
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	sodium_free(pt);
	free(ct);
	close(fd);
	return r;
}

int
pwhook_spool_del(struct pwhook_spool *sp, const char *id)
{
	if (!pwhook_spool_name_ok(id))
		return -EINVAL;
	if (unlinkat(sp->dirfd, id, 0) < 0 && errno != ENOENT)
		return -errno;
	(void)fsync(sp->dirfd);
	return 0;
}

int
pwhook_spool_list(struct pwhook_spool *sp, size_t max,
    struct pwhook_spool_ent **ents, size_t *n)
{
	struct pwhook_spool_ent *e = NULL, *ne;
	struct dirent *de;
	size_t cnt = 0, cap = 0;
	DIR *d;
	int fd;

	if ((fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL && cnt < max) {
		if (strlen(de->d_name) != PW_ID_LEN ||
		    !pwhook_spool_name_ok(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((ne = reallocarray(e, cap, sizeof(*e))) == NULL) {
				free(e);
				closedir(d);
				return -ENOMEM;
			}
			e = ne;
		}
		memcpy(e[cnt].id, de->d_name, PW_ID_LEN + 1);
		e[cnt].captured_ms = 0;
		cnt++;
	}
	closedir(d);
	*ents = e;
	*n = cnt;
	return 0;
}

void
pwhook_spool_note_change(struct pwhook_spool *sp, int64_t captured_ms)
{
	char txt[32], tmp[64];
	int fd, n;

	if (captured_ms <= pwhook_spool_last_change(sp))
		return;
	n = snprintf(txt, sizeof(txt), "%lld\n", (long long)captured_ms);
	snprintf(tmp, sizeof(tmp), ".%s.%ld", PWHOOK_LAST_FILE, (long)getpid());
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (pwhook_write_all(fd, txt, (size_t)n) < 0 || close(fd) < 0) {
		(void)unlinkat(sp->dirfd, tmp, 0);
		return;
	}
	if (renameat(sp->dirfd, tmp, sp->dirfd, PWHOOK_LAST_FILE) < 0)
		(void)unlinkat(sp->dirfd, tmp, 0);
}

int64_t
pwhook_spool_last_change(struct pwhook_spool *sp)
{
	unsigned char txt[32];
	const char *errstr;
	long long v;
	size_t got = 0;
	int fd, r;

	fd = openat(sp->dirfd, PWHOOK_LAST_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = pwhook_read_all(fd, txt, sizeof(txt) - 1, &got);
	close(fd);
	if (r < 0)
		return 0;
	while (got > 0 && txt[got - 1] == '\n')
		got--;
	txt[got] = '\0';
	if (strparse_num((const char *)txt, 0, PW_TIME_MS_MAX, &v,
	    &errstr) != 0)
		return 0;
	return v;
}

/*
 * struct secret. Storage is an anonymous mapping: it can be mlock()ed and
 * marked MADV_DONTDUMP, which malloc'd memory cannot be cleanly. Any thread
 * (one owner at a time). Trusts nothing in the file it loads. Also writes
 * secret files (registration), atomically and 0600 from the first byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "secret.h"

struct secret {
	unsigned char *data;	/* mapping of `maplen` bytes */
	size_t len;
	size_t maplen;
	char tag[96];		/* "<secret:...>" */
};

static struct secret *
secret_alloc(size_t len, const char *tag)
{
	struct secret *s;
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->maplen = ((len + 1 + page - 1) / page) * page;
	s->data = mmap(NULL, s->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->data == MAP_FAILED) {
		free(s);
		return NULL;
	}
	/* SECURITY: keep secrets out of core files and swap (best effort:
	 * mlock may fail under RLIMIT_MEMLOCK, which is not fatal). */
	(void)madvise(s->data, s->maplen, MADV_DONTDUMP);
	(void)mlock(s->data, s->maplen);
	s->len = len;
	snprintf(s->tag, sizeof(s->tag), "<secret:%s>", tag ? tag : "?");
	return s;
}

struct secret *
secret_new(const void *data, size_t len, const char *tag)
{
	struct secret *s;

	if ((s = secret_alloc(len, tag)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(s->data, data, len);
	s->data[len] = '\0';
	return s;
}

int
secret_replace(struct secret *s, const void *data, size_t len)
{
	if (len + 1 > s->maplen)
		return -ENOSPC;
	explicit_bzero(s->data, s->len);
	if (len > 0)
		memcpy(s->data, data, len);
	s->data[len] = '\0';
	s->len = len;
	return 0;
}

int
secret_load_file(const char *path, const char *tag, size_t max,
    struct secret **out, char *why, size_t whylen)
{
	struct secret *s = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	if (why == NULL || whylen == 0) {
		why = NULL;
		whylen = 0;
	} else
		why[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (why)
			snprintf(why, whylen, "%s: cannot open: %s%s", path,
			    adsync_strerror(r), r == -ELOOP ?
			    " (symbolic links are refused; point to the file "
			    "itself)" : "");
		return r == -ELOOP ? -ADSYNC_ESECRET : r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -ADSYNC_ESECRET;
		if (why)
			snprintf(why, whylen, "%s: not a regular file", path);
		goto fail;
	}
	/* SECURITY: a secret readable by others is already leaked; refuse it
	 * so the administrator notices, as sshd does with private keys. */
	if ((st.st_mode & 077) != 0) {
		r = -ADSYNC_ESECRET;
		if (why)
			snprintf(why, whylen, "%s: mode %04o gives access to "
			    "group or others; run: chmod 600 %s", path,
			    (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		r = -ADSYNC_ESECRET;
		if (why)
			snprintf(why, whylen, "%s: owned by uid %u, not by root "
			    "or the service user (uid %u); run: chown %u %s",
			    path, (unsigned)st.st_uid, (unsigned)geteuid(),
			    (unsigned)geteuid(), path);
		goto fail;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		r = -ADSYNC_ETOOBIG;
		if (why)
			snprintf(why, whylen, "%s: larger than %zu bytes", path,
			    max);
		goto fail;
	}
	if ((s = secret_alloc((size_t)st.st_size, tag)) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, s->data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* A key pasted with `echo` ends in a newline that is not part of it. */
	if (got > 0 && s->data[got - 1] == '\n')
		got--;
	if (got > 0 && s->data[got - 1] == '\r')
		got--;
	s->data[got] = '\0';
	s->len = got;
	if (got == 0) {
		r = -ADSYNC_ESECRET;
		if (why)
			snprintf(why, whylen, "%s: the file is empty", path);
		goto fail;
	}
	close(fd);
	*out = s;
	return 0;
fail:
	if (r < 0 && why && why[0] == '\0')
		snprintf(why, whylen, "%s: %s", path, adsync_strerror(r));
	secret_free(s);
	close(fd);
	return r;
}

static void secret_why(char *why, size_t whylen, const char *fmt, ...)
    ATTR_PRINTF(3, 4);

static void
secret_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* What to do when a file cannot be made in a directory. */
static const char *
secret_dir_advice(int r)
{
	switch (-r) {
	case ENOENT:
		return "; create the directory first";
	case EACCES:
	case EPERM:
		return "; run as root or as the user that owns the directory";
	case EROFS:
		return "; the file system is read-only here (under systemd, "
		    "add the directory to ReadWritePaths=)";
	default:
		return "";
	}
}

int
secret_write_file(const char *path, const void *data, size_t len, char *why,
    size_t whylen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base;
	const unsigned char *p = data;
	struct stat st;
	bool keep_owner = false;
	size_t left = len;
	ssize_t w;
	int fd = -1, dfd, r = 0, n;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len == 0) {
		secret_why(why, whylen, "%s: nothing to write; an empty secret "
		    "file is refused when read", path);
		return -EINVAL;
	}
	if (len > SECRET_FILE_MAX) {
		secret_why(why, whylen, "%s: the secret is larger than %d "
		    "bytes", path, SECRET_FILE_MAX);
		return -ADSYNC_ETOOBIG;
	}
	base = slash != NULL ? slash + 1 : path;
	if (base[0] == '\0' || (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		secret_why(why, whylen, "%s is a directory; name the file that "
		    "is to hold the secret", path);
		return -EISDIR;
	}
	/* Root writing a secret for the service user (registration run by
	 * the administrator) must not take the file away from it. */
	if (geteuid() == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		keep_owner = true;
	if (slash == NULL)
		n = snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		n = snprintf(dir, sizeof(dir), "/");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
		    path);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (n = snprintf(tmp, sizeof(tmp), "%s/.%s.new-XXXXXX", dir,
	    base)) < 0 || (size_t)n >= sizeof(tmp)) {
		secret_why(why, whylen, "%s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	/* SECURITY: mkostemp() opens with O_EXCL and mode 0600, so the
	 * secret is never readable by others, not even for a moment, and
	 * a planted file or link in its place is never written through. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = -errno;
		secret_why(why, whylen, "%s: cannot create a file in %s: %s%s",
		    path, dir, adsync_strerror(r), secret_dir_advice(r));
		return r;
	}
	if (fchmod(fd, 0600) < 0 || (keep_owner &&
	    fchown(fd, st.st_uid, st.st_gid) < 0)) {
		r = -errno;
		secret_why(why, whylen, "%s: cannot set the mode or owner of "
		    "%s: %s", path, tmp, adsync_strerror(r));
		goto fail;
	}
	/* Written straight from the caller's buffer: no copy to wipe. */
	while (left > 0) {
		w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			secret_why(why, whylen, "%s: cannot write %s: %s", path,
			    tmp, adsync_strerror(r));
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		secret_why(why, whylen, "%s: cannot write %s: %s", path, tmp,
		    adsync_strerror(r));
		goto fail;
	}
	n = close(fd);
	fd = -1;
	if (n < 0) {
		r = -errno;
		secret_why(why, whylen, "%s: cannot write %s: %s", path, tmp,
		    adsync_strerror(r));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		secret_why(why, whylen, "%s: cannot replace it: %s%s", path,
		    adsync_strerror(r), secret_dir_advice(r));
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) < 0) {
		r = -errno;
		secret_why(why, whylen, "%s was written, but syncing %s "
		    "failed: %s; the file may not survive a crash", path, dir,
		    adsync_strerror(r));
	}
	if (dfd >= 0)
		close(dfd);
	return r;
fail:
	/* SECURITY: drop what reached the disk before unlinking. */
	if (fd >= 0) {
		if (ftruncate(fd, 0) < 0) {
			/* Best effort: the unlink below is what matters. */
		}
		close(fd);
	} else if (truncate(tmp, 0) < 0) {
		/* Same. */
	}
	unlink(tmp);
	return r;
}

const unsigned char *
secret_bytes(const struct secret *s, size_t *len)
{
	if (len != NULL)
		*len = s->len;
	return s->data;
}

const char *
secret_log_tag(const struct secret *s)
{
	return s != NULL ? s->tag : "<secret:none>";
}

void
secret_free(struct secret *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s->data, s->maplen);
	munlock(s->data, s->maplen);
	munmap(s->data, s->maplen);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

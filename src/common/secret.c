/*
 * struct secret. Storage is an anonymous mapping: it can be mlock()ed and
 * marked MADV_DONTDUMP, which malloc'd memory cannot be cleanly. Any thread
 * (one owner at a time). Trusts nothing in the file it loads. Also writes
 * secret files (registration), atomically and 0600 from the first byte,
 * through file_replace().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
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
	/* O_NONBLOCK: a FIFO in the secret's place must not block the
	 * open; it is refused below as not a regular file (O_NONBLOCK does
	 * nothing to the reads of a regular file). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
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
	/* Root writing a secret for the service user (registration run by
	 * the administrator) must not take the file away from it. */
	static const struct file_replace_opts opts = {
		.mode = 0600,
		.keep_owner = true,
		.tmp_infix = "new",
		.dir_advice = secret_dir_advice,
	};

	if (len == 0) {
		err_why(why, whylen, "%s: nothing to write; an empty secret "
		    "file is refused when read", path);
		return -EINVAL;
	}
	if (len > SECRET_FILE_MAX) {
		err_why(why, whylen, "%s: the secret is larger than %d bytes",
		    path, SECRET_FILE_MAX);
		return -ADSYNC_ETOOBIG;
	}
	return file_replace(path, data, len, &opts, why, whylen);
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

char *
secret_load_pem(const char *path, const char *tag, bool secret, size_t *len,
    char *why, size_t whylen)
{
	struct secret *s = NULL;
	const unsigned char *b;
	char *out;
	size_t n;
	FILE *fp;

	if (secret) {
		if (secret_load_file(path, tag != NULL ? tag : path,
		    SECRET_FILE_MAX, &s, why, whylen) < 0)
			return NULL;
		b = secret_bytes(s, &n);
		/* A final newline: TLS libraries want one after the PEM. */
		if ((out = malloc(n + 2)) != NULL) {
			memcpy(out, b, n);
			out[n] = '\n';
			out[n + 1] = '\0';
			*len = n + 1;
		} else
			err_why(why, whylen, "%s: out of memory", path);
		secret_free(s);
		return out;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		err_why(why, whylen, "%s%scannot open %s: %s",
		    tag != NULL ? tag : "", tag != NULL ? ": " : "", path,
		    adsync_strerror(-errno));
		return NULL;
	}
	if ((out = malloc(SECRET_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		err_why(why, whylen, "%s: out of memory", path);
		return NULL;
	}
	n = fread(out, 1, SECRET_FILE_MAX, fp);
	fclose(fp);
	out[n] = '\0';
	*len = n;
	return out;
}

/*
 * file_replace(): atomic replacement of a file through a temporary file
 * beside it (see fileio.h). Any thread. Trusts nothing found at the path:
 * a planted file or link, a directory, a file changed under us.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"

static bool
file_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int
file_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *
file_advice(const struct file_replace_opts *o, int r)
{
	return o->dir_advice != NULL ? o->dir_advice(r) : "";
}

/* The owner, then the mode (a chown may clear set-id bits), of the new
 * file `fd` from the old file `old` (NULL: there is none). */
static int
file_set_owner_mode(int fd, const struct stat *old,
    const struct file_replace_opts *o, const char *path, const char *tmp,
    char *why, size_t whylen)
{
	mode_t mode = old != NULL && o->keep_mode ? old->st_mode & 07777 :
	    o->mode & 07777;
	int r;

	if (old != NULL && o->keep_owner && geteuid() == 0) {
		if (fchown(fd, old->st_uid, old->st_gid) < 0) {
			r = -errno;
			err_why(why, whylen, "%s: cannot give %s the owner of "
			    "the old file: %s", path, tmp, adsync_strerror(r));
			return r;
		}
	} else if (old != NULL && o->keep_group &&
	    old->st_gid != getegid()) {
		/* Keeps the group when we belong to it; when not, the file
		 * becomes ours, which we could write anyway. */
		if (fchown(fd, (uid_t)-1, old->st_gid) < 0) {
			/* Best effort, as said. */
		}
	}
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		err_why(why, whylen, "%s: cannot set the mode of %s: %s", path,
		    tmp, adsync_strerror(r));
		return r;
	}
	return 0;
}

int
file_replace(const char *path, const void *data, size_t len,
    const struct file_replace_opts *o, char *why, size_t whylen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base;
	const char *infix = o->tmp_infix != NULL ? o->tmp_infix : "new";
	const struct stat *old = NULL;
	struct stat st, now;
	int fd = -1, dfd, r = 0, n;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	base = slash != NULL ? slash + 1 : path;
	if (base[0] == '\0') {
		err_why(why, whylen, "%s is a directory; name the file itself",
		    path);
		return -EISDIR;
	}
	if (o->check_unchanged)
		old = o->was;
	else if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			err_why(why, whylen, "%s is a directory; name the file "
			    "itself", path);
			return -EISDIR;
		}
		if (S_ISREG(st.st_mode))
			old = &st;
	}
	if (slash == NULL)
		n = snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		n = snprintf(dir, sizeof(dir), "/");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
		    path);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (n = snprintf(tmp, sizeof(tmp), "%s/.%s.%s-XXXXXX", dir, base,
	    infix)) < 0 || (size_t)n >= sizeof(tmp)) {
		err_why(why, whylen, "%s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	/* SECURITY: mkostemp() opens with O_EXCL and mode 0600 whatever the
	 * umask, so the data is never readable by others, not even for a
	 * moment, and a planted file or link in its place is never written
	 * through. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = -errno;
		err_why(why, whylen, "%s: cannot create a file in %s: %s%s",
		    path, dir, adsync_strerror(r), file_advice(o, r));
		return r;
	}
	if ((r = file_set_owner_mode(fd, old, o, path, tmp, why,
	    whylen)) < 0)
		goto fail;
	/* Written straight from the caller's buffer: no copy to wipe. */
	r = file_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		err_why(why, whylen, "%s: cannot write %s: %s", path, tmp,
		    adsync_strerror(r));
		goto fail;
	}
	n = close(fd);
	fd = -1;
	if (n < 0) {
		r = -errno;
		err_why(why, whylen, "%s: cannot write %s: %s", path, tmp,
		    adsync_strerror(r));
		goto fail;
	}
	/* Someone (an editor, configuration management, another console
	 * request) changed the file after the caller read it: theirs wins. */
	if (o->check_unchanged && (o->was != NULL ? lstat(path, &now) < 0 ||
	    !file_same(o->was, &now) : lstat(path, &now) == 0)) {
		r = -EAGAIN;
		err_why(why, whylen, "%s changed on disk while it was being "
		    "edited; nothing was written: read it again and retry",
		    path);
		goto fail;
	}
	if (o->no_symlink && lstat(path, &now) == 0 && S_ISLNK(now.st_mode)) {
		r = -ELOOP;
		err_why(why, whylen, "%s is a symbolic link; nothing was "
		    "written: name the file it points to", path);
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		err_why(why, whylen, "%s: cannot replace it: %s%s", path,
		    adsync_strerror(r), file_advice(o, r));
		goto fail;
	}
	/* The rename is durable only once the directory is on disk. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) < 0) {
		r = -errno;
		err_why(why, whylen, "%s was written, but syncing %s failed: "
		    "%s; the change may not survive a crash", path, dir,
		    adsync_strerror(r));
	}
	if (dfd >= 0)
		close(dfd);
	return r;
fail:
	/* SECURITY: drop what reached the disk before unlinking (the data
	 * may be a secret). */
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

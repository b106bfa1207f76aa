/*
 * The state directory: creating it 0700, refusing it (and the files in
 * it) when someone else could change them, and the process lock
 * state_dir/lock that keeps a second adsync away from the same state. Runs
 * on the thread that opens the store, before SQLite touches anything.
 *
 * Trust: the path comes from the configuration; what is on disk may have
 * been put there by anyone who could write the parent directory. Files are
 * examined with lstat semantics (a symlink is refused, not followed) and
 * opened with O_NOFOLLOW.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store_internal.h"
#include "strparse.h"

/* Files that live in state_dir; each is checked where it exists. */
static const char *const store_dir_files[] = {
	"state.db", "state.db-wal", "state.db-shm", "lock"
};

/*
 * SECURITY: a state file that another user can write (or that belongs to
 * another user) could feed us a crafted mirror or journal; refuse it with
 * the command that fixes it rather than use it.
 */
static int
store_dir_check_owner(const struct stat *sb, const char *what,
    const char *path, char *why, size_t whylen)
{
	unsigned euid = (unsigned)geteuid();

	if ((unsigned)sb->st_uid != euid) {
		snprintf(why, whylen, "%s %s is owned by uid %u, not by uid %u "
		    "that adsync runs as; chown %u %s (or run adsync as its "
		    "owner)", what, path, (unsigned)sb->st_uid, euid, euid,
		    path);
		return -EPERM;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, whylen, "%s %s is writable by group or others "
		    "(mode %04o); chmod go-w %s", what, path,
		    (unsigned)(sb->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

static int
store_dir_check_file(int dfd, const char *dir, const char *name, char *why,
    size_t whylen)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot examine %s: %s", path,
		    adsync_strerror(-errno));
		return -errno;
	}
	if (S_ISLNK(sb.st_mode)) {
		snprintf(why, whylen, "%s is a symbolic link; state files "
		    "must be regular files in state_dir (remove the link)",
		    path);
		return -ELOOP;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file; remove it "
		    "or use another state_dir", path);
		return -EPERM;
	}
	return store_dir_check_owner(&sb, "state file", path, why, whylen);
}

int
store_dir_check(const char *dir, bool create, char *why, size_t whylen)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t i;
	int dfd = -1, fd, r = 0;

	if (dir == NULL || dir[0] == '\0' ||
	    strlen(dir) + sizeof("/state.db-wal") > sizeof(path)) {
		snprintf(why, whylen, "state_dir is empty or too long");
		return -EINVAL;
	}
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whylen, "cannot create state_dir %s: %s; create "
		    "it (mode 0700, owned by the user adsync runs as)", dir,
		    adsync_strerror(r));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		if (r == -ENOENT)
			snprintf(why, whylen, "state_dir %s does not exist; "
			    "create it (mode 0700) or start the daemon once",
			    dir);
		else
			snprintf(why, whylen, "cannot open state_dir %s: %s",
			    dir, adsync_strerror(r));
		goto out;
	}
	if (fstat(dfd, &sb) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot examine state_dir %s: %s", dir,
		    adsync_strerror(r));
		goto out;
	}
	if ((r = store_dir_check_owner(&sb, "state_dir", dir, why,
	    whylen)) < 0)
		goto out;
	for (i = 0; i < sizeof(store_dir_files) / sizeof(store_dir_files[0]);
	    i++)
		if ((r = store_dir_check_file(dfd, dir, store_dir_files[i], why,
		    whylen)) < 0)
			goto out;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	if (!create) {
		if (fstatat(dfd, "state.db", &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			snprintf(why, whylen, "cannot open %s: %s (the daemon "
			    "creates it on its first start)", path,
			    adsync_strerror(r));
		}
		goto out;
	}
	/* Created here, 0600, so that SQLite (which copies the database's
	 * mode to -wal and -shm) never makes it with the umask's mode. */
	fd = openat(dfd, "state.db", O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot create %s: %s", path,
		    adsync_strerror(r));
		goto out;
	}
	close(fd);
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

int
store_dir_lock(const char *dir, int *fdp, char *why, size_t whylen)
{
	char path[PATH_MAX], pidbuf[32];
	const char *errstr;
	long long pid;
	struct stat sb;
	ssize_t n;
	int fd = -1, r = 0, len;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot open the lock file %s: %s", path,
		    adsync_strerror(r));
		goto fail;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot examine %s: %s", path,
		    adsync_strerror(r));
		goto fail;
	}
	if ((r = store_dir_check_owner(&sb, "lock file", path, why,
	    whylen)) < 0)
		goto fail;
	/*
	 * flock() locks belong to the open file description, so a second
	 * store_open() in the same process conflicts too (fcntl locks would
	 * not), and the lock goes away with the process however it dies.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r != -EWOULDBLOCK) {
			snprintf(why, whylen, "cannot lock %s: %s", path,
			    adsync_strerror(r));
			goto fail;
		}
		n = pread(fd, pidbuf, sizeof(pidbuf) - 1, 0);
		pidbuf[n > 0 ? n : 0] = '\0';
		pidbuf[strcspn(pidbuf, "\n")] = '\0';
		if (strparse_num(pidbuf, 1, INT_MAX, &pid, &errstr) == 0)
			snprintf(why, whylen, "state_dir %s is in use by "
			    "process %lld (another adsync); stop it or use "
			    "another state_dir", dir, pid);
		else
			snprintf(why, whylen, "state_dir %s is in use by "
			    "another process (another adsync); stop it or use "
			    "another state_dir", dir);
		goto fail;
	}
	len = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
	errno = 0;	/* a short pwrite() does not set it */
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, pidbuf, (size_t)len, 0) != (ssize_t)len) {
		r = errno != 0 ? -errno : -EIO;
		snprintf(why, whylen, "cannot write our PID into %s: %s", path,
		    adsync_strerror(r));
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return r;
}

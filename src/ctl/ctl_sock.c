/*
 * The control socket file: the path length, what an existing file at the
 * path is (a live daemon, a stale socket left by a crash, or something
 * else), bind() with mode 0600 and listen(). Runs once, on the thread that
 * opens the server, at start-up. ctl_sock_addr() is also used by the
 * client (any thread).
 *
 * Trust: the path comes from the configuration (state_dir); what is at the
 * path may have been left by a crashed daemon, or put there by anyone who
 * can write state_dir (the store refuses a state_dir that others can
 * write). The file is examined with lstat(): a symbolic link is "not a
 * socket", never followed.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "err.h"
#include "log.h"

int
ctl_sock_addr(const char *path, struct sockaddr_un *sa, char *why,
    size_t whylen)
{
	size_t len = strlen(path);

	if (len == 0) {
		snprintf(why, whylen, "the control socket path is empty");
		return -EINVAL;
	}
	if (len >= sizeof(sa->sun_path)) {
		snprintf(why, whylen, "the control socket path %s is %zu bytes "
		    "long, but a UNIX socket path can have at most %zu; choose "
		    "a shorter state_dir", path, len,
		    sizeof(sa->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

static const char *
ctl_sock_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a named pipe";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a socket";
}

/*
 * Connects to an existing socket file to learn whether a server is behind
 * it: 0 when nobody listens (stale), -EADDRINUSE when someone does, another
 * negative code when we cannot tell. Non-blocking, so that a live server
 * with a full backlog answers EAGAIN instead of keeping us waiting; that
 * too means "someone listens". The live server sees a client that closes
 * without a request, which it drops silently.
 */
static int
ctl_sock_probe(const struct sockaddr_un *sa, const char *path, char *why,
    size_t whylen)
{
	int fd, r, e;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot create a socket: %s",
		    adsync_strerror(r));
		return r;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = r < 0 ? errno : 0;
	close(fd);
	if (e == 0 || e == EAGAIN || e == EINPROGRESS) {
		snprintf(why, whylen, "another adsync daemon is running on %s "
		    "(stop it first, e.g. `systemctl stop adsync`)", path);
		return -EADDRINUSE;
	}
	if (e == ECONNREFUSED)
		return 0;
	snprintf(why, whylen, "cannot tell whether an adsync daemon is "
	    "running on the existing socket %s: %s; if none is, remove it "
	    "(rm %s) and start adsync again", path, adsync_strerror(-e), path);
	return -e;
}

/* Makes sure nothing is at `path`: 0, or a negative code and `why`. */
static int
ctl_sock_clear(const struct sockaddr_un *sa, const char *path, char *why,
    size_t whylen)
{
	struct stat sb;
	int r;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		snprintf(why, whylen, "cannot examine %s: %s", path,
		    adsync_strerror(r));
		return r;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(why, whylen, "%s exists and is %s, not a socket; adsync "
		    "creates its control socket there: move that file away "
		    "(or remove it) and start adsync again", path,
		    ctl_sock_kind(sb.st_mode));
		return -EEXIST;
	}
	if ((r = ctl_sock_probe(sa, path, why, whylen)) < 0)
		return r;
	/* A daemon that crashed or was killed leaves its socket behind. */
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(why, whylen, "cannot remove the stale control socket "
		    "%s: %s", path, adsync_strerror(r));
		return r;
	}
	log_info("removed the stale control socket %s", path);
	return 0;
}

int
ctl_sock_listen(const char *path, int *out, dev_t *dev, ino_t *ino,
    char *why, size_t whylen)
{
	struct sockaddr_un sa;
	struct stat sb;
	bool bound = false;
	mode_t old;
	int fd = -1, r, e;

	if ((r = ctl_sock_addr(path, &sa, why, whylen)) < 0)
		return r;
	if ((r = ctl_sock_clear(&sa, path, why, whylen)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot create a socket: %s",
		    adsync_strerror(r));
		goto fail;
	}
	/*
	 * SECURITY: bind() creates the file with mode 0777 & ~umask. With
	 * umask 0177 it is 0600 from its first moment, so nobody else can
	 * connect between bind() and the chmod() below. The umask is
	 * process-wide, hence "call before starting threads" in ctl.h.
	 */
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (r < 0) {
		r = -e;
		if (e == EADDRINUSE)
			snprintf(why, whylen, "%s appeared while adsync was "
			    "creating its control socket there; is another "
			    "adsync daemon starting?", path);
		else
			snprintf(why, whylen, "cannot create the control socket "
			    "%s: %s", path, adsync_strerror(r));
		goto fail;
	}
	bound = true;
	/*
	 * Do not rely on the umask alone: a default ACL on the directory
	 * replaces it. chmod() also sets the ACL mask, which takes away
	 * whatever named ACL entries would grant. The file is examined before
	 * (so chmod() never follows a symbolic link swapped in) and after.
	 */
	if (lstat(path, &sb) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot examine the control socket %s: "
		    "%s", path, adsync_strerror(r));
		goto fail;
	}
	if (S_ISSOCK(sb.st_mode) && sb.st_uid == geteuid() &&
	    (chmod(path, 0600) < 0 || lstat(path, &sb) < 0)) {
		r = -errno;
		snprintf(why, whylen, "cannot set mode 0600 on the control "
		    "socket %s: %s", path, adsync_strerror(r));
		goto fail;
	}
	if (!S_ISSOCK(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 07777) != 0600) {
		r = -EPERM;
		snprintf(why, whylen, "the control socket %s came out with "
		    "mode %04o and owner uid %u instead of 0600 and uid %u; "
		    "check the file system of the state directory", path,
		    (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid,
		    (unsigned)geteuid());
		goto fail;
	}
	if (listen(fd, CTL_MAX_CLIENTS) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot listen on the control socket %s: "
		    "%s", path, adsync_strerror(r));
		goto fail;
	}
	*out = fd;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
fail:
	if (bound)
		unlink(path);
	if (fd >= 0)
		close(fd);
	return r;
}

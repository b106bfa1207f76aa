/*
 * adsync web passwd: sets the web console's admin password (docs/web.md).
 * Reads the new password from the terminal without echo, twice, or, when
 * standard input is not a terminal, one line of it (for scripts); checks
 * it (web_passwd_check), hashes it with Argon2id and replaces the password
 * file atomically, mode 0600. The running daemon reads the file at every
 * login, so no restart is needed. Main thread.
 *
 * SECURITY: the password is never echoed, printed or logged; every buffer
 * that held it is wiped before return, also on errors and on a signal
 * while the terminal's echo is off (which is restored).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "conf.h"
#include "err.h"
#include "web_auth.h"

/* Room for the longest password, its newline and one byte that shows the
 * line was longer. */
#define WEB_PW_BUF (WEB_PASSWD_MAX_BYTES + 2)

static volatile sig_atomic_t web_signo;

static void
web_on_signal(int sig)
{
	web_signo = sig;
}

/*
 * Reads one line from `fd` into buf (NUL-terminated, newline dropped) one
 * byte at a time, so that nothing after the line is consumed. A longer
 * line is read to its end and reported as -ADSYNC_ETOOBIG. Returns 0,
 * -ENODATA (end of input before any byte), -EINTR (a signal arrived while
 * web_signo is watched) or -errno.
 */
static int
web_read_line(int fd, char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	bool toolong = false;
	ssize_t got;
	char c;

	for (;;) {
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR) {
			if (web_signo != 0)
				return -EINTR;
			continue;
		}
		if (got < 0)
			return -errno;
		if (got == 0) {
			if (n == 0 && !toolong)
				return -ENODATA;
			break;
		}
		if (c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
		else
			toolong = true;
	}
	buf[n] = '\0';
	*len = n;
	sodium_memzero(&c, sizeof(c));
	return toolong ? -ADSYNC_ETOOBIG : 0;
}

/*
 * Prompts on the terminal and reads one line with echo off. The signals
 * that would leave the terminal silent are caught for the duration; one
 * of them makes this return -EINTR with echo back on.
 */
static int
web_read_tty(const char *prompt, char *buf, size_t size, size_t *len)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	    SIGTSTP, SIGTTIN, SIGTTOU };
	struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
	struct termios term, noecho;
	size_t i;
	int r;

	if (tcgetattr(STDIN_FILENO, &term) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = web_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: read() must see EINTR */
	web_signo = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, &old[i]);
	noecho = term;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	fputs(prompt, stderr);
	fflush(stderr);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) < 0) {
		r = -errno;
	} else {
		r = web_read_line(STDIN_FILENO, buf, size, len);
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &term);
	}
	fputc('\n', stderr);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &old[i], NULL);
	if (r < 0 && web_signo != 0) {
		sodium_memzero(buf, size);
		/* Now that the terminal echoes again, let the signal do
		 * what it would have done. */
		(void)raise(web_signo);
		return -EINTR;
	}
	return r;
}

/* The new password into pw (size WEB_PW_BUF), or an exit status > 0
 * after saying why. */
static int
web_get_password(char *pw, size_t *len)
{
	char again[WEB_PW_BUF];
	size_t alen = 0;
	int r, status = 0;

	if (!isatty(STDIN_FILENO)) {
		r = web_read_line(STDIN_FILENO, pw, WEB_PW_BUF, len);
		if (r == -ENODATA) {
			fprintf(stderr, "adsync web passwd: no password on "
			    "standard input (give it as one line)\n");
			return 1;
		}
	} else {
		r = web_read_tty("New console password: ", pw, WEB_PW_BUF,
		    len);
		if (r == 0 || r == -ADSYNC_ETOOBIG) {
			int r2 = web_read_tty("Again: ", again, WEB_PW_BUF,
			    &alen);

			if (r2 < 0 && r2 != -ADSYNC_ETOOBIG)
				r = r2;
			else if (r == 0 && (r2 < 0 || alen != *len ||
			    sodium_memcmp(again, pw, alen) != 0)) {
				fprintf(stderr, "adsync web passwd: the two "
				    "passwords differ; nothing changed\n");
				status = 1;
			}
		}
		if (r == -ENODATA) {
			fprintf(stderr, "adsync web passwd: no password "
			    "given; nothing changed\n");
			status = 1;
		}
	}
	if (status == 0 && r == -ADSYNC_ETOOBIG) {
		fprintf(stderr, "adsync web passwd: the password is longer "
		    "than %d bytes; choose a shorter one\n",
		    WEB_PASSWD_MAX_BYTES);
		status = 1;
	} else if (status == 0 && r == -EINTR) {
		fprintf(stderr, "adsync web passwd: interrupted; nothing "
		    "changed\n");
		status = 1;
	} else if (status == 0 && r < 0) {
		fprintf(stderr, "adsync web passwd: cannot read the password: "
		    "%s\n", adsync_strerror(r));
		status = 1;
	}
	sodium_memzero(again, sizeof(again));
	if (status != 0)
		sodium_memzero(pw, WEB_PW_BUF);
	return status;
}

/*
 * A root-owned password file in a directory of another user is one the
 * daemon, running as that user, cannot read: say so now rather than at
 * the first login.
 */
static void
web_warn_owner(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (geteuid() != 0 ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == 0 && st.st_uid != 0)
		fprintf(stderr, "adsync web passwd: warning: %s is root's, "
		    "but %s belongs to uid %u: a daemon running as that user "
		    "cannot read it; run this command as that user (e.g. "
		    "with sudo -u)\n", path, dir, (unsigned)st.st_uid);
}

int
cmd_web_passwd(const struct cli_ctx *ctx, int argc, char **argv)
{
	char pw[WEB_PW_BUF], hash[crypto_pwhash_STRBYTES], path[PATH_MAX];
	char why[PATH_MAX + 256];
	struct conf *conf = NULL;
	size_t len = 0;
	int r, status = 1;

	if (argc > 1) {
		fprintf(stderr, "adsync web passwd: unexpected argument "
		    "\"%s\"\nusage: adsync web passwd\n", argv[1]);
		return 2;
	}
	if (cli_conf_load(ctx, "web passwd", &conf) < 0)
		return 1;
	if (web_passwd_path(conf->daemon.web_password_file,
	    conf->sync.state_dir, path, sizeof(path)) < 0) {
		fprintf(stderr, "adsync web passwd: the password file's path "
		    "is too long\n");
		goto out;
	}
	/* The default file lives in state_dir, which a fresh installation
	 * may not have made yet (the daemon makes it 0700 too). */
	if (conf->daemon.web_password_file[0] == '\0' &&
	    mkdir(conf->sync.state_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		fprintf(stderr, "adsync web passwd: cannot create %s: %s\n",
		    conf->sync.state_dir, adsync_strerror(r));
		goto out;
	}
	if ((status = web_get_password(pw, &len)) != 0)
		goto out;
	status = 1;
	if (web_passwd_check(pw, len, why, sizeof(why)) < 0) {
		fprintf(stderr, "adsync web passwd: %s; nothing changed\n",
		    why);
		goto out;
	}
	if ((r = web_passwd_hash(pw, len, hash)) < 0) {
		fprintf(stderr, "adsync web passwd: cannot hash the password: "
		    "%s\n", adsync_strerror(r));
		goto out;
	}
	if (web_passwd_write(path, hash, why, sizeof(why)) < 0) {
		fprintf(stderr, "adsync web passwd: %s\n", why);
		goto out;
	}
	web_warn_owner(path);
	printf("console password set (%s)\n", path);
	status = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(hash, sizeof(hash));
	conf_free(conf);
	return status;
}

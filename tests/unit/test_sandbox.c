/*
 * The process sandbox (src/common/sandbox.c): each case forks a child
 * that applies a set of rules and then tries what they allow and what
 * they do not, reporting the first surprise in its exit status (the
 * parent stays free). Parts the running kernel lacks (Landlock, its bind
 * rules from ABI 4, its scopes from ABI 6) are skipped, and say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* Runs `fn` in a child sandboxed by `rules`: its exit status (0: as
 * expected; N: check N failed; 100+: the sandbox could not be applied). */
static int
in_child(const struct sandbox_rules *rules, int (*fn)(void *), void *arg)
{
	struct sandbox_report rep;
	char why[256];
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_apply(rules, &rep, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s\n", why);
			_exit(100);
		}
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Whether `rc` failed with one of the two errnos. */
static bool
refused(int rc, int e1, int e2)
{
	return rc < 0 && (errno == e1 || errno == e2);
}

struct fs_case {
	char root[PATH_MAX];
	char rw[PATH_MAX + 8];
	char ro[PATH_MAX + 8];
	char other[PATH_MAX + 8];
};

static int
fs_child(void *arg)
{
	const struct fs_case *c = arg;
	char p[PATH_MAX + 64], q[PATH_MAX + 64];
	int fd;

	/* The writable directory: create, write, rename, remove. */
	snprintf(p, sizeof(p), "%s/new", c->rw);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) < 0)
		return 1;
	if (write(fd, "x", 1) != 1)
		return 2;
	close(fd);
	snprintf(q, sizeof(q), "%s/renamed", c->rw);
	if (rename(p, q) < 0 || unlink(q) < 0)
		return 3;
	snprintf(p, sizeof(p), "%s/sub", c->rw);
	if (mkdir(p, 0700) < 0 || rmdir(p) < 0)
		return 4;
	/* The read-only one: read, but not write or create. */
	snprintf(p, sizeof(p), "%s/f", c->ro);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return 5;
	close(fd);
	if (!refused(open(p, O_WRONLY | O_CLOEXEC), EACCES, EPERM))
		return 6;
	snprintf(p, sizeof(p), "%s/new", c->ro);
	if (!refused(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600), EACCES,
	    EPERM))
		return 7;
	/* Elsewhere: nothing, not even reading. */
	snprintf(p, sizeof(p), "%s/f", c->other);
	if (!refused(open(p, O_RDONLY | O_CLOEXEC), EACCES, EPERM))
		return 8;
	snprintf(p, sizeof(p), "%s/new", c->other);
	if (!refused(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600), EACCES,
	    EPERM))
		return 9;
	return 0;
}

static void
touch(const char *dir)
{
	char p[PATH_MAX + 8];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/f", dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("data\n", fp);
	fclose(fp);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
test_files(void **state)
{
	struct sandbox_rules rules;
	struct fs_case c;

	(void)state;
	if (sandbox_landlock_abi() == 0)
		skip();
	snprintf(c.root, sizeof(c.root), "/tmp/adsync-sandbox.XXXXXX");
	assert_non_null(mkdtemp(c.root));
	snprintf(c.rw, sizeof(c.rw), "%s/rw", c.root);
	snprintf(c.ro, sizeof(c.ro), "%s/ro", c.root);
	snprintf(c.other, sizeof(c.other), "%s/other", c.root);
	assert_int_equal(mkdir(c.rw, 0700), 0);
	assert_int_equal(mkdir(c.ro, 0700), 0);
	assert_int_equal(mkdir(c.other, 0700), 0);
	touch(c.ro);
	touch(c.other);
	memset(&rules, 0, sizeof(rules));
	assert_true(sandbox_rules_write(&rules, c.rw));
	assert_true(sandbox_rules_read(&rules, c.ro));
	/* A path that does not exist is left out, not an error. */
	assert_true(sandbox_rules_read(&rules, "/nonexistent/adsync"));
	assert_int_equal(in_child(&rules, fs_child, &c), 0);
	assert_int_equal(nftw(c.root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static int
exec_child(void *arg)
{
	char prog[] = "true";
	char *argv[] = { prog, NULL };
	char *envp[] = { NULL };

	(void)arg;
	execve("/bin/true", argv, envp);
	/* seccomp answers first (EPERM); Landlock alone says EACCES. */
	return errno == EPERM || errno == EACCES ? 0 : 1;
}

static void
test_no_exec(void **state)
{
	struct sandbox_rules rules;

	(void)state;
	memset(&rules, 0, sizeof(rules));
	assert_true(sandbox_rules_read(&rules, "/usr"));
	assert_true(sandbox_rules_read(&rules, "/bin"));
	assert_int_equal(in_child(&rules, exec_child, NULL), 0);
}

/* The status line of /proc/self/status named `key`, as a number. */
static long
proc_status(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(fp);
	return v;
}

/* A hexadecimal line of /proc/self/status (the capability sets). */
static long long
proc_status_hex(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long long v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = strtoll(line + len + 1, NULL, 16);
	fclose(fp);
	return v;
}

static int
syscalls_child(void *arg)
{
	const bool *was_root = arg;

	if (proc_status("NoNewPrivs") != 1)
		return 1;
	if (proc_status_hex("CapEff") != 0 || proc_status_hex("CapPrm") != 0 ||
	    proc_status_hex("CapAmb") != 0)
		return 7;
	/* Only a process that had CAP_SETPCAP could empty its bounding
	 * set. */
	if (*was_root && proc_status_hex("CapBnd") != 0)
		return 8;
	if (proc_status("Seccomp") != 2)	/* SECCOMP_MODE_FILTER */
		return 2;
	if (!refused(unshare(CLONE_NEWUSER), EPERM, EPERM))
		return 3;
	if (!refused(mount("none", "/mnt", "tmpfs", 0, NULL), EPERM, EPERM))
		return 4;
	if (!refused(setuid(0), EPERM, EPERM))
		return 5;
	if (!refused(chroot("/"), EPERM, EPERM))
		return 6;
	return 0;
}

static void
test_syscalls(void **state)
{
	struct sandbox_rules rules;
	bool was_root = geteuid() == 0;

	(void)state;

	memset(&rules, 0, sizeof(rules));
	assert_true(sandbox_rules_read(&rules, "/proc"));
	assert_int_equal(in_child(&rules, syscalls_child, &was_root), 0);
}

/* A TCP port of 127.0.0.1 free a moment ago. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int
bind_to(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, e;

	if (fd < 0)
		return -1;
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int
bind_child(void *arg)
{
	const uint16_t *ports = arg;

	if (bind_to(ports[0]) < 0)
		return 1;
	if (!refused(bind_to(ports[1]), EACCES, EPERM))
		return 2;
	return 0;
}

static void
test_bind(void **state)
{
	struct sandbox_rules rules;
	uint16_t ports[2];

	(void)state;
	if (sandbox_landlock_abi() < 4)
		skip();
	ports[0] = free_port();
	do
		ports[1] = free_port();
	while (ports[1] == ports[0]);
	memset(&rules, 0, sizeof(rules));
	assert_true(sandbox_rules_bind(&rules, ports[0]));
	assert_int_equal(in_child(&rules, bind_child, ports), 0);
}

static int
net_bind_child(void *arg)
{
	const uint16_t *port = arg;

	/* Only CAP_NET_BIND_SERVICE (10) is left, and it binds a
	 * privileged port. */
	if (proc_status_hex("CapEff") != 1ll << 10 ||
	    proc_status_hex("CapPrm") != 1ll << 10)
		return 1;
	if (bind_to(*port) < 0)
		return 2;
	return 0;
}

/* A listen port below 1024 keeps CAP_NET_BIND_SERVICE, and only it. */
static void
test_keep_net_bind(void **state)
{
	struct sandbox_rules rules;
	uint16_t port;

	(void)state;
	if (geteuid() != 0)
		skip();
	for (port = 1019; port > 900; port--)
		if (bind_to(port) == 0)
			break;
	assert_true(port > 900);
	memset(&rules, 0, sizeof(rules));
	assert_true(sandbox_rules_read(&rules, "/proc"));
	assert_true(sandbox_rules_bind(&rules, port));
	rules.keep_net_bind = true;
	assert_int_equal(in_child(&rules, net_bind_child, &port), 0);
}

static int
signal_child(void *arg)
{
	(void)arg;
	/* The parent is outside the sandbox. */
	if (!refused(kill(getppid(), 0), EPERM, EPERM))
		return 1;
	/* ... and the child itself is inside. */
	if (kill(getpid(), 0) < 0)
		return 2;
	return 0;
}

static void
test_signal_scope(void **state)
{
	struct sandbox_rules rules;

	(void)state;
	if (sandbox_landlock_abi() < 6)
		skip();
	memset(&rules, 0, sizeof(rules));
	assert_int_equal(in_child(&rules, signal_child, NULL), 0);
}

static void
test_report(void **state)
{
	struct sandbox_rules rules;
	struct sandbox_report rep;
	char why[256];
	pid_t pid;
	int st, fds[2];
	char text[sizeof(rep.text)];
	ssize_t n;

	(void)state;
	memset(&rules, 0, sizeof(rules));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (sandbox_apply(&rules, &rep, why, sizeof(why)) < 0)
			_exit(1);
		(void)!write(fds[1], rep.text, strlen(rep.text));
		_exit(rep.seccomp ? 0 : 2);
	}
	close(fds[1]);
	n = read(fds[0], text, sizeof(text) - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(n > 0);
	text[n] = '\0';
	print_message("sandbox here: %s\n", text);
	if (sandbox_landlock_abi() > 0)
		assert_non_null(strstr(text, "Landlock ABI"));
	else
		assert_non_null(strstr(text, "no Landlock"));
	assert_non_null(strstr(text, "seccomp"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_no_exec),
		cmocka_unit_test(test_syscalls),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_keep_net_bind),
		cmocka_unit_test(test_signal_scope),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of file_replace() (src/common/fileio.c): a new file and a
 * replaced one get the asked mode whatever the umask, or the old file's;
 * root keeps the old owner; the unchanged check (-EAGAIN) and the symbolic
 * link refusal (-ELOOP) write nothing; a write that fails half-way (the
 * file size limit) leaves the old file and no temporary file; directories
 * and missing directories are refused with the caller's advice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "fileio.h"

static char tmpdir[200];

/* ---- helpers ---------------------------------------------------------- */

static void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* `path` is a regular file holding exactly `want`, with mode `mode`. */
static void
expect_file(const char *path, const char *want, mode_t mode)
{
	char got[256];
	struct stat st;
	ssize_t n;
	int fd;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

/* Only `n` entries in tmpdir: no temporary file was left behind. */
static void
expect_entries(size_t n)
{
	struct dirent *de;
	size_t got = 0;
	DIR *dp;

	dp = opendir(tmpdir);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strstr(de->d_name, "-") != NULL)
			fail_msg("temporary file left: %s", de->d_name);
		got++;
	}
	closedir(dp);
	assert_int_equal(got, n);
}

static const char *
test_advice(int r)
{
	return r == -ENOENT ? "; make the directory" : "";
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_fileio.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

/* Empties tmpdir before each test (one level: the tests make no more). */
static int
clean_tmp(void **state)
{
	char path[512];
	struct dirent *de;
	DIR *dp;

	(void)state;
	if ((dp = opendir(tmpdir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path_of(path, sizeof(path), de->d_name);
		if (unlink(path) < 0)
			(void)rmdir(path);
	}
	closedir(dp);
	return 0;
}

static int
teardown_tmp(void **state)
{
	clean_tmp(state);
	return rmdir(tmpdir);
}

/* ---- tests ------------------------------------------------------------ */

static void
test_mode(void **state)
{
	struct file_replace_opts o = { .mode = 0640, .tmp_infix = "tst" };
	char path[512], why[256];
	mode_t old;

	(void)state;
	path_of(path, sizeof(path), "f");
	/* A new file gets the mode asked for, whatever the umask. */
	old = umask(0277);
	assert_int_equal(file_replace(path, "one", 3, &o, why, sizeof(why)),
	    0);
	umask(old);
	assert_string_equal(why, "");
	expect_file(path, "one", 0640);
	expect_entries(1);
	/* Replacing: the mode asked for, not the old one's... */
	assert_int_equal(chmod(path, 0604), 0);
	o.mode = 0600;
	assert_int_equal(file_replace(path, "two", 3, &o, NULL, 0), 0);
	expect_file(path, "two", 0600);
	/* ...unless the old one's is kept; `mode` is then for a new file. */
	assert_int_equal(chmod(path, 0604), 0);
	o.keep_mode = true;
	assert_int_equal(file_replace(path, "three", 5, &o, why, sizeof(why)),
	    0);
	expect_file(path, "three", 0604);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(file_replace(path, "", 0, &o, why, sizeof(why)), 0);
	expect_file(path, "", 0600);
	expect_entries(1);
}

static void
test_owner(void **state)
{
	struct file_replace_opts o = { .mode = 0600, .keep_owner = true };
	char path[512];
	struct stat st;

	(void)state;
	path_of(path, sizeof(path), "owned");
	write_file(path, "old", 0600);
	/* Not root: the new file is ours, and keep_owner is no error. */
	if (geteuid() != 0) {
		o.keep_group = true;
		assert_int_equal(file_replace(path, "new", 3, &o, NULL, 0), 0);
		assert_int_equal(lstat(path, &st), 0);
		assert_int_equal(st.st_uid, geteuid());
		expect_file(path, "new", 0600);
		skip();
	}
	/* Root keeps the owner and group of the file it replaces... */
	assert_int_equal(chown(path, 54321, 54322), 0);
	assert_int_equal(file_replace(path, "new", 3, &o, NULL, 0), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 54321);
	assert_int_equal(st.st_gid, 54322);
	expect_file(path, "new", 0600);
	/* ...only when asked to. */
	o.keep_owner = false;
	assert_int_equal(file_replace(path, "newer", 5, &o, NULL, 0), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	/* With the unchanged check, the old file is the one the caller saw:
	 * a new file has no owner to keep. */
	o.keep_owner = true;
	o.check_unchanged = true;
	o.was = NULL;
	assert_int_equal(unlink(path), 0);
	assert_int_equal(file_replace(path, "x", 1, &o, NULL, 0), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	expect_entries(1);
}

static void
test_unchanged(void **state)
{
	struct file_replace_opts o = {
		.mode = 0640,
		.keep_mode = true,
		.check_unchanged = true,
		.tmp_infix = "edit",
	};
	char path[512], why[256];
	struct stat seen;

	(void)state;
	path_of(path, sizeof(path), "conf");
	/* Seen missing, still missing: created. */
	o.was = NULL;
	assert_int_equal(file_replace(path, "a", 1, &o, why, sizeof(why)), 0);
	expect_file(path, "a", 0640);
	/* Seen missing, there now: theirs wins. */
	write_file(path, "theirs", 0644);
	assert_int_equal(file_replace(path, "mine", 4, &o, why, sizeof(why)),
	    -EAGAIN);
	assert_non_null(strstr(why, "changed on disk"));
	assert_non_null(strstr(why, "nothing was written"));
	expect_file(path, "theirs", 0644);
	expect_entries(1);
	/* Seen, unchanged: replaced, with its mode. */
	assert_int_equal(lstat(path, &seen), 0);
	o.was = &seen;
	assert_int_equal(file_replace(path, "mine", 4, &o, why, sizeof(why)),
	    0);
	expect_file(path, "mine", 0644);
	/* Seen, then replaced by someone else: refused. */
	write_file(path, "someone else's", 0644);
	assert_int_equal(file_replace(path, "mine", 4, &o, why, sizeof(why)),
	    -EAGAIN);
	expect_file(path, "someone else's", 0644);
	/* Seen, then removed: refused too. */
	assert_int_equal(lstat(path, &seen), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(file_replace(path, "mine", 4, &o, NULL, 0), -EAGAIN);
	assert_int_equal(access(path, F_OK), -1);
	expect_entries(0);
}

static void
test_symlink(void **state)
{
	struct file_replace_opts o = { .mode = 0600, .no_symlink = true };
	char path[512], link[512], why[256], target[512];
	ssize_t n;

	(void)state;
	path_of(path, sizeof(path), "real");
	path_of(link, sizeof(link), "link");
	write_file(path, "real", 0644);
	assert_int_equal(symlink(path, link), 0);
	/* Refused when asked: the link and its target stay. */
	assert_int_equal(file_replace(link, "new", 3, &o, why, sizeof(why)),
	    -ELOOP);
	assert_non_null(strstr(why, "is a symbolic link"));
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, path);
	expect_file(path, "real", 0644);
	expect_entries(2);
	/* Else the link itself is replaced, never written through. */
	o.no_symlink = false;
	assert_int_equal(file_replace(link, "new", 3, &o, why, sizeof(why)),
	    0);
	expect_file(link, "new", 0600);
	expect_file(path, "real", 0644);
	expect_entries(2);
}

static void
test_write_fails(void **state)
{
	struct file_replace_opts o = { .mode = 0600, .tmp_infix = "tst" };
	static char big[64 * 1024];
	char path[512], why[512];
	struct rlimit old, small;
	void (*oldsig)(int);
	int r;

	(void)state;
	path_of(path, sizeof(path), "data");
	write_file(path, "old", 0600);
	/* A file size limit makes write() fail part-way with EFBIG (the
	 * signal it would raise is ignored), as a full disk would. */
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 4096;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	r = file_replace(path, big, sizeof(big) - 1, &o, why, sizeof(why));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(r, -EFBIG);
	assert_non_null(strstr(why, "cannot write"));
	assert_non_null(strstr(why, "/.data.tst-"));
	expect_file(path, "old", 0600);
	expect_entries(1);
}

static void
test_refused(void **state)
{
	struct file_replace_opts o = {
		.mode = 0600,
		.dir_advice = test_advice,
	};
	char path[512], why[512];

	(void)state;
	/* A directory, by name or with a trailing slash. */
	assert_int_equal(file_replace(tmpdir, "x", 1, &o, why, sizeof(why)),
	    -EISDIR);
	assert_non_null(strstr(why, "is a directory"));
	snprintf(path, sizeof(path), "%s/", tmpdir);
	assert_int_equal(file_replace(path, "x", 1, &o, NULL, 0), -EISDIR);
	/* A directory that does not exist: the caller's advice. */
	path_of(path, sizeof(path), "nodir/f");
	assert_int_equal(file_replace(path, "x", 1, &o, why, sizeof(why)),
	    -ENOENT);
	assert_non_null(strstr(why, "nodir/f: cannot create a file in "));
	assert_non_null(strstr(why, "; make the directory"));
	/* No advice function: none. */
	o.dir_advice = NULL;
	assert_int_equal(file_replace(path, "x", 1, &o, why, sizeof(why)),
	    -ENOENT);
	assert_null(strstr(why, "make the directory"));
	/* A directory we may not write into (root may write anywhere). */
	if (geteuid() != 0) {
		path_of(path, sizeof(path), "f");
		assert_int_equal(chmod(tmpdir, 0500), 0);
		assert_int_equal(file_replace(path, "x", 1, &o, why,
		    sizeof(why)), -EACCES);
		assert_int_equal(chmod(tmpdir, 0700), 0);
	}
	expect_entries(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mode, clean_tmp),
		cmocka_unit_test_setup(test_owner, clean_tmp),
		cmocka_unit_test_setup(test_unchanged, clean_tmp),
		cmocka_unit_test_setup(test_symlink, clean_tmp),
		cmocka_unit_test_setup(test_write_fails, clean_tmp),
		cmocka_unit_test_setup(test_refused, clean_tmp),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}

/*
 * rsemu as a child process for tests and benchmarks (see rsemu_fixture.h).
 * Starts it with fork/exec (never system()), waits for its --ready-file,
 * talks to its admin listener with libcurl, and stops it by PID. Single
 * thread. Trusts the environment it was given (RSEMU, ADSYNC_TEST_SRCDIR);
 * the ready file and admin answers come from our own child.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "rsemu_fixture.h"
#include "err.h"
#include "strparse.h"

#define RSEMU_READY_MS 15000
#define RSEMU_STOP_MS 5000
#define RSEMU_ARGS_MAX 96

static void
rsemu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The secrets audit (tests/audit, docs/testing-sync.md): under CTest,
 * ADSYNC_AUDIT_DIR and ADSYNC_AUDIT_TEST say where a test registers its
 * secrets and keeps its evidence. The fixture's directory is then made in
 * AUDIT_DIR/TEST, and rsemu_stop removes only the secret file from it:
 * rsemu's log and what the test wrote there stay for the audit. Fills buf
 * with AUDIT_DIR/TEST (made 0700); 0, or -1 when not under the audit.
 */
static int
rsemu_audit_dir(char *buf, size_t len)
{
	const char *d = getenv("ADSYNC_AUDIT_DIR");
	const char *t = getenv("ADSYNC_AUDIT_TEST");
	int n;

	if (d == NULL || d[0] == '\0' || t == NULL || t[0] == '\0' ||
	    strchr(t, '/') != NULL)
		return -1;
	n = snprintf(buf, len, "%s/%s", d, t);
	if (n < 0 || (size_t)n >= len)
		return -1;
	(void)mkdir(d, 0700);
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Appends the secret in `path` to the audit's registry, as
 * "TEST<TAB>rsemu_fixture/secret<TAB>VALUE" in one write. */
static void
rsemu_audit_register(const char *path)
{
	const char *d = getenv("ADSYNC_AUDIT_DIR");
	const char *t = getenv("ADSYNC_AUDIT_TEST");
	char reg[RSEMU_PATH_MAX], sec[128], line[256];
	ssize_t got;
	int fd, n;

	if (d == NULL || d[0] == '\0' ||
	    snprintf(reg, sizeof(reg), "%s/secrets", d) >= (int)sizeof(reg))
		return;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	got = read(fd, sec, sizeof(sec) - 1);
	close(fd);
	if (got <= 0)
		return;
	sec[got] = '\0';
	sec[strcspn(sec, "\r\n\t")] = '\0';
	n = snprintf(line, sizeof(line), "%s\trsemu_fixture/secret\t%s\n",
	    t != NULL && t[0] != '\0' ? t : "-", sec);
	sodium_memzero(sec, sizeof(sec));
	if (n > 0 && (size_t)n < sizeof(line) && (fd = open(reg, O_WRONLY |
	    O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
		if (write(fd, line, (size_t)n) != n)
			fprintf(stderr, "rsemu fixture: cannot register the "
			    "secret for the audit\n");
		close(fd);
	}
	sodium_memzero(line, sizeof(line));
}

const char *
rsemu_binary(void)
{
	const char *p = getenv("RSEMU");

	if (p == NULL || p[0] == '\0' || access(p, X_OK) != 0)
		return NULL;
	return p;
}

/* Runs argv[0] with argv, waits; the exit status or -1. */
static int
rsemu_run(char *const argv[])
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
rsemu_mkcert(const char *dir)
{
	const char *src = getenv("ADSYNC_TEST_SRCDIR");
	char script[RSEMU_PATH_MAX], sh[] = "/bin/sh", d[RSEMU_PATH_MAX];
	char *argv[4];
	int r;

	if (src == NULL)
		src = ADSYNC_SOURCE_DIR;
	snprintf(script, sizeof(script), "%s/tests/testbed/mkcert.sh", src);
	if (access(script, R_OK) != 0) {
		fprintf(stderr, "rsemu fixture: %s missing\n", script);
		return RSEMU_SKIP;
	}
	snprintf(d, sizeof(d), "%s", dir);
	argv[0] = sh;
	argv[1] = script;
	argv[2] = d;
	argv[3] = NULL;
	r = rsemu_run(argv);
	if (r == 127)
		return RSEMU_SKIP;
	if (r != 0) {
		fprintf(stderr, "rsemu fixture: mkcert.sh %s failed (%d)\n",
		    dir, r);
		return -1;
	}
	return 0;
}

int
rsemu_write_file(const struct rsemu *e, const char *name,
    const char *content, char *out, size_t outlen)
{
	size_t len = strlen(content);
	int fd;

	if ((size_t)snprintf(out, outlen, "%s/%s", e->dir, name) >= outlen)
		return -1;
	unlink(out);
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) < 0)
		return -1;
	if (write(fd, content, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
rsemu_rm_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int
rsemu_port(const char *s)
{
	const char *errstr;
	long long v;

	if (strparse_num(s, 1, 65535, &v, &errstr) < 0)
		return 0;
	return (int)v;
}

/* Reads the ready file: "listen=HOST:PORT" and "admin=HOST:PORT" lines. */
static int
rsemu_read_ready(struct rsemu *e, const char *path)
{
	char line[512], *colon;
	FILE *fp;
	int got = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		colon = strrchr(line, ':');
		if (colon == NULL)
			continue;
		if (strncmp(line, "listen=", 7) == 0) {
			e->port = rsemu_port(colon + 1);
			got |= 1;
		} else if (strncmp(line, "admin=", 6) == 0) {
			e->admin_port = rsemu_port(colon + 1);
			got |= 2;
		}
	}
	fclose(fp);
	return got == 3 && e->port > 0 && e->admin_port > 0 ? 0 : -1;
}

static void
rsemu_print_log(const struct rsemu *e)
{
	char buf[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(e->log_file, "r")) == NULL)
		return;
	fprintf(stderr, "---- rsemu log (%s) ----\n", e->log_file);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of rsemu log ----\n");
	fclose(fp);
}

int
rsemu_start(struct rsemu *e, const struct rsemu_opts *o)
{
	static const char *const defaults[] = { "--domain",
	    "example.com:exchange", "--domain", "example.net:rsemail",
	    "--throttle", "off", NULL };
	const char *argv[RSEMU_ARGS_MAX];
	char *cargv[RSEMU_ARGS_MAX];
	const char *const *extra;
	const char *bin;
	char tls[RSEMU_PATH_MAX], cert[RSEMU_PATH_MAX], key[RSEMU_PATH_MAX];
	char ready[RSEMU_PATH_MAX], acct[32], sec[64];
	unsigned char raw[24];
	int n = 0, fd, r, k, waited, st;
	pid_t parent;

	memset(e, 0, sizeof(*e));
	if ((bin = rsemu_binary()) == NULL) {
		fprintf(stderr, "rsemu fixture: RSEMU not set or not "
		    "executable: skipping\n");
		return RSEMU_SKIP;
	}
	snprintf(e->user_key, sizeof(e->user_key), "%s",
	    o != NULL && o->user_key != NULL ? o->user_key :
	    "testUserKey0001");
	e->account = o != NULL && o->account > 0 ? o->account : 100001;
	if (o != NULL && o->dir != NULL) {
		snprintf(e->dir, sizeof(e->dir), "%s", o->dir);
	} else {
		char audit[RSEMU_PATH_MAX - 128];

		if (rsemu_audit_dir(audit, sizeof(audit)) < 0)
			snprintf(audit, sizeof(audit), "%s",
			    getenv("TMPDIR") != NULL ? getenv("TMPDIR") :
			    "/tmp");
		snprintf(e->dir, sizeof(e->dir), "%s/rsemu-fixture.XXXXXX",
		    audit);
		if (mkdtemp(e->dir) == NULL) {
			fprintf(stderr, "rsemu fixture: mkdtemp: %s\n",
			    adsync_strerror(-errno));
			return -1;
		}
		e->own_dir = true;
	}
	snprintf(tls, sizeof(tls), "%s/tls", e->dir);
	snprintf(cert, sizeof(cert), "%s/tls/server.pem", e->dir);
	snprintf(key, sizeof(key), "%s/tls/server.key", e->dir);
	snprintf(e->ca_file, sizeof(e->ca_file), "%s/tls/ca.pem", e->dir);
	snprintf(e->secret_file, sizeof(e->secret_file), "%s/secret.key",
	    e->dir);
	snprintf(e->log_file, sizeof(e->log_file), "%s/rsemu.log", e->dir);
	snprintf(ready, sizeof(ready), "%s/ready", e->dir);
	r = -1;
	if (access(e->ca_file, R_OK) != 0 &&
	    (r = rsemu_mkcert(tls)) != 0)
		goto fail;
	r = -1;
	if (access(e->secret_file, R_OK) != 0) {
		/* A random secret per fixture: printable, as a real one. */
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(sec, sizeof(sec), raw, sizeof(raw),
		    sodium_base64_VARIANT_ORIGINAL);
		sodium_memzero(raw, sizeof(raw));
		if ((fd = open(e->secret_file, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW, 0600)) < 0 ||
		    write(fd, sec, strlen(sec)) != (ssize_t)strlen(sec) ||
		    close(fd) != 0) {
			fprintf(stderr, "rsemu fixture: cannot write %s\n",
			    e->secret_file);
			sodium_memzero(sec, sizeof(sec));
			goto fail;
		}
		sodium_memzero(sec, sizeof(sec));
	}
	rsemu_audit_register(e->secret_file);
	unlink(ready);
	snprintf(acct, sizeof(acct), "%lld", e->account);

	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--admin-listen";
	argv[n++] = "127.0.0.1:0";
	if (o == NULL || !o->plain_http) {
		argv[n++] = "--tls-cert";
		argv[n++] = cert;
		argv[n++] = "--tls-key";
		argv[n++] = key;
	}
	argv[n++] = "--account";
	argv[n++] = acct;
	argv[n++] = "--user-key";
	argv[n++] = e->user_key;
	argv[n++] = "--secret-key-file";
	argv[n++] = e->secret_file;
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	extra = o != NULL && o->args != NULL ? o->args : defaults;
	for (; *extra != NULL && n < RSEMU_ARGS_MAX - 1; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	/* execv wants writable strings; copies, freed in the parent. */
	for (k = 0; k <= n; k++)
		cargv[k] = argv[k] != NULL ? strdup(argv[k]) : NULL;

	parent = getpid();
	if ((e->pid = fork()) < 0) {
		fprintf(stderr, "rsemu fixture: fork: %s\n",
		    adsync_strerror(-errno));
		for (k = 0; k < n; k++)
			free(cargv[k]);
		e->pid = 0;
		goto fail;
	}
	if (e->pid == 0) {
		/* If the test dies (a crash skips rsemu_stop), so does its
		 * rsemu: nothing is left running. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
		    getppid() != parent)
			_exit(127);
		fd = open(e->log_file, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execv(bin, cargv);
		_exit(127);
	}
	for (k = 0; k < n; k++)
		free(cargv[k]);
	for (waited = 0; waited < RSEMU_READY_MS; waited += 20) {
		if (rsemu_read_ready(e, ready) == 0)
			break;
		if (waitpid(e->pid, &st, WNOHANG) == e->pid) {
			fprintf(stderr, "rsemu fixture: rsemu exited (status "
			    "%d) before it was ready\n", WIFEXITED(st) ?
			    WEXITSTATUS(st) : -1);
			e->pid = 0;
			rsemu_print_log(e);
			goto fail;
		}
		rsemu_sleep_ms(20);
	}
	if (waited >= RSEMU_READY_MS) {
		fprintf(stderr, "rsemu fixture: not ready after %d ms\n",
		    RSEMU_READY_MS);
		rsemu_print_log(e);
		goto fail;
	}
	snprintf(e->api_url, sizeof(e->api_url), "%s://127.0.0.1:%d/v1",
	    o != NULL && o->plain_http ? "http" : "https", e->port);
	snprintf(e->admin_url, sizeof(e->admin_url), "http://127.0.0.1:%d",
	    e->admin_port);
	snprintf(e->customer, sizeof(e->customer), "me");
	snprintf(e->user_agent, sizeof(e->user_agent), "adsync-test/1");
	return 0;
fail:
	rsemu_stop(e);
	return r;
}

int
rsemu_stop(struct rsemu *e)
{
	int st = 0, waited, r = -1;

	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		for (waited = 0; waited < RSEMU_STOP_MS; waited += 20) {
			if (waitpid(e->pid, &st, WNOHANG) == e->pid)
				break;
			rsemu_sleep_ms(20);
		}
		if (waited >= RSEMU_STOP_MS) {
			fprintf(stderr, "rsemu fixture: pid %d ignored "
			    "SIGTERM; killing it\n", (int)e->pid);
			kill(e->pid, SIGKILL);
			waitpid(e->pid, &st, 0);
		}
		r = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		e->pid = 0;
	}
	if (e->own_dir && e->dir[0] != '\0') {
		char audit[RSEMU_PATH_MAX];
		size_t alen;

		if (rsemu_audit_dir(audit, sizeof(audit)) == 0 &&
		    (alen = strlen(audit)) < strlen(e->dir) &&
		    strncmp(e->dir, audit, alen) == 0 && e->dir[alen] == '/')
			unlink(e->secret_file);	/* the rest is evidence */
		else if (getenv("RSEMU_KEEP") == NULL)
			nftw(e->dir, rsemu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		e->own_dir = false;
	}
	return r;
}

static size_t
rsemu_collect(char *p, size_t sz, size_t n, void *arg)
{
	FILE *fp = arg;

	return fwrite(p, sz, n, fp);
}

long
rsemu_admin(const struct rsemu *e, const char *method, const char *path,
    const char *body, char **out)
{
	struct curl_slist *h = NULL;
	char url[RSEMU_PATH_MAX * 2];
	char *data = NULL;
	size_t len = 0;
	long status = 0;
	FILE *mem;
	CURL *c;

	if (out != NULL)
		*out = NULL;
	if ((mem = open_memstream(&data, &len)) == NULL)
		return 0;
	if ((c = curl_easy_init()) == NULL) {
		fclose(mem);
		free(data);
		return 0;
	}
	snprintf(url, sizeof(url), "%s%s", e->admin_url, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rsemu_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	fclose(mem);
	if (out != NULL)
		*out = data;
	else
		free(data);
	return status;
}

int
rsemu_reset(const struct rsemu *e)
{
	long s = rsemu_admin(e, "POST", "/_emu/reset", NULL, NULL);

	return s >= 200 && s < 300 ? 0 : -1;
}

int
rsemu_faults(const struct rsemu *e, const char *json)
{
	long s = rsemu_admin(e, "POST", "/_emu/faults", json, NULL);

	return s >= 200 && s < 300 ? 0 : -1;
}

static bool
rsemu_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

void
rsemu_client_conf(struct rsemu *e, struct conf_rackspace *c)
{
	memset(c, 0, sizeof(*c));
	c->api_url = e->api_url;
	c->customer = e->customer;
	c->user_key = e->user_key;
	c->secret_key_file = e->secret_file;
	c->ca_file = e->ca_file;
	c->user_agent = e->user_agent;
	/* Generous pacing by default: tests that test pacing set their own. */
	c->reads_per_minute = 4000;
	c->writes_per_minute = 4000;
	c->domain_writes_per_minute = 100;
	c->throttle_window = 60;
	c->timeout = 30;
	c->connect_timeout = 10;
	c->max_retries = 3;
	c->max_in_flight = 4;
}

long
rsemu_count_requests(const struct rsemu *e, const char *method,
    const char *path_suffix, long status)
{
	json_error_t jerr;
	json_t *j, *a, *v, *m, *p, *s;
	char *body = NULL;
	long n = 0;
	size_t i;

	if (rsemu_admin(e, "GET", "/_emu/requests?limit=200000", NULL,
	    &body) != 200 || body == NULL) {
		free(body);
		return -1;
	}
	j = json_loads(body, 0, &jerr);
	free(body);
	if (j == NULL || !json_is_array(a = json_object_get(j,
	    "requests"))) {
		json_decref(j);
		return -1;
	}
	json_array_foreach(a, i, v) {
		m = json_object_get(v, "method");
		p = json_object_get(v, "path");
		s = json_object_get(v, "status");
		if (method != NULL && (!json_is_string(m) ||
		    strcmp(json_string_value(m), method) != 0))
			continue;
		if (path_suffix != NULL && (!json_is_string(p) ||
		    !rsemu_ends_with(json_string_value(p), path_suffix)))
			continue;
		if (status != -1 && (!json_is_integer(s) ||
		    json_integer_value(s) != status))
			continue;
		n++;
	}
	json_decref(j);
	return n;
}

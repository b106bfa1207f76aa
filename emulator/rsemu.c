/*
 * rsemu: an emulator of the Rackspace Email / Hosted Exchange v1 REST API
 * for adsync's tests, demos and benchmarks (docs/rackspace-api.md, rsemu(1),
 * docs/rsemu.md). main parses the command line, loads the secrets, opens the
 * state, starts the listeners, writes --ready-file and waits for SIGTERM or
 * SIGINT on the main thread; everything else runs on MHD's threads and the
 * timer thread. Trusts nothing from the command line or the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "emu.h"
#include "emu_config.h"
#include "emu_faults.h"
#include "emu_http.h"
#include "emu_reqlog.h"
#include "emu_state.h"
#include "emu_throttle.h"
#include "emu_timer.h"
#include "err.h"
#include "log.h"
#include "secret.h"
#include "xmalloc.h"

#define RSEMU_CERT_MAX (64 * 1024)

/* Reads a PEM certificate (public, not a secret) into a new string. */
static char *
rsemu_read_cert(const char *path, char *why, size_t whylen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "--tls-cert %s: %s", path,
		    adsync_strerror(-errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    st.st_size > RSEMU_CERT_MAX) {
		snprintf(why, whylen, "--tls-cert %s: not a regular file of 1 "
		    "to %d bytes", path, RSEMU_CERT_MAX);
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		if ((n = read(fd, buf + got, (size_t)st.st_size - got)) <= 0) {
			snprintf(why, whylen, "--tls-cert %s: read failed",
			    path);
			goto fail;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Writes the ready file atomically: a temporary file, then rename(2). */
static int
rsemu_ready(const char *path, const char *api, const char *admin)
{
	char tmp[4096];
	FILE *fp;
	int r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
	    (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fp = fopen(tmp, "w")) == NULL)
		return -errno;
	fprintf(fp, "listen=%s\n", api);
	if (admin[0] != '\0')
		fprintf(fp, "admin=%s\n", admin);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		r = -errno;
	if (fclose(fp) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r != 0)
		(void)unlink(tmp);
	return r;
}

int
main(int argc, char **argv)
{
	struct emu_config cfg;
	struct emu e;
	struct emu_http *http = NULL;
	struct secret *tlskey = NULL;
	char why[512], *cert = NULL;
	sigset_t set;
	int r, sig, status = 1;

	memset(&e, 0, sizeof(e));
	if (emu_config_parse_args(argc, argv, &cfg, why, sizeof(why)) < 0) {
		fprintf(stderr, "rsemu: %s\n", why);
		emu_config_fini(&cfg);
		return 2;
	}
	if (cfg.help) {
		emu_config_usage(stdout);
		emu_config_fini(&cfg);
		return 0;
	}
	log_init("rsemu", cfg.verbosity, LOG_DEST_STDERR);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	if (emu_config_load_secrets(&cfg, why, sizeof(why)) < 0) {
		fprintf(stderr, "rsemu: %s\n", why);
		status = 2;
		goto out;
	}
	if (cfg.tls_cert != NULL) {
		if ((cert = rsemu_read_cert(cfg.tls_cert, why,
		    sizeof(why))) == NULL) {
			fprintf(stderr, "rsemu: %s\n", why);
			status = 2;
			goto out;
		}
		if ((r = secret_load_file(cfg.tls_key, "rsemu.tls_key",
		    SECRET_FILE_MAX, &tlskey, why, sizeof(why))) < 0) {
			fprintf(stderr, "rsemu: --tls-key %s: %s\n",
			    cfg.tls_key, why[0] ? why : adsync_strerror(r));
			status = 2;
			goto out;
		}
	}
	e.cfg = &cfg;
	if ((r = emu_state_open(cfg.state_path, &e.state, why,
	    sizeof(why))) < 0) {
		fprintf(stderr, "rsemu: %s\n", why);
		status = r == -ADSYNC_ECONFIG ? 2 : 1;
		goto out;
	}
	emu_state_lock(e.state);
	if ((r = emu_state_begin(e.state)) == 0 &&
	    ((r = emu_state_seed(e.state, &cfg, false)) < 0 ||
	    (r = emu_state_commit(e.state)) < 0))
		emu_state_rollback(e.state);
	emu_state_unlock(e.state);
	if (r < 0) {
		fprintf(stderr, "rsemu: cannot store the configured domains: "
		    "%s\n", adsync_strerror(r));
		goto out;
	}
	if ((e.throttle = emu_throttle_new(cfg.nusers, &cfg.throttle)) ==
	    NULL || (e.faults = emu_faults_new(&cfg.faults)) == NULL ||
	    (e.reqlog = emu_reqlog_new(cfg.reqlog_max)) == NULL ||
	    (e.timer = emu_timer_new()) == NULL) {
		fprintf(stderr, "rsemu: out of memory\n");
		goto out;
	}
	/* Signals are taken by sigwait() on this thread only: block them
	 * before MHD's threads start, so they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = emu_http_start(&e, cert, tlskey, &http, why,
	    sizeof(why))) < 0) {
		fprintf(stderr, "rsemu: %s\n", why);
		status = r == -ADSYNC_ECONFIG ? 2 : 1;
		goto out;
	}
	if (cfg.ready_file != NULL && (r = rsemu_ready(cfg.ready_file,
	    emu_http_api_addr(http), emu_http_admin_addr(http))) < 0) {
		fprintf(stderr, "rsemu: --ready-file %s: %s\n",
		    cfg.ready_file, adsync_strerror(r));
		goto out;
	}
	log_info("listening api=%s%s admin=%s users=%zu domains=%zu state=%s",
	    cfg.tls_cert != NULL ? "https://" : "http://",
	    emu_http_api_addr(http), emu_http_admin_addr(http)[0] ?
	    emu_http_admin_addr(http) : "none", cfg.nusers, cfg.ndomains,
	    cfg.state_path != NULL ? cfg.state_path : ":memory:");
	for (;;) {
		if (sigwait(&set, &sig) == 0 && (sig == SIGTERM ||
		    sig == SIGINT))
			break;
	}
	log_info("signal=%d stopping", sig);
	status = 0;
out:
	emu_http_stop(http);
	emu_timer_free(e.timer);
	emu_reqlog_free(e.reqlog);
	emu_faults_free(e.faults);
	emu_throttle_free(e.throttle);
	emu_state_close(e.state);
	secret_free(tlskey);
	free(cert);
	emu_config_fini(&cfg);
	return status;
}

/*
 * The daemon's sandbox (issue 10, docs/SECURITY.md "In the code"): from
 * the configuration, the files `adsync daemon` may read and write and the
 * ports it may bind, applied by src/common/sandbox.c on the main thread
 * before any other thread starts (they inherit it).
 *
 * Reads: the system (/etc, /usr, the libraries, /proc, /sys, /run for the
 * resolver and systemd, the random devices) and the directories of the
 * configured files (CA bundles, the console's certificate and key, the
 * console password). Writes: state_dir, the temporary directories SQLite
 * may use and, when the console is on (it saves settings and new
 * secrets beside the old ones), the directories of adsync.conf and of
 * the two secret files. Binds: the ports of hook_listen and web_listen.
 * Nothing may be executed. A reload that names files elsewhere, or new
 * ports, is refused by the kernel and says so: restart the daemon.
 * Main thread, once.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "log.h"
#include "sandbox.h"
#include "strparse.h"

#define DM_SB_DIRS 12

struct dm_sb {
	struct sandbox_rules rules;
	char dir[DM_SB_DIRS][PATH_MAX];
	size_t ndirs;
};

/* The directory of `path` (kept in `sb`), or NULL for an empty path. */
static const char *
dm_sb_dir(struct dm_sb *sb, const char *path)
{
	char tmp[PATH_MAX];

	if (path == NULL || path[0] == '\0' || sb->ndirs >= DM_SB_DIRS ||
	    strlen(path) >= sizeof(tmp))
		return NULL;
	memcpy(tmp, path, strlen(path) + 1);
	snprintf(sb->dir[sb->ndirs], sizeof(sb->dir[0]), "%s", dirname(tmp));
	return sb->dir[sb->ndirs++];
}

static void
dm_sb_read_dir_of(struct dm_sb *sb, const char *path)
{
	const char *d = dm_sb_dir(sb, path);

	if (d != NULL)
		(void)sandbox_rules_read(&sb->rules, d);
}

static void
dm_sb_write_dir_of(struct dm_sb *sb, const char *path)
{
	const char *d = dm_sb_dir(sb, path);

	if (d != NULL)
		(void)sandbox_rules_write(&sb->rules, d);
}

/* The port of ADDRESS:PORT (conf checked it), or -1 when none. */
static int
dm_sb_port(const char *listen)
{
	const char *colon = strrchr(listen, ':'), *errstr;
	long long port;

	if (listen[0] == '\0' || colon == NULL ||
	    strparse_num(colon + 1, 0, 65535, &port, &errstr) < 0)
		return -1;
	return (int)port;
}

int
dm_sandbox(const char *conf_path, const struct conf *c, char *text,
    size_t textlen, char *why, size_t whylen)
{
	static const char *const sys_read[] = { "/etc", "/usr", "/lib",
	    "/lib64", "/proc", "/sys", "/run", "/dev/urandom",
	    "/dev/random" };
	struct sandbox_report rep;
	const char *notify = getenv("NOTIFY_SOCKET");
	bool console = c->daemon.web_listen[0] != '\0';
	struct dm_sb *sb;
	size_t i;
	int port, r;

	snprintf(text, textlen, "off");
	if (!c->daemon.sandbox) {
		log_warnx("sandbox off ([daemon] sandbox = no): a flaw in a "
		    "parser of what the hooks, browsers, AD or the API send "
		    "would reach every file this user can");
		return 0;
	}
	sb = calloc(1, sizeof(*sb));
	if (sb == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (i = 0; i < sizeof(sys_read) / sizeof(sys_read[0]); i++)
		(void)sandbox_rules_read(&sb->rules, sys_read[i]);
	(void)sandbox_rules_write(&sb->rules, "/dev/null");
	(void)sandbox_rules_write(&sb->rules, c->sync.state_dir);
	/* SQLite's temporary files (temp_store = FILE): the first of these
	 * that exists. */
	(void)sandbox_rules_write(&sb->rules, "/var/tmp");
	(void)sandbox_rules_write(&sb->rules, "/tmp");
	if (getenv("SQLITE_TMPDIR") != NULL)
		(void)sandbox_rules_write(&sb->rules, getenv("SQLITE_TMPDIR"));
	if (getenv("TMPDIR") != NULL)
		(void)sandbox_rules_write(&sb->rules, getenv("TMPDIR"));
	if (console) {
		dm_sb_write_dir_of(sb, conf_path);
		dm_sb_write_dir_of(sb, c->ad.bind_password_file);
		dm_sb_write_dir_of(sb, c->rackspace.secret_key_file);
	} else {
		dm_sb_read_dir_of(sb, conf_path);
		dm_sb_read_dir_of(sb, c->ad.bind_password_file);
		dm_sb_read_dir_of(sb, c->rackspace.secret_key_file);
	}
	dm_sb_read_dir_of(sb, c->ad.ca_file);
	dm_sb_read_dir_of(sb, c->rackspace.ca_file);
	dm_sb_read_dir_of(sb, c->daemon.web_tls_cert);
	dm_sb_read_dir_of(sb, c->daemon.web_tls_key_file);
	dm_sb_read_dir_of(sb, c->daemon.web_password_file);
	/* A port below 1024 needs CAP_NET_BIND_SERVICE at bind time (the
	 * receiver binds after this): the one capability kept then. */
	if ((port = dm_sb_port(c->daemon.hook_listen)) >= 0) {
		(void)sandbox_rules_bind(&sb->rules, (uint16_t)port);
		sb->rules.keep_net_bind |= port > 0 && port < 1024;
	}
	if ((port = dm_sb_port(c->daemon.web_listen)) >= 0) {
		(void)sandbox_rules_bind(&sb->rules, (uint16_t)port);
		sb->rules.keep_net_bind |= port > 0 && port < 1024;
	}
	/* systemd may hand an abstract notification socket ("@..."). */
	sb->rules.scope_abstract = notify == NULL || notify[0] != '@';
	r = sandbox_apply(&sb->rules, &rep, why, whylen);
	free(sb);
	if (r < 0)
		return r;
	snprintf(text, textlen, "%s", rep.text);
	log_info("sandbox: %s", rep.text);
	return 0;
}

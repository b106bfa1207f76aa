/*
 * adsync hook enroll|revoke|status: the domain controllers' password hooks
 * (docs/pwsync.md). They work on state_dir directly (pki/ and pw.db),
 * whether the daemon runs or not: pw.db takes several writers, and the
 * receiver looks every certificate up in it, so a revocation holds from
 * the next connection. Run them as the user the daemon runs as (the files
 * must stay that user's). Main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "err.h"
#include "pwproto.h"
#include "pwsync.h"
#include "strparse.h"

/* https://NAME:PORT from hook_names (first) or this host, and the port
 * of hook_listen. */
static int
hook_receiver_url(const struct conf *c, char *out, size_t outlen)
{
	char host[256];
	const char *p = c->daemon.hook_names, *w, *colon;
	size_t len;

	if (strparse_word(&p, &w, &len) && len < sizeof(host)) {
		memcpy(host, w, len);
		host[len] = '\0';
	} else if (gethostname(host, sizeof(host)) < 0) {
		return -errno;
	}
	host[sizeof(host) - 1] = '\0';
	colon = strrchr(c->daemon.hook_listen, ':');
	if (colon == NULL) {
		fprintf(stderr, "adsync hook enroll: [daemon] hook_listen is "
		    "empty: this adsync receives no passwords; set it (e.g. "
		    "0.0.0.0:8732) first\n");
		return -ADSYNC_ECONFIG;
	}
	if (snprintf(out, outlen, "https://%s:%s", host, colon + 1) >=
	    (int)outlen)
		return -ENAMETOOLONG;
	return 0;
}

static int
hook_write_file(const char *path, const struct buf *b)
{
	size_t off = 0;
	ssize_t n;
	int fd, r = 0;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -errno;
	while (off < b->len) {
		n = write(fd, b->data + off, b->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlink(path);
	return r;
}

static int
hook_enroll(const struct conf *c, const char *dc, const char *outfile,
    bool rsa)
{
	struct pw_hookfile hf;
	struct pw_db *db = NULL;
	char why[1024], url[512], fp[PW_FP_HEX + 1], def[PW_DC_MAX + 32];
	int64_t not_after;
	struct buf b;
	int r;

	if (!pw_dc_name_ok(dc)) {
		fprintf(stderr, "adsync hook enroll: \"%s\" is not a DC name; "
		    "use the DC's host name (letters, digits, '.', '-', '_', "
		    "at most %d)\n", dc, PW_DC_MAX);
		return 2;
	}
	if (outfile == NULL) {
		snprintf(def, sizeof(def), "%s.adsync-hook", dc);
		outfile = def;
	}
	if (hook_receiver_url(c, url, sizeof(url)) < 0)
		return 1;
	if ((r = pw_pki_ensure(c->sync.state_dir, c->daemon.hook_names, why,
	    sizeof(why))) < 0 || (r = pw_pki_issue(c->sync.state_dir, dc,
	    url, rsa, &hf, fp, &not_after, why, sizeof(why))) < 0) {
		fprintf(stderr, "adsync hook enroll: %s\n", why);
		return 1;
	}
	buf_init(&b, PW_HOOKFILE_MAX);
	if ((r = pw_hookfile_write(&hf, &b)) < 0 ||
	    (r = hook_write_file(outfile, &b)) < 0) {
		fprintf(stderr, "adsync hook enroll: cannot write %s: %s\n",
		    outfile, adsync_strerror(r));
		goto out;
	}
	/* Recorded last: a file that was never written is never valid. */
	if ((r = pw_db_open(c->sync.state_dir, false, &db, why,
	    sizeof(why))) < 0 || (r = pw_db_dc_enroll(db, dc, fp,
	    (int64_t)time(NULL), not_after)) < 0) {
		fprintf(stderr, "adsync hook enroll: cannot record %s in "
		    "pw.db: %s\n", dc, db != NULL ? pw_db_errmsg(db) : why);
		(void)unlink(outfile);
		goto out;
	}
	printf("enrolled %s: hook file %s (mode 0600; it holds the DC's key: "
	    "copy it to the DC as root only, e.g. /etc/adsync/dc.adsync-hook, "
	    "and delete this copy)\n", dc, outfile);
	printf("receiver: %s (certificate fingerprint %.16s...)\n", url, fp);
	printf("On a Samba DC, in the [global] section of smb.conf (domain "
	    "password complexity must be on):\n");
	printf("    check password script = adsync-pwhook -c "
	    "/etc/adsync/dc.adsync-hook\n");
	printf("and run `adsync-pwhook -c /etc/adsync/dc.adsync-hook --sender` as "
	    "a service (adsync-pwhook(8)). On Windows, see "
	    "hooks/windows/README.md.\n");
out:
	pw_db_close(db);
	buf_fini(&b);
	pw_hookfile_fini(&hf);
	return r < 0 ? 1 : 0;
}

static int
hook_revoke(const struct conf *c, const char *dc)
{
	struct pw_db *db = NULL;
	char why[1024];
	int r;

	if ((r = pw_db_open(c->sync.state_dir, false, &db, why,
	    sizeof(why))) < 0) {
		fprintf(stderr, "adsync hook revoke: %s\n", why);
		return 1;
	}
	r = pw_db_dc_revoke(db, dc, (int64_t)time(NULL));
	if (r == -ENOENT)
		fprintf(stderr, "adsync hook revoke: %s is not enrolled (or "
		    "already revoked); `adsync hook status` lists the DCs\n",
		    dc);
	else if (r < 0)
		fprintf(stderr, "adsync hook revoke: %s\n", pw_db_errmsg(db));
	else
		printf("revoked %s: the receiver refuses its certificate from "
		    "now on; enrol it again to let it send\n", dc);
	pw_db_close(db);
	return r < 0 ? 1 : 0;
}

struct hook_list {
	json_t *arr;
	time_t now;
};

static int
hook_status_cb(void *arg, const struct pw_dc *d)
{
	struct hook_list *l = arg;

	json_array_append_new(l->arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:s,s:s}", "dc", d->name, "state", pw_dc_state(d, l->now),
	    "enrolled", (json_int_t)d->enrolled, "expires",
	    (json_int_t)d->not_after, "last_heartbeat",
	    (json_int_t)d->last_heartbeat, "last_change_ms",
	    (json_int_t)d->last_change_ms, "captures",
	    (json_int_t)d->captures, "spooled", (json_int_t)d->spooled,
	    "version", d->version, "fingerprint", d->fingerprint));
	return 0;
}

static void
hook_age(char *out, size_t outlen, int64_t t, time_t now)
{
	if (t <= 0)
		snprintf(out, outlen, "never");
	else if (now - t < 120)
		snprintf(out, outlen, "%llds ago", (long long)(now - t));
	else if (now - t < 7200)
		snprintf(out, outlen, "%lldm ago", (long long)(now - t) / 60);
	else
		snprintf(out, outlen, "%lldh ago", (long long)(now - t) / 3600);
}

static int
hook_status(const struct cli_ctx *ctx, const struct conf *c)
{
	struct hook_list l = { json_array(), time(NULL) };
	struct pw_db *db = NULL;
	char why[1024], hb[32], ch[32];
	uint64_t queued = 0;
	json_t *d;
	size_t i;

	if (pw_db_open(c->sync.state_dir, true, &db, why, sizeof(why)) < 0) {
		fprintf(stderr, "adsync hook status: %s\n", why);
		json_decref(l.arr);
		return 1;
	}
	if (pw_db_dc_each(db, hook_status_cb, &l) < 0 ||
	    pw_db_queue_count(db, &queued) < 0) {
		fprintf(stderr, "adsync hook status: %s\n", pw_db_errmsg(db));
		pw_db_close(db);
		json_decref(l.arr);
		return 1;
	}
	pw_db_close(db);
	if (ctx->json) {
		json_t *root = json_pack("{s:O,s:I}", "dcs", l.arr, "queued",
		    (json_int_t)queued);
		char *s = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;

		printf("%s\n", s != NULL ? s : "{}");
		free(s);
		json_decref(root);
		json_decref(l.arr);
		return 0;
	}
	printf("%-20s %-17s %-12s %-12s %8s %7s  %s\n", "DC", "STATE",
	    "HEARTBEAT", "LAST CHANGE", "CAPTURES", "SPOOLED", "VERSION");
	json_array_foreach(l.arr, i, d) {
		hook_age(hb, sizeof(hb), json_integer_value(json_object_get(d,
		    "last_heartbeat")), l.now);
		hook_age(ch, sizeof(ch), json_integer_value(json_object_get(d,
		    "last_change_ms")) / 1000, l.now);
		printf("%-20s %-17s %-12s %-12s %8lld %7lld  %s\n",
		    json_string_value(json_object_get(d, "dc")),
		    json_string_value(json_object_get(d, "state")), hb, ch,
		    (long long)json_integer_value(json_object_get(d,
		    "captures")), (long long)json_integer_value(
		    json_object_get(d, "spooled")),
		    json_string_value(json_object_get(d, "version")));
	}
	if (json_array_size(l.arr) == 0)
		printf("(no DC enrolled: adsync hook enroll DCNAME)\n");
	printf("password changes queued: %llu\n", (unsigned long long)queued);
	json_decref(l.arr);
	return 0;
}

int
cmd_hook(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ctx c = *ctx;
	const char *verb, *dc = NULL, *outfile = NULL;
	bool rsa = false;
	struct conf *conf = NULL;
	int i, rc;

	if (argc < 2)
		goto usage;
	verb = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c.json = true;
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			outfile = argv[++i];
		else if (strcmp(argv[i], "--rsa") == 0 &&
		    strcmp(verb, "enroll") == 0)
			rsa = true;
		else if (argv[i][0] != '-' && dc == NULL)
			dc = argv[i];
		else
			goto usage;
	}
	if (strcmp(verb, "status") == 0 ? dc != NULL || outfile != NULL :
	    dc == NULL || (outfile != NULL && strcmp(verb, "enroll") != 0))
		goto usage;
	if (strcmp(verb, "enroll") != 0 && strcmp(verb, "revoke") != 0 &&
	    strcmp(verb, "status") != 0)
		goto usage;
	if (cli_conf_load(&c, "hook", &conf) < 0)
		return 1;
	if (strcmp(verb, "enroll") == 0)
		rc = hook_enroll(conf, dc, outfile, rsa);
	else if (strcmp(verb, "revoke") == 0)
		rc = hook_revoke(conf, dc);
	else
		rc = hook_status(&c, conf);
	conf_free(conf);
	return rc;
usage:
	fprintf(stderr, "usage: adsync [-c FILE] hook enroll DCNAME "
	    "[-o OUTFILE] [--rsa] | hook revoke DCNAME | hook status "
	    "[--json]\n");
	return 2;
}

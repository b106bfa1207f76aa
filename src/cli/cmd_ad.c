/*
 * adsync ad dump [--json]   read the directory once and print every user,
 *                           contact and group
 * adsync ad watch [--json]  print each change as it arrives, until SIGINT
 *                           or SIGTERM
 *
 * Both use the [ad] section through src/ldap (ad.h). `ad dump` keeps the
 * snapshot-or-nothing rule: objects are written to an unlinked temporary
 * file as they stream in and copied to stdout only when the read
 * completed; on failure nothing reaches stdout and the exit status is 1.
 * `ad watch` starts from "now" (no full read), wakes on change
 * notifications and reads the changes through DirSync or uSN polling,
 * printing one JSON line per changed object.
 *
 * Main thread only. Trusts argv only to be NUL-terminated; everything
 * printed from the directory is the UTF-8 the model accepted, escaped for
 * JSON (ad_json_str) or with control characters written as \n, \xNN
 * (text).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad.h"
#include "cli.h"
#include "conf.h"
#include "err.h"
#include "log.h"
#include "obj.h"
#include "timing.h"

#define AD_EXIT_FAIL 1
#define AD_EXIT_USAGE 2
/* A progress line on stderr every this many objects. */
#define AD_PROGRESS_EVERY 5000

static volatile sig_atomic_t ad_stop;

static void
ad_on_signal(int sig)
{
	(void)sig;
	ad_stop = 1;
}

/*
 * JSON lines are written directly, value by value, rather than built as a
 * jansson tree and dumped: a group of 80,000 members would otherwise cost
 * tens of megabytes of json_t for one line (docs/ldap.md, "Memory"). The
 * bytes are those of jansson's JSON_COMPACT: `"`, `\` and control
 * characters escaped (\n, \u001F ...), everything else as is. The model
 * holds valid UTF-8 only (obj_value_add checks it), so nothing else needs
 * escaping.
 */
static void
ad_json_str(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *run = s;

	fputc('"', fp);
	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		fwrite(run, 1, (size_t)((const char *)p - run), fp);
		run = (const char *)p + 1;
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\b':
			fputs("\\b", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			fprintf(fp, "\\u%04X", *p);
			break;
		}
	}
	fwrite(run, 1, (size_t)((const char *)p - run), fp);
	fputc('"', fp);
}

/* `,"name":` (no comma before the first member of an object). */
static void
ad_json_key(FILE *fp, bool *first, const char *name)
{
	if (!*first)
		fputc(',', fp);
	*first = false;
	ad_json_str(fp, name);
	fputc(':', fp);
}

static void
ad_json_refs(FILE *fp, bool *first, const char *name,
    const struct obj_refs *refs)
{
	char g[OBJ_GUID_TEXT];
	size_t i;

	ad_json_key(fp, first, name);
	fputc('[', fp);
	for (i = 0; i < refs->n; i++) {
		fputs(i > 0 ? ",{" : "{", fp);
		if (!obj_guid_is_zero(&refs->v[i].guid)) {
			obj_guid_format(&refs->v[i].guid, g);
			fprintf(fp, "\"objectGUID\":\"%s\",", g);
		}
		fputs("\"dn\":", fp);
		ad_json_str(fp, refs->v[i].dn);
		fputc('}', fp);
	}
	fputc(']', fp);
}

/* The object as one line of JSON; `change` NULL for a full read. */
static void
ad_json_obj(FILE *fp, const struct obj *o, const char *change)
{
	const struct obj_attr_desc *ad;
	char g[OBJ_GUID_TEXT];
	bool first = true;
	size_t i, k;

	fputc('{', fp);
	obj_guid_format(&o->guid, g);
	ad_json_key(fp, &first, "objectGUID");
	ad_json_str(fp, g);
	if (change != NULL) {
		ad_json_key(fp, &first, "change");
		ad_json_str(fp, change);
	}
	if (o->dn != NULL) {
		ad_json_key(fp, &first, "dn");
		ad_json_str(fp, o->dn);
	}
	ad_json_key(fp, &first, "objectClass");
	ad_json_str(fp, obj_kind_name(o->kind));
	if (o->deleted) {
		ad_json_key(fp, &first, "isDeleted");
		fputs("true", fp);
	}
	if (o->object_sid != NULL) {
		ad_json_key(fp, &first, "objectSid");
		ad_json_str(fp, o->object_sid);
	}
	if (o->uac != 0) {
		ad_json_key(fp, &first, "userAccountControl");
		fprintf(fp, "%" PRIu32, o->uac);
	}
	if (o->kind == OBJ_GROUP && o->group_type != 0) {
		ad_json_key(fp, &first, "groupType");
		fprintf(fp, "%" PRId32, o->group_type);
	}
	if (o->pwd_last_set != 0) {
		ad_json_key(fp, &first, "pwdLastSet");
		fprintf(fp, "%" PRId64, o->pwd_last_set);
	}
	if (o->when_changed != 0) {
		ad_json_key(fp, &first, "whenChanged");
		fprintf(fp, "%" PRId64, o->when_changed);
	}
	if (o->usn_changed != 0) {
		ad_json_key(fp, &first, "uSNChanged");
		/* As jansson printed it: a signed 64-bit integer. */
		fprintf(fp, "%" PRId64, (int64_t)o->usn_changed);
	}
	for (i = 0; i < OBJ_A_COUNT; i++) {
		ad = obj_attr_desc((enum obj_attr)i);
		if (!(o->present & ((uint64_t)1 << i)))
			continue;
		ad_json_key(fp, &first, ad->ldap);
		if (ad->multi || o->attrs[i].n != 1) {
			fputc('[', fp);
			for (k = 0; k < o->attrs[i].n; k++) {
				if (k > 0)
					fputc(',', fp);
				ad_json_str(fp, o->attrs[i].v[k]);
			}
			fputc(']', fp);
		} else {
			ad_json_str(fp, o->attrs[i].v[0]);
		}
	}
	if (o->member_present)
		ad_json_refs(fp, &first, "member", &o->member);
	if (o->member_of.n > 0)
		ad_json_refs(fp, &first, "memberOf", &o->member_of);
	if (o->member_added.n > 0)
		ad_json_refs(fp, &first, "member_added", &o->member_added);
	if (o->member_removed.n > 0)
		ad_json_refs(fp, &first, "member_removed", &o->member_removed);
	fputs("}\n", fp);
}

/*
 * One "name: value" line. Values may hold line breaks (streetAddress
 * often does) or other control characters: they are written as \n, \r,
 * \t or \xNN, so that one line is one value. Backslashes stay as they
 * are (DNs escape with them); --json is the exact form.
 */
static void
ad_text_line(FILE *fp, const char *name, const char *prefix,
    const char *value)
{
	const unsigned char *p;

	fprintf(fp, "%s: %s", name, prefix);
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\r')
			fputs("\\r", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('\n', fp);
}

static void
ad_text_refs(FILE *fp, const char *name, const struct obj_refs *refs)
{
	char g[OBJ_GUID_TEXT];
	char prefix[OBJ_GUID_TEXT + 10];
	size_t i;

	for (i = 0; i < refs->n; i++) {
		prefix[0] = '\0';
		if (!obj_guid_is_zero(&refs->v[i].guid)) {
			obj_guid_format(&refs->v[i].guid, g);
			snprintf(prefix, sizeof(prefix), "<GUID=%s>;", g);
		}
		ad_text_line(fp, name, prefix, refs->v[i].dn);
	}
}

static void
ad_text_obj(FILE *fp, const struct obj *o, const char *change)
{
	char g[OBJ_GUID_TEXT];
	size_t i, k;

	obj_guid_format(&o->guid, g);
	ad_text_line(fp, "dn", "", o->dn != NULL ? o->dn : "");
	fprintf(fp, "objectGUID: %s\nobjectClass: %s\n", g,
	    obj_kind_name(o->kind));
	if (change != NULL)
		fprintf(fp, "change: %s\n", change);
	if (o->deleted)
		fprintf(fp, "isDeleted: TRUE\n");
	if (o->object_sid != NULL)
		fprintf(fp, "objectSid: %s\n", o->object_sid);
	if (o->uac != 0)
		fprintf(fp, "userAccountControl: %" PRIu32 "\n", o->uac);
	if (o->kind == OBJ_GROUP && o->group_type != 0)
		fprintf(fp, "groupType: %" PRId32 "\n", o->group_type);
	if (o->pwd_last_set != 0)
		fprintf(fp, "pwdLastSet: %" PRId64 "\n", o->pwd_last_set);
	if (o->when_changed != 0)
		fprintf(fp, "whenChanged: %" PRId64 "\n", o->when_changed);
	if (o->usn_changed != 0)
		fprintf(fp, "uSNChanged: %" PRIu64 "\n", o->usn_changed);
	for (i = 0; i < OBJ_A_COUNT; i++)
		for (k = 0; k < o->attrs[i].n; k++)
			ad_text_line(fp, obj_attr_desc((enum obj_attr)i)->ldap,
			    "", o->attrs[i].v[k]);
	ad_text_refs(fp, "member", &o->member);
	ad_text_refs(fp, "memberOf", &o->member_of);
	ad_text_refs(fp, "member_added", &o->member_added);
	ad_text_refs(fp, "member_removed", &o->member_removed);
	fputc('\n', fp);
}

struct ad_out {
	FILE *fp;
	bool json;
	unsigned long count;
	double t0;
	bool progress;
};

/* ad_obj_fn: prints and frees the object. */
static int
ad_print(struct obj *o, enum ad_change change, void *arg)
{
	struct ad_out *out = arg;
	int r = 0;

	if (out->json) {
		ad_json_obj(out->fp, o, ad_change_name(change));
	} else {
		ad_text_obj(out->fp, o, ad_change_name(change));
	}
	obj_free(o);
	if (ferror(out->fp))
		r = -EIO;
	out->count++;
	if (out->progress && out->count % AD_PROGRESS_EVERY == 0)
		fprintf(stderr, "adsync ad dump: %lu objects read (%.1f s)\n",
		    out->count, timing_since(out->t0));
	return r;
}

static int
ad_args(int argc, char **argv, const char *cmd, const struct cli_ctx *ctx,
    bool *json)
{
	int i;

	*json = ctx->json;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*json = true;
			continue;
		}
		fprintf(stderr, "adsync %s: unexpected argument \"%s\"\n"
		    "usage: adsync [-c FILE] %s [--json]\n", cmd, argv[i], cmd);
		return -1;
	}
	return 0;
}

/* Copies the whole of `from` (rewound) to stdout. */
static int
ad_copy_out(FILE *from)
{
	char buf[65536];
	size_t n;

	if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
		return -EIO;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			return -EIO;
	return ferror(from) ? -EIO : 0;
}

int
cmd_ad_dump(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct ad_out out = { .progress = true };
	struct ad_watermark wm;
	struct ad_conn *conn = NULL;
	struct conf *conf = NULL;
	char why[AD_WHY_MAX];
	int r, status = AD_EXIT_FAIL;

	if (ad_args(argc, argv, "ad dump", ctx, &out.json) < 0)
		return AD_EXIT_USAGE;
	if (cli_conf_load(ctx, "ad dump", &conf) < 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);	/* see cmd_ad_watch() */
	out.t0 = timing_now();
	/* Unlinked at once: a partial snapshot never exists as a file. */
	if ((out.fp = tmpfile()) == NULL) {
		fprintf(stderr, "adsync ad dump: cannot create a temporary "
		    "file: %s\n", adsync_strerror(-errno));
		goto out;
	}
	if ((r = ad_conn_new(&conf->ad, &conn, why, sizeof(why))) < 0) {
		fprintf(stderr, "adsync ad dump: %s\n", why);
		goto out;
	}
	if ((r = ad_read_full(conn, ad_print, &out, &wm, why,
	    sizeof(why))) < 0) {
		fprintf(stderr, "adsync ad dump: the read failed after %lu "
		    "objects; nothing printed: %s (%s)\n", out.count, why,
		    adsync_strerror(r));
		goto out;
	}
	if (ad_copy_out(out.fp) < 0) {
		fprintf(stderr, "adsync ad dump: cannot write the output\n");
		goto out;
	}
	log_info("ad dump: %lu objects from %s in %.2f s", out.count,
	    ad_conn_dc(conn), timing_since(out.t0));
	status = 0;
out:
	if (out.fp != NULL)
		fclose(out.fp);
	ad_conn_free(conn);
	conf_free(conf);
	return status;
}

/* Waits up to `ms` for a notification (or sleeps without one), in slices
 * so that a signal is noticed at once. 1: woken, 0: time is up. */
static int
ad_watch_wait(struct ad_notify **n, unsigned ms)
{
	char why[AD_WHY_MAX];
	unsigned waited = 0, slice;
	int r;

	while (!ad_stop && waited < ms) {
		slice = ms - waited < 250 ? ms - waited : 250;
		if (*n != NULL) {
			r = ad_notify_wait(*n, (int)slice, why, sizeof(why));
			if (r > 0) {
				/* bench/ad.sh splits the latency here. */
				log_debug("ad watch: change notified");
				return 1;
			}
			if (r < 0) {
				log_warnx("ad watch: %s; polling every "
				    "poll_interval instead", why);
				ad_notify_close(*n);
				*n = NULL;
			}
		} else {
			usleep(slice * 1000);
		}
		waited += slice;
	}
	return 0;
}

int
cmd_ad_watch(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct ad_out out = { .fp = stdout };
	struct sigaction sa;
	struct ad_watermark wm;
	struct ad_conn *conn = NULL;
	struct ad_notify *n = NULL;
	struct conf *conf = NULL;
	char why[AD_WHY_MAX];
	unsigned backoff = 0;
	int r, status = AD_EXIT_FAIL;

	if (ad_args(argc, argv, "ad watch", ctx, &out.json) < 0)
		return AD_EXIT_USAGE;
	/* Changes are lines of JSON; a text block per change otherwise. */
	out.json = true;
	if (cli_conf_load(ctx, "ad watch", &conf) < 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ad_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A DC that went away must be an error return, not a signal: the
	 * TLS layer writes to the socket without MSG_NOSIGNAL. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if ((r = ad_conn_new(&conf->ad, &conn, why, sizeof(why))) < 0 ||
	    (r = ad_watermark_now(conn, &wm, why, sizeof(why))) < 0) {
		fprintf(stderr, "adsync ad watch: %s\n", why);
		goto out;
	}
	if (conf->ad.notify && (r = ad_notify_open(conn, &n, why,
	    sizeof(why))) < 0)
		log_warnx("ad watch: no change notification (%s); polling "
		    "every %u s", why, conf->ad.poll_interval);
	fprintf(stderr, "adsync ad watch: watching %s (%s, %s); stop with "
	    "Ctrl-C\n", ad_conn_dc(conn), wm.kind == AD_WM_DIRSYNC ?
	    "DirSync" : "uSN polling", n != NULL ? "notification" :
	    "no notification");
	while (!ad_stop) {
		if (backoff > 0)
			ad_watch_wait(&n, backoff * 1000);
		else
			ad_watch_wait(&n, conf->ad.poll_interval * 1000);
		if (ad_stop)
			break;
		r = ad_read_changes(conn, &wm, ad_print, &out, &wm, why,
		    sizeof(why));
		fflush(stdout);
		if (r == -ADSYNC_ERESYNC) {
			log_warnx("ad watch: %s; a full read is needed; "
			    "watching from now on", why);
			r = ad_watermark_now(conn, &wm, why, sizeof(why));
		}
		if (r < 0) {
			backoff = backoff == 0 ? 1 : backoff * 2 > 60 ? 60 :
			    backoff * 2;
			log_warnx("ad watch: %s; trying again in %u s", why,
			    backoff);
			continue;
		}
		backoff = 0;
		if (n == NULL && conf->ad.notify && ad_notify_open(conn, &n,
		    why, sizeof(why)) == 0)
			log_info("ad watch: change notification restored");
	}
	status = 0;
out:
	ad_notify_close(n);
	ad_conn_free(conn);
	conf_free(conf);
	return status;
}

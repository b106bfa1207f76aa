/*
 * Incremental reads with DirSync (1.2.840.113556.1.4.841): the DC returns
 * the objects changed since a cookie, with only the changed attributes,
 * and a new cookie. Runs on the thread that owns the struct ad_conn.
 *
 * Domain facts (measured on Samba 4.17, as AD documents them):
 *  - the search base must be the root of the naming context; objects
 *    outside base_dn are filtered here, and one that left base_dn is
 *    reported as a deletion (it left the synced scope);
 *  - the filter is (objectClass=*) and the kinds we sync are kept here:
 *    Samba answers an objectClass clause by fetching every object of the
 *    class, 3.8 s instead of 0.7 s per read at 100,000 users (ad_filter.c);
 *  - INCREMENTAL_VALUES sends member changes as member;range=1-1 (added)
 *    and member;range=0-0 (removed) instead of the whole list;
 *  - "name", "parentGUID" and "instanceType" come with every entry, so
 *    they mark neither a rename nor a move; objectClass comes only when
 *    the object is new, so its presence marks an add; cn comes only when
 *    it changed, which marks a rename (Samba 4.17 does not send it on a
 *    rename: renames and moves arrive as modify with the new DN and the
 *    same GUID). The kind of a modified object is looked up by GUID;
 *  - deletions come as isDeleted=TRUE with the DN under CN=Deleted Objects;
 *  - without the "Replicating Directory Changes" right the DC answers
 *    insufficientAccessRights; OBJECT_SECURITY then works for objects the
 *    account may read. The flags that worked are remembered per handle;
 *  - a DirSync over a filter that matches nothing still returns a current
 *    cookie: that is how a watermark of "now" is taken cheaply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"

#define AD_DIRSYNC_MAX_BYTES 0	/* the DC's default */
/*
 * A filter that matches nothing, cheaply: the all-zero objectGUID, which no
 * object has, looked up in the objectGUID index. (An objectClass clause
 * would make Samba fetch every object of the class first: 3.5 s at 100,000
 * users, for the watermark taken before every full read and watch.)
 */
#define AD_DIRSYNC_NOTHING "(objectGUID=\\00\\00\\00\\00\\00\\00\\00\\00" \
	"\\00\\00\\00\\00\\00\\00\\00\\00)"
/* Guards against a server that keeps setting continueFlag. */
#define AD_DIRSYNC_MAX_ROUNDS 100000

typedef int ad_dirsync_entry_fn(struct ad_conn *c, LDAPMessage *e,
    void *arg);

/*
 * One DirSync run from `cookie` (may be empty) to the end (continueFlag
 * 0), calling `fn` per entry; the final cookie in *out.
 */
static int
ad_dirsync_run(struct ad_conn *c, const char *filter, const char **attrs,
    const unsigned char *cookie, size_t cookie_len,
    ad_dirsync_entry_fn *fn, void *arg, unsigned char *out, size_t *outlen,
    char *why, size_t whylen)
{
	unsigned char cur[AD_COOKIE_MAX];
	size_t cur_len = cookie_len;
	struct timeval tv = ad_conn_timeout(c);
	LDAPControl *ctrls[3] = { NULL, NULL, NULL }, **rctrls = NULL, *dc;
	LDAPMessage *res = NULL, *e;
	struct berval bv, nc;
	unsigned long rounds = 0;
	long flags;
	int rc, err, more, r = 0;

	if (cookie_len > 0)
		memcpy(cur, cookie, cookie_len);
	flags = c->dirsync_flags >= 0 ? c->dirsync_flags :
	    (long)LDAP_CONTROL_X_DIRSYNC_INCREMENTAL_VALUES;
	do {
		bv.bv_val = (char *)cur;
		bv.bv_len = cur_len;
		rc = ldap_create_dirsync_control(c->ld, (int)flags,
		    AD_DIRSYNC_MAX_BYTES, &bv, &ctrls[0]);
		if (rc == LDAP_SUCCESS)
			rc = ldap_create_extended_dn_control(c->ld, 1,
			    &ctrls[1]);
		if (rc != LDAP_SUCCESS) {
			snprintf(why, whylen, "cannot build the DirSync "
			    "control: %s", ldap_err2string(rc));
			r = -ENOMEM;
			goto out;
		}
		rc = ldap_search_ext_s(c->ld, c->nc, LDAP_SCOPE_SUBTREE,
		    filter, (char **)(uintptr_t)attrs, 0, ctrls, NULL, &tv, 0,
		    &res);
		ldap_control_free(ctrls[0]);
		ldap_control_free(ctrls[1]);
		ctrls[0] = ctrls[1] = NULL;
		if (rc == LDAP_INSUFFICIENT_ACCESS && c->dirsync_flags < 0 &&
		    !(flags & LDAP_CONTROL_X_DIRSYNC_OBJECT_SECURITY)) {
			/* No replication right: ask with object security,
			 * which checks the account's read access instead. */
			log_debug("ad: DirSync refused without "
			    "OBJECT_SECURITY; retrying with it");
			flags |= LDAP_CONTROL_X_DIRSYNC_OBJECT_SECURITY;
			ldap_msgfree(res);
			res = NULL;
			more = 1;
			continue;
		}
		if (rc != LDAP_SUCCESS) {
			r = ad_conn_fail(c, rc, "DirSync", why, whylen);
			/* A cookie the DC does not accept cannot be
			 * continued: a full read is needed. */
			if (cookie_len > 0 && (rc == LDAP_PROTOCOL_ERROR ||
			    rc == LDAP_UNWILLING_TO_PERFORM ||
			    rc == LDAP_OTHER))
				r = -ADSYNC_ERESYNC;
			goto out;
		}
		c->dirsync_flags = flags;
		for (e = ldap_first_entry(c->ld, res); e != NULL;
		    e = ldap_next_entry(c->ld, e))
			if (fn != NULL && (r = fn(c, e, arg)) < 0)
				goto out;
		rc = ldap_parse_result(c->ld, res, &err, NULL, NULL, NULL,
		    &rctrls, 0);
		ldap_msgfree(res);
		res = NULL;
		if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			r = ad_conn_fail(c, rc != LDAP_SUCCESS ? rc : err,
			    "DirSync result", why, whylen);
			goto out;
		}
		dc = ldap_control_find(LDAP_CONTROL_X_DIRSYNC, rctrls, NULL);
		nc.bv_val = NULL;
		nc.bv_len = 0;
		if (dc == NULL || ldap_parse_dirsync_control(c->ld, dc, &more,
		    &nc) != LDAP_SUCCESS) {
			snprintf(why, whylen, "%s: DirSync answer without a "
			    "cookie", c->uris[c->cur]);
			r = -ADSYNC_EPROTO;
			goto out;
		}
		if (nc.bv_len == 0 || nc.bv_len > AD_COOKIE_MAX) {
			ber_memfree(nc.bv_val);
			snprintf(why, whylen, "%s: DirSync cookie of %zu bytes "
			    "(at most %d kept)", c->uris[c->cur],
			    (size_t)nc.bv_len, AD_COOKIE_MAX);
			r = -ADSYNC_ETOOBIG;
			goto out;
		}
		memcpy(cur, nc.bv_val, nc.bv_len);
		cur_len = nc.bv_len;
		ber_memfree(nc.bv_val);
		ldap_controls_free(rctrls);
		rctrls = NULL;
		if (++rounds > AD_DIRSYNC_MAX_ROUNDS) {
			snprintf(why, whylen, "%s: DirSync does not end",
			    c->uris[c->cur]);
			r = -ADSYNC_EPROTO;
			goto out;
		}
	} while (more);
	memcpy(out, cur, cur_len);
	*outlen = cur_len;
out:
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	return r;
}

static void
ad_dirsync_wm(const struct ad_conn *c, struct ad_watermark *wm)
{
	memset(wm, 0, sizeof(*wm));
	wm->kind = AD_WM_DIRSYNC;
	snprintf(wm->dc, sizeof(wm->dc), "%s", c->dc);
	snprintf(wm->invocation_id, sizeof(wm->invocation_id), "%s",
	    c->invocation_id);
	wm->usn = c->highest_usn;
}

int
ad_dirsync_now(struct ad_conn *c, struct ad_watermark *wm, char *why,
    size_t whylen)
{
	static const char *const attrs[] = { "objectGUID", NULL };
	struct ad_watermark now;
	int r;

	ad_dirsync_wm(c, &now);
	r = ad_dirsync_run(c, AD_DIRSYNC_NOTHING,
	    (const char **)(uintptr_t)attrs, NULL, 0, NULL, NULL, now.cookie,
	    &now.cookie_len, why, whylen);
	if (r < 0)
		return r;
	*wm = now;
	return 0;
}

/* True when `dn` is `base` or below it (case-insensitive, as AD is). */
static bool
ad_dirsync_in_base(const char *dn, const char *base)
{
	size_t dl = strlen(dn), bl = strlen(base);

	if (dl < bl || strcasecmp(dn + dl - bl, base) != 0)
		return false;
	return dl == bl || dn[dl - bl - 1] == ',';
}

struct ad_dirsync_ctx {
	ad_obj_fn *fn;
	void *arg;
	char *why;
	size_t whylen;
};

static int
ad_dirsync_entry(struct ad_conn *c, LDAPMessage *e, void *arg)
{
	static const char *const class_attrs[] = { "objectClass", NULL };
	struct ad_dirsync_ctx *x = arg;
	struct ad_decode d, d2;
	enum ad_change ch;
	struct obj *o = NULL;
	bool added, renamed;
	int r;

	if ((r = ad_search_entry(c, e, true, &o, &d, x->why, x->whylen)) < 0)
		return r;
	added = d.has_object_class;
	renamed = (o->present & ((uint64_t)1 << OBJ_A_CN)) != 0;
	if (!o->deleted && !d.has_object_class) {
		/* A modified object: DirSync does not say what it is. */
		ad_decode_init(&d2, false);
		r = ad_search_guid(c, &o->guid,
		    (const char **)(uintptr_t)class_attrs, o, &d2, x->why,
		    x->whylen);
		if (r == -ADSYNC_ENOTFOUND) {
			/* Deleted since: the next read reports it. */
			obj_free(o);
			return 0;
		}
		if (r < 0)
			goto fail;
		d.is_computer = d2.is_computer;
		d.is_fsp = d2.is_fsp;
	}
	/* Not a user, contact or group (the filter is (objectClass=*)): not
	 * ours, except computers and foreignSecurityPrincipals for a reader
	 * that wants them (without attributes: the lookup above decoded
	 * objectClass only, the change the rest). A tombstone whose class
	 * did not come cannot be told apart and is reported; it is matched
	 * by GUID, so one we never synced is nothing to the consumer. */
	if (d.is_computer || d.is_fsp) {
		if (!c->read_others) {
			obj_free(o);
			return 0;
		}
		ad_decode_other(o);
	} else if (o->kind == OBJ_UNKNOWN &&
	    (d.has_object_class || !o->deleted)) {
		obj_free(o);
		return 0;
	}
	o->incremental = true;
	if (o->deleted) {
		ch = AD_CHANGE_DELETE;
	} else if (!ad_dirsync_in_base(o->dn, c->conf->base_dn)) {
		/* Left (or was never in) the synced subtree. */
		o->deleted = true;
		ch = AD_CHANGE_DELETE;
	} else if (added) {
		ch = AD_CHANGE_ADD;
	} else if (renamed) {
		ch = AD_CHANGE_MOVE;
	} else {
		ch = AD_CHANGE_MODIFY;
	}
	return x->fn(o, ch, x->arg);
fail:
	obj_free(o);
	return r;
}

int
ad_dirsync_read(struct ad_conn *c, const struct ad_watermark *in,
    ad_obj_fn *fn, void *arg, struct ad_watermark *out, char *why,
    size_t whylen)
{
	static const char *const extra[] = { "name", "parentGUID", "member" };
	struct ad_dirsync_ctx x = { .fn = fn, .arg = arg, .why = why,
	    .whylen = whylen };
	const char *attrs[AD_ATTRS_MAX + 4];
	struct ad_watermark now;
	size_t n, i;
	int r;

	if (in->cookie_len == 0 || in->cookie_len > AD_COOKIE_MAX) {
		snprintf(why, whylen, "the DirSync watermark has no cookie");
		return -ADSYNC_ERESYNC;
	}
	ad_decode_attrs(attrs, AD_ATTRS_MAX, NULL);
	for (n = 0; attrs[n] != NULL; n++)
		;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		attrs[n++] = extra[i];
	attrs[n] = NULL;
	ad_dirsync_wm(c, &now);
	r = ad_dirsync_run(c, ad_filter_dirsync(), attrs, in->cookie,
	    in->cookie_len, ad_dirsync_entry, &x, now.cookie, &now.cookie_len,
	    why, whylen);
	if (r < 0)
		return r;
	*out = now;
	return 0;
}

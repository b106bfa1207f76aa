/*
 * v1 path routing (see emu_route.h). The tree is small and fixed, so it is
 * matched segment by segment against literals rather than with a table of
 * patterns. Pure; any thread; the path is untrusted.
 */
#include <string.h>

#include "emu_form.h"
#include "emu_route.h"
#include "err.h"

#define EMU_ROUTE_MAX_SEGS 12

struct emu_seg {
	const char *p;	/* raw, not decoded */
	size_t len;
};

static const char *const emu_route_names[EMU_R_COUNT] = {
	[EMU_R_NONE] = "none",
	[EMU_R_CUSTOMER] = "customer",
	[EMU_R_DOMAINS] = "domains",
	[EMU_R_DOMAIN] = "domain",
	[EMU_R_ALTDOMAINS] = "alternatedomains",
	[EMU_R_ALTDOMAIN] = "alternatedomain",
	[EMU_R_RS_MBXS] = "rs_mailboxes",
	[EMU_R_RS_MBX] = "rs_mailbox",
	[EMU_R_RS_ALIASES] = "rs_aliases",
	[EMU_R_RS_ALIAS] = "rs_alias",
	[EMU_R_RS_ALIAS_MEMBER] = "rs_alias_member",
	[EMU_R_EX_MBXS] = "ex_mailboxes",
	[EMU_R_EX_MBX] = "ex_mailbox",
	[EMU_R_EX_MBX_ADDRS] = "ex_mailbox_addresses",
	[EMU_R_EX_MBX_ADDR] = "ex_mailbox_address",
	[EMU_R_EX_CONTACTS] = "ex_contacts",
	[EMU_R_EX_CONTACT] = "ex_contact",
	[EMU_R_EX_DLS] = "ex_distributionlists",
	[EMU_R_EX_DL] = "ex_distributionlist",
	[EMU_R_EX_DL_MEMBERS] = "ex_dl_members",
	[EMU_R_EX_DL_SENDERS] = "ex_dl_senders",
	[EMU_R_EX_DL_ADDRS] = "ex_dl_emailaddresses",
	[EMU_R_EX_DL_ERRORS] = "ex_dl_errors",
};

const char *
emu_route_kind_name(enum emu_route_kind kind)
{
	if ((unsigned)kind >= EMU_R_COUNT)
		return "none";
	return emu_route_names[kind];
}

void
emu_route_split(const char *target, size_t *path_len, const char **query)
{
	const char *q = strchr(target, '?');

	if (q == NULL) {
		*path_len = strlen(target);
		*query = target + *path_len;
	} else {
		*path_len = (size_t)(q - target);
		*query = q + 1;
	}
}

static bool
emu_seg_is(const struct emu_seg *s, const char *lit)
{
	return s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

static int
emu_seg_copy(const struct emu_seg *s, char *out)
{
	int r;

	if ((r = emu_form_unescape_path(s->p, s->len, out,
	    EMU_ROUTE_SEG_MAX)) < 0)
		return r;
	if (out[0] == '\0')
		return -ADSYNC_EPARSE;
	return 0;
}

/* Routes the segments after /v1/customers/{acct}/domains/{dom}. */
static int
emu_route_domain_tail(const struct emu_seg *sg, size_t n, struct emu_route *o)
{
	int r;
	bool rs, ex;

	if (n == 0) {
		o->kind = EMU_R_DOMAIN;
		return 0;
	}
	if (emu_seg_is(&sg[0], "alternatedomains")) {
		if (n == 1) {
			o->kind = EMU_R_ALTDOMAINS;
			return 0;
		}
		if (n != 2)
			return -ADSYNC_ENOTFOUND;
		o->kind = EMU_R_ALTDOMAIN;
		return emu_seg_copy(&sg[1], o->name);
	}
	rs = emu_seg_is(&sg[0], "rs");
	ex = emu_seg_is(&sg[0], "ex");
	if ((!rs && !ex) || n < 2)
		return -ADSYNC_ENOTFOUND;
	if (n >= 3 && (r = emu_seg_copy(&sg[2], o->name)) < 0)
		return r;
	if (rs && emu_seg_is(&sg[1], "mailboxes") && n <= 3) {
		o->kind = n == 2 ? EMU_R_RS_MBXS : EMU_R_RS_MBX;
		return 0;
	}
	if (rs && emu_seg_is(&sg[1], "aliases") && n <= 4) {
		o->kind = n == 2 ? EMU_R_RS_ALIASES : n == 3 ? EMU_R_RS_ALIAS :
		    EMU_R_RS_ALIAS_MEMBER;
		return n == 4 ? emu_seg_copy(&sg[3], o->sub) : 0;
	}
	if (ex && emu_seg_is(&sg[1], "mailboxes")) {
		if (n <= 3) {
			o->kind = n == 2 ? EMU_R_EX_MBXS : EMU_R_EX_MBX;
			return 0;
		}
		if (!emu_seg_is(&sg[3], "emailaddresses") || n > 5)
			return -ADSYNC_ENOTFOUND;
		o->kind = n == 4 ? EMU_R_EX_MBX_ADDRS : EMU_R_EX_MBX_ADDR;
		return n == 5 ? emu_seg_copy(&sg[4], o->sub) : 0;
	}
	if (ex && emu_seg_is(&sg[1], "contacts") && n <= 3) {
		o->kind = n == 2 ? EMU_R_EX_CONTACTS : EMU_R_EX_CONTACT;
		return 0;
	}
	if (ex && emu_seg_is(&sg[1], "distributionlists")) {
		if (n <= 3) {
			o->kind = n == 2 ? EMU_R_EX_DLS : EMU_R_EX_DL;
			return 0;
		}
		if (n != 4)
			return -ADSYNC_ENOTFOUND;
		if (emu_seg_is(&sg[3], "members"))
			o->kind = EMU_R_EX_DL_MEMBERS;
		else if (emu_seg_is(&sg[3], "senders"))
			o->kind = EMU_R_EX_DL_SENDERS;
		else if (emu_seg_is(&sg[3], "emailaddresses"))
			o->kind = EMU_R_EX_DL_ADDRS;
		else if (emu_seg_is(&sg[3], "errors"))
			o->kind = EMU_R_EX_DL_ERRORS;
		else
			return -ADSYNC_ENOTFOUND;
		return 0;
	}
	return -ADSYNC_ENOTFOUND;
}

int
emu_route_parse(const char *path, size_t len, struct emu_route *out)
{
	struct emu_seg sg[EMU_ROUTE_MAX_SEGS];
	struct emu_route o;
	const char *p, *end, *slash;
	size_t n = 0;
	int r;

	if (len <= 1 || path[0] != '/')
		return -ADSYNC_ENOTFOUND;
	/* One trailing slash names the same resource ("mailboxes/"). */
	if (len > 1 && path[len - 1] == '/')
		len--;
	end = path + len;
	for (p = path + 1; p <= end; p = slash + 1) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL)
			slash = end;
		if (slash == p)
			return -ADSYNC_EPARSE;
		if (n == EMU_ROUTE_MAX_SEGS)
			return -ADSYNC_ENOTFOUND;
		sg[n].p = p;
		sg[n].len = (size_t)(slash - p);
		n++;
	}
	memset(&o, 0, sizeof(o));
	if (n < 3 || !emu_seg_is(&sg[0], "v1") ||
	    !emu_seg_is(&sg[1], "customers"))
		return -ADSYNC_ENOTFOUND;
	if ((r = emu_seg_copy(&sg[2], o.acct)) < 0)
		return r;
	if (n == 3) {
		o.kind = EMU_R_CUSTOMER;
		goto done;
	}
	if (!emu_seg_is(&sg[3], "domains"))
		return -ADSYNC_ENOTFOUND;
	if (n == 4) {
		o.kind = EMU_R_DOMAINS;
		goto done;
	}
	if ((r = emu_seg_copy(&sg[4], o.domain)) < 0)
		return r;
	if ((r = emu_route_domain_tail(sg + 5, n - 5, &o)) < 0)
		return r;
done:
	*out = o;
	return 0;
}

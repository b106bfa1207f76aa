/*
 * Fuzz harness: rsemu's routing of a raw request target (emu_route.h):
 * emu_route_split() at the '?', emu_route_parse() of the path, then the
 * query through emu_form_parse(), in the order emu_api_process() runs them.
 * The raw bytes also go to emu_route_parse() as they are, without a
 * terminating NUL, to catch reads past the path.
 *
 * Checked: a routed path names a known kind, and its decoded parts (acct,
 * domain, name, sub) are NUL-terminated inside their arrays and non-empty
 * exactly where the kind has them. Round trip: the path rebuilt from the
 * route, every part percent-encoded in full, routes to the same thing, so
 * routing depends on what a segment says and not on how it was escaped.
 * Single thread; the input is untrusted and capped at 64 KiB (targets
 * longer than EMU_URI_MAX never get this far in rsemu).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_form.h"
#include "emu_route.h"

#define FUZZ_ROUTE_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Which parts a route has, and the segments after the domain. */
#define P_DOM	0x1
#define P_NAME	0x2
#define P_SUB	0x4

struct fuzz_route_shape {
	unsigned parts;
	const char *mid;	/* literal segments before {name}, or NULL */
	const char *tail;	/* literal segments after {name}, or NULL */
};

static const struct fuzz_route_shape fuzz_shapes[EMU_R_COUNT] = {
	[EMU_R_CUSTOMER] = { 0, NULL, NULL },
	[EMU_R_DOMAINS] = { 0, NULL, NULL },
	[EMU_R_DOMAIN] = { P_DOM, NULL, NULL },
	[EMU_R_ALTDOMAINS] = { P_DOM, "alternatedomains", NULL },
	[EMU_R_ALTDOMAIN] = { P_DOM | P_NAME, "alternatedomains", NULL },
	[EMU_R_RS_MBXS] = { P_DOM, "rs/mailboxes", NULL },
	[EMU_R_RS_MBX] = { P_DOM | P_NAME, "rs/mailboxes", NULL },
	[EMU_R_RS_ALIASES] = { P_DOM, "rs/aliases", NULL },
	[EMU_R_RS_ALIAS] = { P_DOM | P_NAME, "rs/aliases", NULL },
	[EMU_R_RS_ALIAS_MEMBER] = { P_DOM | P_NAME | P_SUB, "rs/aliases",
	    NULL },
	[EMU_R_EX_MBXS] = { P_DOM, "ex/mailboxes", NULL },
	[EMU_R_EX_MBX] = { P_DOM | P_NAME, "ex/mailboxes", NULL },
	[EMU_R_EX_MBX_ADDRS] = { P_DOM | P_NAME, "ex/mailboxes",
	    "emailaddresses" },
	[EMU_R_EX_MBX_ADDR] = { P_DOM | P_NAME | P_SUB, "ex/mailboxes",
	    "emailaddresses" },
	[EMU_R_EX_CONTACTS] = { P_DOM, "ex/contacts", NULL },
	[EMU_R_EX_CONTACT] = { P_DOM | P_NAME, "ex/contacts", NULL },
	[EMU_R_EX_DLS] = { P_DOM, "ex/distributionlists", NULL },
	[EMU_R_EX_DL] = { P_DOM | P_NAME, "ex/distributionlists", NULL },
	[EMU_R_EX_DL_MEMBERS] = { P_DOM | P_NAME, "ex/distributionlists",
	    "members" },
	[EMU_R_EX_DL_SENDERS] = { P_DOM | P_NAME, "ex/distributionlists",
	    "senders" },
	[EMU_R_EX_DL_ADDRS] = { P_DOM | P_NAME, "ex/distributionlists",
	    "emailaddresses" },
	[EMU_R_EX_DL_ERRORS] = { P_DOM | P_NAME, "ex/distributionlists",
	    "errors" },
};

/* Part `s` must be NUL-terminated in its array, and empty unless `has`. */
static void
fuzz_part(const char *s, int has)
{
	const char *end = memchr(s, '\0', EMU_ROUTE_SEG_MAX);

	if (end == NULL || (end == s) == (has != 0))
		abort();
}

/* Appends "/" and `s` with every byte percent-encoded. */
static size_t
fuzz_enc(char *out, size_t n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	out[n++] = '/';
	for (; *s != '\0'; s++) {
		out[n++] = '%';
		out[n++] = hex[(unsigned char)*s >> 4];
		out[n++] = hex[(unsigned char)*s & 0xf];
	}
	return n;
}

static size_t
fuzz_lit(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);

	out[n++] = '/';
	memcpy(out + n, s, len);
	return n + len;
}

static void
fuzz_rebuild(const struct emu_route *rt)
{
	/* Four parts of at most 255 bytes, three bytes each, and literals. */
	char path[4 * 3 * EMU_ROUTE_SEG_MAX + 256];
	const struct fuzz_route_shape *sh = &fuzz_shapes[rt->kind];
	struct emu_route again;
	size_t n = 0;

	n = fuzz_lit(path, n, "v1/customers");
	n = fuzz_enc(path, n, rt->acct);
	if (rt->kind != EMU_R_CUSTOMER)
		n = fuzz_lit(path, n, "domains");
	if (sh->parts & P_DOM)
		n = fuzz_enc(path, n, rt->domain);
	if (sh->mid != NULL)
		n = fuzz_lit(path, n, sh->mid);
	if (sh->parts & P_NAME)
		n = fuzz_enc(path, n, rt->name);
	if (sh->tail != NULL)
		n = fuzz_lit(path, n, sh->tail);
	if (sh->parts & P_SUB)
		n = fuzz_enc(path, n, rt->sub);
	if (emu_route_parse(path, n, &again) != 0) {
		fprintf(stderr, "rebuilt path does not route: %.*s\n", (int)n,
		    path);
		abort();
	}
	if (again.kind != rt->kind || strcmp(again.acct, rt->acct) != 0 ||
	    strcmp(again.domain, rt->domain) != 0 ||
	    strcmp(again.name, rt->name) != 0 ||
	    strcmp(again.sub, rt->sub) != 0)
		abort();
}

static void
fuzz_check(const struct emu_route *rt)
{
	const struct fuzz_route_shape *sh;

	if (rt->kind <= EMU_R_NONE || rt->kind >= EMU_R_COUNT ||
	    emu_route_kind_name(rt->kind) == NULL)
		abort();
	sh = &fuzz_shapes[rt->kind];
	fuzz_part(rt->acct, 1);
	fuzz_part(rt->domain, sh->parts & P_DOM);
	fuzz_part(rt->name, sh->parts & P_NAME);
	fuzz_part(rt->sub, sh->parts & P_SUB);
	fuzz_rebuild(rt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_route rt;
	struct emu_form q;
	const char *query;
	char *target, why[256];
	size_t plen;

	if (size > FUZZ_ROUTE_MAX)
		return 0;
	if (emu_route_parse((const char *)data, size, &rt) == 0)
		fuzz_check(&rt);

	/* As rsemu sees it: a C string (MHD stops at a NUL). */
	if ((target = malloc(size + 1)) == NULL)
		abort();
	memcpy(target, data, size);
	target[size] = '\0';
	emu_route_split(target, &plen, &query);
	if (plen > strlen(target) || query < target ||
	    query > target + strlen(target))
		abort();
	if (emu_route_parse(target, plen, &rt) == 0) {
		fuzz_check(&rt);
		if (emu_form_parse(query, strlen(query), &q, why,
		    sizeof(why)) == 0)
			emu_form_fini(&q);
	}
	free(target);
	return 0;
}

/*
 * Path routing for the v1 API: splits a raw request target into path and
 * query and maps the path onto one of the emulated resources. Segments are
 * percent-decoded strictly (emu_form_unescape_path). Pure; any thread; the
 * target is untrusted.
 */
#ifndef EMU_ROUTE_H
#define EMU_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"

#define EMU_ROUTE_SEG_MAX 256	/* bytes of one decoded segment, NUL incl. */
#define EMU_URI_MAX 8192	/* longest request target we accept */

enum emu_route_kind {
	EMU_R_NONE = 0,
	EMU_R_CUSTOMER,		/* /v1/customers/{acct} */
	EMU_R_DOMAINS,		/* .../domains */
	EMU_R_DOMAIN,		/* .../domains/{dom} */
	EMU_R_ALTDOMAINS,	/* .../domains/{dom}/alternatedomains */
	EMU_R_ALTDOMAIN,	/* .../alternatedomains/{name} */
	EMU_R_RS_MBXS,		/* .../rs/mailboxes */
	EMU_R_RS_MBX,		/* .../rs/mailboxes/{name} */
	EMU_R_RS_ALIASES,	/* .../rs/aliases */
	EMU_R_RS_ALIAS,		/* .../rs/aliases/{name} */
	EMU_R_RS_ALIAS_MEMBER,	/* .../rs/aliases/{name}/{sub} */
	EMU_R_EX_MBXS,		/* .../ex/mailboxes */
	EMU_R_EX_MBX,		/* .../ex/mailboxes/{name} */
	EMU_R_EX_MBX_ADDRS,	/* .../ex/mailboxes/{name}/emailaddresses */
	EMU_R_EX_MBX_ADDR,	/* .../emailaddresses/{sub} */
	EMU_R_EX_CONTACTS,	/* .../ex/contacts */
	EMU_R_EX_CONTACT,	/* .../ex/contacts/{name} */
	EMU_R_EX_DLS,		/* .../ex/distributionlists */
	EMU_R_EX_DL,		/* .../ex/distributionlists/{name} */
	EMU_R_EX_DL_MEMBERS,	/* .../{name}/members */
	EMU_R_EX_DL_SENDERS,	/* .../{name}/senders */
	EMU_R_EX_DL_ADDRS,	/* .../{name}/emailaddresses */
	EMU_R_EX_DL_ERRORS,	/* .../{name}/errors */
	EMU_R_COUNT
};

struct emu_route {
	enum emu_route_kind kind;
	char acct[EMU_ROUTE_SEG_MAX];	/* "me" or a number, as sent */
	char domain[EMU_ROUTE_SEG_MAX];	/* "" if none */
	char name[EMU_ROUTE_SEG_MAX];	/* "" if none */
	char sub[EMU_ROUTE_SEG_MAX];	/* "" if none */
};

/*
 * Splits `target` at the first '?': *path_len is the length of the path,
 * *query points into `target` (after the '?', or at the final NUL).
 */
void emu_route_split(const char *target, size_t *path_len /* OUT */,
    const char **query /* OUT */);

/*
 * Routes the raw path `path` (`len` bytes, not decoded). A single trailing
 * '/' is ignored. Returns 0 and *out, -ADSYNC_ENOTFOUND when the path names
 * no emulated resource, -ADSYNC_EPARSE for a bad escape or an empty segment,
 * -ADSYNC_ETOOBIG for an over-long segment.
 */
int emu_route_parse(const char *path, size_t len,
    struct emu_route *out /* OUT */) ATTR_NODISCARD;

/* A stable name for `kind` ("rs_mailbox", ...), for logs and tests. */
const char *emu_route_kind_name(enum emu_route_kind kind);

#endif

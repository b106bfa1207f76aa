/*
 * The [sync] section: what is in scope (one security group per service),
 * which e-mail domains the account may hold, how new mailboxes are sized,
 * where the state lives, how often a safety-net cycle runs, and the guard
 * against mass disables and deletes. The keys feed src/plan and src/sync
 * (docs/sync.md, adsync.conf(5)). Pure data and checks; any thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf_internal.h"
#include "strparse.h"

#define SY(field) offsetof(struct conf, sync.field)

/* "key = value" must stay under libinih's 199 bytes. */
#define SYNC_DN_MAX 170
#define SYNC_DOMAINS_MAX 180
#define SYNC_PATH_MAX 160
/* 1 TiB in MB: above any real plan, below what a typo would give. */
#define SYNC_SIZE_MAX 1048576

/* A DN of a group: no leading or trailing blank, conf_dn_valid(). */
static int
conf_sync_check_group(const char *value, char *why, size_t whylen)
{
	size_t len = strlen(value);

	if (len == 0)
		return 0;
	if (value[0] == ' ' || value[len - 1] == ' ' ||
	    value[len - 1] == '\t') {
		snprintf(why, whylen, "starts or ends with a blank; remove "
		    "it");
		return -1;
	}
	if (!conf_dn_valid(value)) {
		snprintf(why, whylen, "\"%s\" is not a distinguished name; "
		    "write the group's DN, e.g. CN=Hosted Exchange Users,"
		    "OU=Groups,DC=example,DC=test", value);
		return -1;
	}
	return 0;
}

/* One domain name of `len` bytes: labels of [A-Za-z0-9-], dots between,
 * at least two labels, at most 253 bytes. */
static bool
conf_sync_domain_ok(const char *d, size_t len)
{
	size_t i, label = 0, dots = 0;

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			dots++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return dots > 0;
}

static int
conf_sync_check_domains(const char *value, char *why, size_t whylen)
{
	const char *p = value, *q, *d, *o;
	size_t len, olen;

	while (strparse_word(&p, &d, &len)) {
		if (!conf_sync_domain_ok(d, len)) {
			snprintf(why, whylen, "\"%.*s\" is not a domain name; "
			    "list the account's domains separated by spaces, "
			    "e.g. example.com example.net", (int)len, d);
			return -1;
		}
		/* A domain listed twice is a typo somewhere. */
		for (q = value; strparse_word(&q, &o, &olen) && o < d;)
			if (olen == len && strncasecmp(o, d, len) == 0) {
				snprintf(why, whylen, "\"%.*s\" is listed "
				    "twice; list each domain once", (int)len,
				    d);
				return -1;
			}
	}
	return 0;
}

static void
conf_sync_check(const struct conf *conf, struct conf_report *r)
{
	const struct conf_sync *s = &conf->sync;
	bool any = s->exchange_group[0] != '\0' ||
	    s->rackspace_email_group[0] != '\0';

	if (any && s->domains[0] == '\0')
		conf_report_add(r, "domains", "a sync group is set but "
		    "domains is empty; list the account's e-mail domains, e.g. "
		    "domains = example.com example.net");
	if (s->exchange_group[0] != '\0' &&
	    strcasecmp(s->exchange_group, s->rackspace_email_group) == 0)
		conf_report_add(r, "rackspace_email_group", "rackspace_email_group is "
		    "the same group as exchange_group; use one security group per "
		    "service (a user in both would be refused)");
}

static const struct conf_key conf_sync_keys[] = {
	{ .name = "exchange_group", .type = CONF_T_STRING,
	  .offset = SY(exchange_group), .max = SYNC_DN_MAX, .def_str = "",
	  .flags = CONF_F_EMPTY_OK, .check = conf_sync_check_group },
	{ .name = "rackspace_email_group", .type = CONF_T_STRING,
	  .offset = SY(rackspace_email_group), .max = SYNC_DN_MAX,
	  .def_str = "", .flags = CONF_F_EMPTY_OK,
	  .check = conf_sync_check_group },
	{ .name = "domains", .type = CONF_T_STRING, .offset = SY(domains),
	  .max = SYNC_DOMAINS_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK,
	  .check = conf_sync_check_domains },
	{ .name = "sync_proxy_addresses", .type = CONF_T_BOOL,
	  .offset = SY(sync_proxy_addresses), .def_num = 0 },
	{ .name = "exchange_mailbox_size", .type = CONF_T_UINT,
	  .offset = SY(exchange_mailbox_size), .min = 1,
	  .max = SYNC_SIZE_MAX, .def_num = 102400 },
	{ .name = "rackspace_email_mailbox_size", .type = CONF_T_UINT,
	  .offset = SY(rackspace_email_mailbox_size), .min = 1,
	  .max = SYNC_SIZE_MAX, .def_num = 25600 },
	{ .name = "state_dir", .type = CONF_T_PATH, .offset = SY(state_dir),
	  .max = SYNC_PATH_MAX, .def_str = "/var/lib/adsync" },
	/* The safety net between change notifications; 5 minutes is the
	 * seed's cycle and our worst case. */
	{ .name = "interval", .type = CONF_T_UINT, .offset = SY(interval),
	  .min = 5, .max = 86400, .def_num = 300 },
	/* The daily reconcile: a full read and plan, which also sees what
	 * an incremental read cannot (deletions hidden from a non-admin
	 * DirSync account, changes made in the service by hand). */
	{ .name = "full_sync_interval", .type = CONF_T_UINT,
	  .offset = SY(full_sync_interval), .min = 60, .max = 2592000,
	  .def_num = 86400 },
	{ .name = "max_deletes", .type = CONF_T_UINT,
	  .offset = SY(max_deletes), .min = 0, .max = 10000000,
	  .def_num = 500 },
	{ .name = "max_delete_percent", .type = CONF_T_UINT,
	  .offset = SY(max_delete_percent), .min = 0, .max = 100,
	  .def_num = 10 },
};

const struct conf_section conf_sync_section = {
	.name = "sync",
	.keys = conf_sync_keys,
	.nkeys = sizeof(conf_sync_keys) / sizeof(conf_sync_keys[0]),
	.check = conf_sync_check,
};

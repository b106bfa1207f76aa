/*
 * The [rackspace] section: where the API is, which account, which user key,
 * where its secret key lives, and how fast adsync may call the API. The
 * keys feed the client in src/target (docs/rackspace-api.md §1.2, §2, §3).
 * Pure data and checks; any thread. Trusts nothing in the values.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"

#define RS(field) offsetof(struct conf, rackspace.field)

/* Rackspace account numbers are decimal; "me" is the caller's account. */
#define RS_CUSTOMER_MAX 20
/* User keys seen are 20 characters; leave room, but stay short enough for
 * the X-Api-Signature header. */
#define RS_USER_KEY_MAX 128
#define RS_USER_AGENT_MAX 128
#define RS_PATH_MAX 160
#define RS_URL_MAX 160

static int
conf_rackspace_check_customer(const char *value, char *why, size_t whylen)
{
	size_t i, len = strlen(value);

	if (strcmp(value, "me") == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (value[i] < '0' || value[i] > '9')
			break;
	if (len > 0 && i == len && len <= RS_CUSTOMER_MAX)
		return 0;
	snprintf(why, whylen, "\"%s\" is neither \"me\" nor an account "
	    "number (digits only, at most %d); write customer = me, or the "
	    "account number shown in the Control Panel", value,
	    RS_CUSTOMER_MAX);
	return -1;
}

/*
 * The user key is the first field of X-Api-Signature, "KEY:TIME:HASH", so a
 * ':' would make the header ambiguous; spaces and control characters have
 * no place in a header field either.
 */
static int
conf_rackspace_check_user_key(const char *value, char *why, size_t whylen)
{
	const char *p;

	for (p = value; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f) {
			snprintf(why, whylen, "contains a space or a "
			    "character that is not printable ASCII; copy the "
			    "user key again from the Control Panel's API keys "
			    "page");
			return -1;
		}
		if (c == ':') {
			snprintf(why, whylen, "contains ':', which a user key "
			    "never has; copy the user key alone (not "
			    "KEY:SECRET) from the Control Panel's API keys "
			    "page");
			return -1;
		}
	}
	return 0;
}

/*
 * SECURITY: the user agent is sent as a header and hashed into the
 * signature byte for byte; a control character would split the header.
 */
static int
conf_rackspace_check_user_agent(const char *value, char *why, size_t whylen)
{
	const char *p;

	for (p = value; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < ' ' || c >= 0x7f) {
			snprintf(why, whylen, "use printable ASCII characters "
			    "only (it is sent as the User-Agent header)");
			return -1;
		}
	}
	return 0;
}

static void
conf_rackspace_check(const struct conf *conf, struct conf_report *r)
{
	const struct conf_rackspace *rs = &conf->rackspace;

	if (rs->connect_timeout > rs->timeout)
		conf_report_add(r, "connect_timeout", "connect_timeout (%u s) "
		    "is longer than timeout (%u s), which includes "
		    "connecting; lower connect_timeout or raise timeout",
		    rs->connect_timeout, rs->timeout);
}

static const struct conf_key conf_rackspace_keys[] = {
	{ .name = "api_url", .type = CONF_T_STRING, .offset = RS(api_url),
	  .max = RS_URL_MAX, .def_str = "https://api.emailsrvr.com/v1",
	  .check = conf_url_check_http },
	{ .name = "customer", .type = CONF_T_STRING, .offset = RS(customer),
	  .max = RS_CUSTOMER_MAX, .def_str = "me",
	  .check = conf_rackspace_check_customer },
	{ .name = "user_key", .type = CONF_T_STRING, .offset = RS(user_key),
	  .max = RS_USER_KEY_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK,
	  .check = conf_rackspace_check_user_key },
	{ .name = "secret_key_file", .type = CONF_T_PATH,
	  .offset = RS(secret_key_file), .max = RS_PATH_MAX,
	  .def_str = "/etc/adsync/rackspace-secret.key",
	  .flags = CONF_F_SENSITIVE, .needed_if = "user_key" },
	{ .name = "ca_file", .type = CONF_T_PATH, .offset = RS(ca_file),
	  .max = RS_PATH_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK },
	{ .name = "user_agent", .type = CONF_T_STRING,
	  .offset = RS(user_agent), .max = RS_USER_AGENT_MAX,
	  .def_str = "adsync/" ADSYNC_VERSION,
	  .check = conf_rackspace_check_user_agent },
	/* Pacing limits: documented as 60 GET, 30 writes and 2 domain writes
	 * per minute per user key (rackspace-api.md §3.1); later sources
	 * suggest they rose, so the bounds leave room. The high end (a
	 * million) is for an emulator run with --throttle off, where pacing
	 * must not be what is measured. */
	{ .name = "reads_per_minute", .type = CONF_T_UINT,
	  .offset = RS(reads_per_minute), .min = 1, .max = 1000000,
	  .def_num = 60 },
	{ .name = "writes_per_minute", .type = CONF_T_UINT,
	  .offset = RS(writes_per_minute), .min = 1, .max = 1000000,
	  .def_num = 30 },
	{ .name = "domain_writes_per_minute", .type = CONF_T_UINT,
	  .offset = RS(domain_writes_per_minute), .min = 1, .max = 100,
	  .def_num = 2 },
	/* Only a scaled rsemu wants a window other than the API's 60 s. */
	{ .name = "throttle_window", .type = CONF_T_UINT,
	  .offset = RS(throttle_window), .min = 1, .max = 3600,
	  .def_num = 60 },
	{ .name = "timeout", .type = CONF_T_UINT, .offset = RS(timeout),
	  .min = 1, .max = 3600, .def_num = 30 },
	{ .name = "connect_timeout", .type = CONF_T_UINT,
	  .offset = RS(connect_timeout), .min = 1, .max = 600,
	  .def_num = 10 },
	{ .name = "max_retries", .type = CONF_T_UINT,
	  .offset = RS(max_retries), .min = 0, .max = 20, .def_num = 5 },
	{ .name = "max_in_flight", .type = CONF_T_UINT,
	  .offset = RS(max_in_flight), .min = 1, .max = 64, .def_num = 4 },
};

const struct conf_section conf_rackspace_section = {
	.name = "rackspace",
	.keys = conf_rackspace_keys,
	.nkeys = sizeof(conf_rackspace_keys) / sizeof(conf_rackspace_keys[0]),
	.check = conf_rackspace_check,
};

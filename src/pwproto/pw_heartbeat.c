/*
 * The heartbeat payload of POST /v1/heartbeat (docs/pwsync.md): what a hook
 * reports about itself. Pure; any thread; the body is untrusted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "pw_internal.h"
#include "pwproto.h"

static const char *const pw_heartbeat_fields[] = {
	"v", "version", "spooled", "last_change", NULL
};

int
pw_heartbeat_decode(const char *body, size_t len, struct pw_heartbeat *out,
    char *why, size_t whylen)
{
	struct pw_heartbeat h;
	json_t *root = NULL;
	const char *s;
	size_t n;
	long long num;
	int r;

	memset(&h, 0, sizeof(h));
	if ((r = pw_json_load(body, len, &root, why, whylen)) < 0)
		return r;
	if ((r = pw_json_known(root, pw_heartbeat_fields, why, whylen)) < 0)
		goto out;
	r = -EINVAL;
	switch (pw_json_int(root, "v", 1, 1, &num, why, whylen)) {
	case 1:
		break;
	case 0:
		err_why(why, whylen, "v: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}
	switch (pw_json_str(root, "version", PW_VERSION_MAX, true, &s, &n,
	    why, whylen)) {
	case 1:
		memcpy(h.version, s, n);
		break;
	case 0:
		err_why(why, whylen, "version: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}
	switch (pw_json_int(root, "spooled", 0, INT64_MAX, &num, why,
	    whylen)) {
	case 1:
		h.spooled = (uint64_t)num;
		break;
	case 0:
		err_why(why, whylen, "spooled: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}
	switch (pw_json_int(root, "last_change", 0, PW_TIME_MS_MAX, &num, why,
	    whylen)) {
	case 1:
		h.last_change_ms = num;
		break;
	case 0:
		err_why(why, whylen, "last_change: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}
	*out = h;
	r = 0;
out:
	json_decref(root);
	return r;
}

int
pw_heartbeat_encode(const struct pw_heartbeat *h, struct buf *b)
{
	size_t vl = strnlen(h->version, sizeof(h->version));
	int r;

	if (vl == 0 || vl > PW_VERSION_MAX || !pw_utf8_ok(h->version, vl) ||
	    !pw_nocntrl(h->version, vl) || h->spooled > INT64_MAX ||
	    h->last_change_ms < 0 || h->last_change_ms > PW_TIME_MS_MAX)
		return -EINVAL;
	if ((r = buf_printf(b, "{\"v\":%d,\"version\":", PW_PROTO_VERSION)) < 0 ||
	    (r = pw_json_add_str(b, h->version, vl)) < 0)
		return r;
	return buf_printf(b, ",\"spooled\":%llu,\"last_change\":%lld}",
	    (unsigned long long)h->spooled, (long long)h->last_change_ms);
}

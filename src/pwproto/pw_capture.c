/*
 * The capture payload of POST /v1/password (docs/pwsync.md "The wire
 * protocol"): strict decoder for the receiver, encoder for the hooks. Pure;
 * any thread. The body comes from a DC over mutual TLS, but is still
 * untrusted: every field is typed and bounded, unknown fields refused.
 * SECURITY: the password is copied only into a struct secret (or the
 * caller's buf on encode), and jansson's copy is wiped before it is freed;
 * messages name fields, never values.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "pw_internal.h"
#include "pwproto.h"
#include "strparse.h"

static const char *const pw_source_names[PW_SRC_COUNT] = {
	[PW_SRC_CHECK_PASSWORD] = "check-password",
	[PW_SRC_SYNCPASSWORDS] = "syncpasswords",
	[PW_SRC_PASSWORDFILTER] = "passwordfilter",
	[PW_SRC_NOTIFY] = "notify",
};

static const char *const pw_capture_fields[] = {
	"v", "id", "source", "committed", "account", "upn", "guid", "sid",
	"password", "captured", NULL
};

const char *
pw_source_name(enum pw_source s)
{
	if ((int)s < 0 || s >= PW_SRC_COUNT)
		return "?";
	return pw_source_names[s];
}

void
pw_capture_new_id(char id[PW_ID_LEN + 1])
{
	unsigned char rnd[PW_ID_LEN / 2];

	/* sodium_init() may run any number of times; randombytes needs it
	 * to pick its source once. */
	if (sodium_init() < 0) {
		/* Cannot happen on Linux (getrandom or /dev/urandom); an id
		 * must never repeat, so stop rather than send a weak one. */
		abort();
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, PW_ID_LEN + 1, rnd, sizeof(rnd));
}

static bool
pw_id_ok(const char *s, size_t len)
{
	size_t i;

	if (len != PW_ID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * objectSid in SDDL text: "S-1-" IdentifierAuthority then 1..15
 * sub-authorities, each a 32-bit decimal; no leading zeros, no signs. The
 * authority is 48 bits (printed in decimal below 2^32, which is every
 * value AD uses).
 */
static bool
pw_sid_ok(const char *s, size_t len)
{
	char part[24];
	const char *p = s, *end = s + len, *dash;
	long long v;
	const char *errstr;
	size_t n, count = 0;

	if (len < 6 || strncmp(s, "S-1-", 4) != 0)
		return false;
	p += 4;
	for (;;) {
		dash = memchr(p, '-', (size_t)(end - p));
		n = (size_t)((dash != NULL ? dash : end) - p);
		if (n == 0 || n >= sizeof(part) || (n > 1 && p[0] == '0') ||
		    p[0] < '0' || p[0] > '9')
			return false;
		memcpy(part, p, n);
		part[n] = '\0';
		if (strparse_num(part, 0, count == 0 ? 0xffffffffffffLL :
		    0xffffffffLL, &v, &errstr) != 0)
			return false;
		count++;
		if (dash == NULL)
			break;
		p = dash + 1;
	}
	/* The authority plus 1..15 sub-authorities. */
	return count >= 2 && count <= 16;
}

static int
pw_capture_source(const char *s, size_t len, enum pw_source *out)
{
	int i;

	for (i = 0; i < PW_SRC_COUNT; i++)
		if (strlen(pw_source_names[i]) == len &&
		    memcmp(pw_source_names[i], s, len) == 0) {
			*out = (enum pw_source)i;
			return 0;
		}
	return -EINVAL;
}

int
pw_capture_decode(const char *body, size_t len, struct pw_capture *out,
    char *why, size_t whylen)
{
	json_t *root = NULL, *v;
	const char *s;
	size_t n, i;
	long long num;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pw_json_load(body, len, &root, why, whylen)) < 0)
		return r;
	if ((r = pw_json_known(root, pw_capture_fields, why, whylen)) < 0)
		goto out;
	r = -EINVAL;

	if (pw_json_int(root, "v", 1, 1, &num, why, whylen) != 1) {
		if (json_object_get(root, "v") == NULL)
			err_why(why, whylen, "v: missing");
		else if (json_is_integer(json_object_get(root, "v")))
			err_why(why, whylen, "v: unsupported protocol version "
			    "(this receiver speaks %d)", PW_PROTO_VERSION);
		goto out;
	}

	switch (pw_json_str(root, "id", 64, true, &s, &n, why, whylen)) {
	case 1:
		if (!pw_id_ok(s, n)) {
			err_why(why, whylen, "id: not %d lowercase hex digits",
			    PW_ID_LEN);
			goto out;
		}
		memcpy(out->id, s, n);
		break;
	case 0:
		err_why(why, whylen, "id: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}

	switch (pw_json_str(root, "source", 32, true, &s, &n, why, whylen)) {
	case 1:
		if (pw_capture_source(s, n, &out->source) < 0) {
			err_why(why, whylen, "source: unknown source");
			goto out;
		}
		break;
	case 0:
		err_why(why, whylen, "source: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}

	if ((v = json_object_get(root, "committed")) == NULL) {
		err_why(why, whylen, "committed: missing");
		goto out;
	}
	if (!json_is_boolean(v)) {
		err_why(why, whylen, "committed: not a boolean");
		goto out;
	}
	out->committed = json_is_true(v);

	if ((r = pw_json_str(root, "account", PW_ACCOUNT_MAX, true, &s, &n,
	    why, whylen)) < 0)
		goto out;
	if (r == 1)
		memcpy(out->account, s, n);
	if ((r = pw_json_str(root, "upn", PW_ACCOUNT_MAX, true, &s, &n, why,
	    whylen)) < 0)
		goto out;
	if (r == 1)
		memcpy(out->upn, s, n);
	r = -EINVAL;
	if (out->account[0] == '\0' && out->upn[0] == '\0') {
		err_why(why, whylen, "account: missing (and no upn)");
		goto out;
	}

	switch (pw_json_str(root, "guid", 64, true, &s, &n, why, whylen)) {
	case 1:
		if (n != 36 || !pw_guid_ok(s)) {
			err_why(why, whylen, "guid: not 8-4-4-4-12 hex");
			goto out;
		}
		/* Windows hooks print GUIDs in upper case; keep one form. */
		for (i = 0; i < n; i++)
			out->guid[i] = (s[i] >= 'A' && s[i] <= 'F') ?
			    (char)(s[i] - 'A' + 'a') : s[i];
		break;
	case 0:
		break;
	default:
		goto out;
	}

	switch (pw_json_str(root, "sid", sizeof(out->sid) - 1, true, &s, &n,
	    why, whylen)) {
	case 1:
		if (!pw_sid_ok(s, n)) {
			err_why(why, whylen, "sid: not S-1-A-S1[-S2...]");
			goto out;
		}
		memcpy(out->sid, s, n);
		break;
	case 0:
		break;
	default:
		goto out;
	}

	switch (pw_json_int(root, "captured", 1, PW_TIME_MS_MAX, &num, why,
	    whylen)) {
	case 1:
		out->captured_ms = num;
		break;
	case 0:
		err_why(why, whylen, "captured: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}

	/* The password last, so that no other check runs after it is copied.
	 * pw_json_str's messages for it name only the field. */
	switch (pw_json_str(root, "password", PW_PASSWORD_MAX, false, &s, &n,
	    why, whylen)) {
	case 1:
		break;
	case 0:
		err_why(why, whylen, "password: missing");
		/* FALLTHROUGH */
	default:
		goto out;
	}
	if ((out->password = secret_new(s, n, "password")) == NULL) {
		r = -ENOMEM;
		err_why(why, whylen, "password: out of memory");
		goto out;
	}
	r = 0;
out:
	/* SECURITY: wipe jansson's copy of the password. The value belongs
	 * to `root` alone (reference count 1) and is about to be freed, so
	 * writing through the const pointer is safe. */
	if ((v = json_object_get(root, "password")) != NULL &&
	    json_is_string(v))
		sodium_memzero((void *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
	json_decref(root);
	if (r < 0)
		pw_capture_fini(out);
	return r;
}

/* The checks of the decoder, for the encoder: what we send must be what a
 * receiver accepts. */
static int
pw_capture_valid(const struct pw_capture *c)
{
	const unsigned char *pw;
	size_t al, ul, pl;

	if (!pw_id_ok(c->id, strnlen(c->id, sizeof(c->id))))
		return -EINVAL;
	if ((int)c->source < 0 || c->source >= PW_SRC_COUNT)
		return -EINVAL;
	al = strnlen(c->account, sizeof(c->account));
	ul = strnlen(c->upn, sizeof(c->upn));
	if (al > PW_ACCOUNT_MAX || ul > PW_ACCOUNT_MAX || (al == 0 && ul == 0))
		return -EINVAL;
	if (!pw_utf8_ok(c->account, al) || !pw_nocntrl(c->account, al) ||
	    !pw_utf8_ok(c->upn, ul) || !pw_nocntrl(c->upn, ul))
		return -EINVAL;
	if (c->guid[0] != '\0' && (strnlen(c->guid, sizeof(c->guid)) != 36 ||
	    !pw_guid_ok(c->guid)))
		return -EINVAL;
	if (c->sid[0] != '\0' && !pw_sid_ok(c->sid, strnlen(c->sid,
	    sizeof(c->sid))))
		return -EINVAL;
	if (c->captured_ms < 1 || c->captured_ms > PW_TIME_MS_MAX)
		return -EINVAL;
	if (c->password == NULL)
		return -EINVAL;
	pw = secret_bytes(c->password, &pl);
	if (pl == 0 || pl > PW_PASSWORD_MAX ||
	    !pw_utf8_ok((const char *)pw, pl))
		return -EINVAL;
	return 0;
}

int
pw_capture_encode(const struct pw_capture *c, struct buf *b)
{
	const unsigned char *pw;
	size_t pl;
	int r;

	if ((r = pw_capture_valid(c)) < 0)
		return r;
	pw = secret_bytes(c->password, &pl);
	if ((r = buf_printf(b, "{\"v\":%d,\"id\":\"%s\",\"source\":\"%s\","
	    "\"committed\":%s", PW_PROTO_VERSION, c->id,
	    pw_source_name(c->source), c->committed ? "true" : "false")) < 0)
		return r;
	if (c->account[0] != '\0' && ((r = buf_addstr(b, ",\"account\":")) < 0 ||
	    (r = pw_json_add_str(b, c->account, strlen(c->account))) < 0))
		return r;
	if (c->upn[0] != '\0' && ((r = buf_addstr(b, ",\"upn\":")) < 0 ||
	    (r = pw_json_add_str(b, c->upn, strlen(c->upn))) < 0))
		return r;
	if (c->guid[0] != '\0' && (r = buf_printf(b, ",\"guid\":\"%s\"",
	    c->guid)) < 0)
		return r;
	if (c->sid[0] != '\0' && (r = buf_printf(b, ",\"sid\":\"%s\"",
	    c->sid)) < 0)
		return r;
	if ((r = buf_addstr(b, ",\"password\":")) < 0 ||
	    (r = pw_json_add_str(b, (const char *)pw, pl)) < 0)
		return r;
	return buf_printf(b, ",\"captured\":%lld}", (long long)c->captured_ms);
}

void
pw_capture_fini(struct pw_capture *c)
{
	secret_free(c->password);
	sodium_memzero(c, sizeof(*c));
}

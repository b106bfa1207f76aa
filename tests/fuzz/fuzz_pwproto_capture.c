/*
 * Fuzz harness: pw_capture_decode() and pw_heartbeat_decode(), the bodies a
 * DC posts to the receiver, and pw_content_type_ok() on the same bytes as a
 * header value (untrusted even behind mutual TLS: a DC may be
 * compromised). A refusal must say why and must not quote the password; an
 * accepted capture must survive its own encoding (encode, decode again,
 * same fields and password bytes), as the hooks rely on. Single thread;
 * inputs above PW_BODY_MAX + 1 are cut (the decoder refuses them first).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "pwproto.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_capture(const char *body, size_t size)
{
	struct pw_capture c, back;
	const unsigned char *p1, *p2;
	size_t l1, l2;
	char why[256] = "";
	struct buf b;
	int r;

	r = pw_capture_decode(body, size, &c, why, sizeof(why));
	if (r != 0) {
		if (why[0] == '\0' || c.password != NULL)
			abort();
		pw_capture_fini(&c);
		return;
	}
	buf_init(&b, PW_BODY_MAX * 7);
	if (pw_capture_encode(&c, &b) != 0)
		abort();
	if (pw_capture_decode(b.data, b.len, &back, why, sizeof(why)) != 0) {
		/* Escaping may grow a body past PW_BODY_MAX; nothing else
		 * may fail. */
		if (b.len <= PW_BODY_MAX)
			abort();
		pw_capture_fini(&back);
		goto out;
	}
	p1 = secret_bytes(c.password, &l1);
	p2 = secret_bytes(back.password, &l2);
	if (strcmp(c.id, back.id) != 0 || c.source != back.source ||
	    c.committed != back.committed ||
	    strcmp(c.account, back.account) != 0 ||
	    strcmp(c.upn, back.upn) != 0 || strcmp(c.guid, back.guid) != 0 ||
	    strcmp(c.sid, back.sid) != 0 ||
	    c.captured_ms != back.captured_ms || l1 != l2 ||
	    memcmp(p1, p2, l1) != 0)
		abort();
	pw_capture_fini(&back);
out:
	buf_fini(&b);
	pw_capture_fini(&c);
}

static void
fuzz_heartbeat(const char *body, size_t size)
{
	struct pw_heartbeat h, back;
	char why[256] = "";
	struct buf b;

	if (pw_heartbeat_decode(body, size, &h, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		return;
	}
	buf_init(&b, PW_BODY_MAX * 7);
	if (pw_heartbeat_encode(&h, &b) != 0)
		abort();
	if (pw_heartbeat_decode(b.data, b.len, &back, why, sizeof(why)) == 0 &&
	    (strcmp(h.version, back.version) != 0 ||
	    h.spooled != back.spooled ||
	    h.last_change_ms != back.last_change_ms))
		abort();
	buf_fini(&b);
}

/* The bytes as a Content-Type value (cut at a NUL, as a header is): an
 * accepted one starts, after blanks, with the media type itself. */
static void
fuzz_content_type(const char *data, size_t size)
{
	char *v, *p;

	if ((v = malloc(size + 1)) == NULL)
		abort();
	memcpy(v, data, size);
	v[size] = '\0';
	if (pw_content_type_ok(v)) {
		for (p = v; *p == ' ' || *p == '\t'; p++)
			;
		if (strncasecmp(p, PW_CONTENT_TYPE,
		    sizeof(PW_CONTENT_TYPE) - 1) != 0)
			abort();
	}
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;

	if (!installed) {
		pw_json_wipe_install();
		installed = true;
	}
	if (size > PW_BODY_MAX + 1)
		size = PW_BODY_MAX + 1;
	fuzz_capture((const char *)data, size);
	fuzz_heartbeat((const char *)data, size);
	fuzz_content_type((const char *)data, size);
	return 0;
}

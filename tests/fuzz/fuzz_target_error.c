/*
 * Fuzz harness: rs_error_decode(), which turns a failed answer of the API
 * (status, x-error-message header, body: JSON fault, text or nothing) into
 * a struct rs_error, and rs_error_format(), which prints it for logs. It is
 * declared in target_internal.h, the module's test interface.
 *
 * Input: "STATUS\nHEADER\nBODY". STATUS is an optional '-' and up to ten
 * digits (anything else counts as 0); an empty HEADER line means no
 * x-error-message header; BODY is the rest, passed without a terminating
 * NUL as libcurl hands it over. Checked: the code returned is the code
 * stored, and always an error; the status is kept; every text field is
 * NUL-terminated inside its array and free of control characters, so a
 * hostile server cannot forge log lines; the exact throttle message on a
 * 403 is recognised; the formatted text fits any buffer. Single thread; the
 * input is untrusted and capped at 64 KiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "target_internal.h"

#define FUZZ_ERROR_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The length of the line at p (up to '\n' or end). */
static size_t
fuzz_line(const char *p, size_t left)
{
	const char *nl = memchr(p, '\n', left);

	return nl != NULL ? (size_t)(nl - p) : left;
}

static long
fuzz_status(const char *p, size_t len)
{
	long v = 0;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && p[0] == '-') {
		neg = 1;
		i++;
	}
	if (len - i == 0 || len - i > 10)
		return 0;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return neg ? -v : v;
}

static void
fuzz_check_text(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);
	const char *p;

	if (end == NULL)
		abort();
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outlens[] = { 1, 2, 16, 64, 1024 };
	const char *p = (const char *)data, *body;
	struct rs_error e;
	char *xmsg = NULL, out[1024];
	size_t n, left = size, blen, i;
	long status;
	int code;

	if (size > FUZZ_ERROR_MAX)
		return 0;
	n = fuzz_line(p, left);
	status = fuzz_status(p, n);
	p += n;
	left -= n;
	if (left > 0) {
		p++;
		left--;
		n = fuzz_line(p, left);
		if (n > 0) {
			if ((xmsg = malloc(n + 1)) == NULL)
				abort();
			memcpy(xmsg, p, n);
			xmsg[n] = '\0';
		}
		p += n;
		left -= n;
		if (left > 0) {
			p++;
			left--;
		}
	}
	body = p;
	blen = left;

	memset(&e, 0xa5, sizeof(e));	/* decode must set everything */
	code = rs_error_decode(status, xmsg, body, blen, &e);
	if (code != e.code || code >= 0 || e.http_status != status)
		abort();
	fuzz_check_text(e.fault, sizeof(e.fault));
	fuzz_check_text(e.message, sizeof(e.message));
	fuzz_check_text(e.resource_type, sizeof(e.resource_type));
	if (e.message[0] == '\0')
		abort();	/* at least "HTTP <status>" */
	if (status == 403 && xmsg != NULL &&
	    strcmp(xmsg, "Exceeded request limits") == 0 &&
	    code != -ADSYNC_ETHROTTLED)
		abort();
	if ((status == 401 || (status == 403 && code != -ADSYNC_ETHROTTLED)) &&
	    code != -ADSYNC_EAUTH)
		abort();
	if (status == 404 && code != -ADSYNC_ENOTFOUND)
		abort();
	if ((status < 400 || status > 599) && code != -ADSYNC_EPROTO)
		abort();

	for (i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++) {
		memset(out, 'x', sizeof(out));
		rs_error_format(&e, out, outlens[i]);
		if (memchr(out, '\0', outlens[i]) == NULL)
			abort();
	}
	free(xmsg);
	return 0;
}

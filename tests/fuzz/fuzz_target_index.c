/*
 * Fuzz harness: the API client's Index readers, which turn the pages of a
 * listing from the network into records (target.h): offset paging
 * (rs_op_list_offset behind rs_domain_list, rs_mailbox_list,
 * rs_alias_list, ex_mailbox_list, ex_contact_list: the array, "total" and
 * "size"), marker paging (ex_dl_list: NextMarker, or the last name of a
 * full page) and a list's provisioning errors (ex_dl_errors). Their
 * decoding is interleaved with the HTTP calls, so the harness links with
 * -Wl,--wrap=rs_client_call,--wrap=rs_client_customer (tests/fuzz/
 * decoders.cmake): the wrapped call answers each GET with the next page of
 * the input, and with an error once the input has no page left, which
 * also ends any paging loop.
 *
 * Input: byte 0 picks the reader (modulo FUZZ_INDEX_OPS, in the order of
 * fuzz_index_ops below: 'A' domains ... 'G' list errors in the corpus);
 * the rest is the pages, separated by lines "%%". A page is passed without
 * a terminating NUL in resp->body's length, as libcurl hands it over
 * (the body itself is NUL-terminated, as rs_response promises).
 *
 * Checked: every request is a GET of the reader's own path, under
 * customer "me"; offset paging asks for offsets that only grow; no reader
 * asks for a page after being told "error" (it stops); a listing that
 * succeeds read at least one page and gives at most RS_RECORDS_MAX records
 * whose fields keep target.h's promises (names [A-Za-z0-9_.-] of
 * 1..RS_FIELD_NAME_MAX, no name twice, values within RS_FIELD_VALUE_MAX);
 * a failure has an error code and a message. Single thread; the input is
 * untrusted and capped at 256 KiB. FUZZ_TRACE=1 in the environment prints
 * every request, for work on the corpus.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "target.h"
#include "target_internal.h"

#define FUZZ_INDEX_MAX (256 * 1024)
#define FUZZ_INDEX_PAGES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The wrapped functions (the real ones are __real_*, unused). */
int __wrap_rs_client_call(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp, struct rs_error *err);
const char *__wrap_rs_client_customer(const struct rs_client *c);

struct fuzz_index_page {
	const char *p;
	size_t len;
};

/* The session of one input: its pages and what was asked. */
static struct {
	struct fuzz_index_page pages[FUZZ_INDEX_PAGES];
	size_t npages;
	size_t next;		/* pages served */
	size_t calls;		/* requests made */
	const char *prefix;	/* every path starts so */
	long long last_offset;	/* -1 before the first offset page */
	bool failed;		/* answered with an error */
} fuzz_index;

/* Any non-NULL pointer: the wrapped functions never look inside. */
static char fuzz_index_client;

static int
fuzz_list_domains(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return rs_domain_list(c, out, err);
}

static int
fuzz_list_rs_mailboxes(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	static const struct rs_list_opts opts = { "size,enabled", 1 };

	return rs_mailbox_list(c, "example.com", &opts, out, err);
}

static int
fuzz_list_rs_aliases(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return rs_alias_list(c, "example.com", out, err);
}

static int
fuzz_list_ex_mailboxes(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return ex_mailbox_list(c, "example.com", NULL, out, err);
}

static int
fuzz_list_ex_contacts(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return ex_contact_list(c, "example.com", out, err);
}

static int
fuzz_list_ex_dls(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return ex_dl_list(c, "example.com", out, err);
}

static int
fuzz_list_ex_dl_errors(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return ex_dl_errors(c, "example.com", "sales", out, err);
}

static const struct {
	int (*fn)(struct rs_client *, struct rs_records *, struct rs_error *);
	const char *prefix;
	bool offset;		/* offset paging: "offset=N" in the query */
} fuzz_index_ops[] = {
	{ fuzz_list_domains, "/customers/me/domains?", true },
	{ fuzz_list_rs_mailboxes,
	  "/customers/me/domains/example.com/rs/mailboxes?", true },
	{ fuzz_list_rs_aliases,
	  "/customers/me/domains/example.com/rs/aliases?", true },
	{ fuzz_list_ex_mailboxes,
	  "/customers/me/domains/example.com/ex/mailboxes?", true },
	{ fuzz_list_ex_contacts,
	  "/customers/me/domains/example.com/ex/contacts?", true },
	{ fuzz_list_ex_dls,
	  "/customers/me/domains/example.com/ex/distributionlists?", false },
	{ fuzz_list_ex_dl_errors,
	  "/customers/me/domains/example.com/ex/distributionlists/sales/"
	  "errors", false },
};
#define FUZZ_INDEX_OPS (sizeof(fuzz_index_ops) / sizeof(fuzz_index_ops[0]))

const char *
__wrap_rs_client_customer(const struct rs_client *c)
{
	if (c != (const void *)&fuzz_index_client)
		abort();
	return "me";
}

/* The value of "offset=" in the query of `path`, or -1. */
static long long
fuzz_index_offset(const char *path)
{
	const char *q = strchr(path, '?'), *p;
	long long v = 0;

	if (q == NULL)
		return -1;
	for (p = q; (p = strstr(p, "offset=")) != NULL; p++) {
		if (p[-1] != '?' && p[-1] != '&')
			continue;
		for (p += 7; *p >= '0' && *p <= '9'; p++) {
			/* Exact: an offset up to INT64_MAX is the client's
			 * right (found by make fuzz: 9223372036854775806 was
			 * taken for an overflow). */
			if (v > (INT64_MAX - (*p - '0')) / 10)
				abort();	/* more than an int64 */
			v = v * 10 + (*p - '0');
		}
		return v;
	}
	return -1;
}

int
__wrap_rs_client_call(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp, struct rs_error *err)
{
	const struct fuzz_index_page *pg;
	const char *path;
	long long off;

	if (c != (void *)&fuzz_index_client || req == NULL || resp == NULL ||
	    fuzz_index.failed)
		abort();	/* asked again after an error */
	fuzz_index.calls++;
	path = rs_request_path(req);
	if (getenv("FUZZ_TRACE") != NULL)
		fprintf(stderr, "GET %s -> page %zu of %zu\n", path,
		    fuzz_index.next, fuzz_index.npages);
	if (rs_request_method(req) != RS_GET ||
	    strncmp(path, fuzz_index.prefix, strlen(fuzz_index.prefix)) != 0)
		abort();
	if ((off = fuzz_index_offset(path)) >= 0) {
		if (off <= fuzz_index.last_offset)
			abort();	/* would loop */
		fuzz_index.last_offset = off;
	}
	rs_request_free(req);
	memset(resp, 0, sizeof(*resp));
	resp->attempts = 1;
	if (fuzz_index.next >= fuzz_index.npages) {
		fuzz_index.failed = true;
		resp->body = NULL;
		rs_error_set(err, -ADSYNC_ETRANSPORT, "fuzz: no more pages");
		return -ADSYNC_ETRANSPORT;
	}
	pg = &fuzz_index.pages[fuzz_index.next++];
	if ((resp->body = malloc(pg->len + 1)) == NULL)
		abort();
	memcpy(resp->body, pg->p, pg->len);
	resp->body[pg->len] = '\0';
	resp->body_len = pg->len;
	resp->http_status = 200;
	return 0;
}

static bool
fuzz_index_name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > RS_FIELD_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-'))
			return false;
	}
	return true;
}

static void
fuzz_index_check(const struct rs_records *rs)
{
	const struct rs_record *r;
	size_t k, i, j;

	if (rs->n > RS_RECORDS_MAX || rs->n > rs->cap)
		abort();
	for (k = 0; k < rs->n; k++) {
		r = &rs->v[k];
		if (r->n > RS_RECORD_MAX_FIELDS || r->n > r->cap)
			abort();
		for (i = 0; i < r->n; i++) {
			if (r->v[i].name == NULL || r->v[i].value == NULL ||
			    !fuzz_index_name_ok(r->v[i].name) ||
			    strlen(r->v[i].value) > RS_FIELD_VALUE_MAX)
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(r->v[i].name, r->v[j].name) == 0)
					abort();
		}
	}
}

/* Splits data[0..size) at lines "%%" into fuzz_index.pages. */
static void
fuzz_index_split(const char *p, size_t size)
{
	const char *end = p + size, *line = p, *nl, *start = p;

	fuzz_index.npages = 0;
	while (line <= end && fuzz_index.npages < FUZZ_INDEX_PAGES) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		if (nl - line == 2 && line[0] == '%' && line[1] == '%') {
			fuzz_index.pages[fuzz_index.npages].p = start;
			/* The page's own last newline belongs to it. */
			fuzz_index.pages[fuzz_index.npages++].len =
			    (size_t)(line - start);
			start = nl < end ? nl + 1 : end;
		}
		if (nl == end)
			break;
		line = nl + 1;
	}
	if (fuzz_index.npages < FUZZ_INDEX_PAGES && start < end) {
		fuzz_index.pages[fuzz_index.npages].p = start;
		fuzz_index.pages[fuzz_index.npages++].len =
		    (size_t)(end - start);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_records out;
	struct rs_error err;
	size_t op;
	int r;

	if (size < 1 || size > FUZZ_INDEX_MAX)
		return 0;
	/* 'A' is the first reader, whatever the number of readers. */
	op = (data[0] + FUZZ_INDEX_OPS - 'A' % FUZZ_INDEX_OPS) %
	    FUZZ_INDEX_OPS;
	memset(&fuzz_index, 0, sizeof(fuzz_index));
	fuzz_index.prefix = fuzz_index_ops[op].prefix;
	fuzz_index.last_offset = -1;
	fuzz_index_split((const char *)data + 1, size - 1);

	rs_records_init(&out);
	rs_error_clear(&err);
	r = fuzz_index_ops[op].fn((struct rs_client *)(void *)
	    &fuzz_index_client, &out, &err);
	if (fuzz_index.calls == 0)
		abort();	/* not one page asked for */
	if (fuzz_index_ops[op].offset && fuzz_index.last_offset < 0)
		abort();	/* offset paging without an offset */
	if (r == 0)
		fuzz_index_check(&out);
	else if (r > 0 || err.code != r || err.message[0] == '\0')
		abort();
	rs_records_fini(&out);
	return 0;
}

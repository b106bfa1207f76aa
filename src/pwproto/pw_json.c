/*
 * JSON plumbing of the payload decoders and encoders: loading with errors
 * that never quote the input, typed field access, string output, and the
 * wiping allocator for jansson. Pure except pw_json_wipe_install(), which
 * sets jansson's process-wide allocator (main, before threads).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "pw_internal.h"
#include "pwproto.h"

static void *
pw_json_malloc(size_t n)
{
	return malloc(n);
}

static void
pw_json_free(void *p)
{
	/* SECURITY: jansson frees token buffers and string values that held
	 * a password without clearing them; clear the whole block. */
	if (p != NULL)
		sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

void
pw_json_wipe_install(void)
{
	json_set_alloc_funcs(pw_json_malloc, pw_json_free);
}

int
pw_json_add_str(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	unsigned char c;
	char esc[7];
	int r;

	if ((r = buf_addc(b, '"')) < 0)
		return r;
	/* Copy runs of plain bytes at once; escape '"', '\\' and controls. */
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		if (i > run && (r = buf_add(b, s + run, i - run)) < 0)
			return r;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			esc[2] = '\0';
			break;
		case '\n':
			memcpy(esc + 1, "n", 2);
			break;
		case '\r':
			memcpy(esc + 1, "r", 2);
			break;
		case '\t':
			memcpy(esc + 1, "t", 2);
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			esc[6] = '\0';
			break;
		}
		r = buf_addstr(b, esc);
		sodium_memzero(esc, sizeof(esc));
		if (r < 0)
			return r;
	}
	if (len > run && (r = buf_add(b, s + run, len - run)) < 0)
		return r;
	return buf_addc(b, '"');
}

int
pw_json_load(const char *body, size_t len, json_t **out, char *why,
    size_t whylen)
{
	json_error_t err;
	json_t *root;

	if (len > PW_BODY_MAX) {
		err_why(why, whylen, "body: larger than %d bytes", PW_BODY_MAX);
		return -E2BIG;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		/* SECURITY: err.text quotes the token near the error, which
		 * may be (part of) the password: report only its kind and
		 * position. */
		switch (json_error_code(&err)) {
		case json_error_out_of_memory:
			err_why(why, whylen, "body: out of memory");
			return -ENOMEM;
		case json_error_duplicate_key:
			err_why(why, whylen, "body: duplicate field at line "
			    "%d, column %d", err.line, err.column);
			break;
		case json_error_invalid_utf8:
			err_why(why, whylen, "body: invalid UTF-8 at line %d, "
			    "column %d", err.line, err.column);
			break;
		case json_error_end_of_input_expected:
			err_why(why, whylen, "body: trailing data after the "
			    "object at line %d, column %d", err.line,
			    err.column);
			break;
		case json_error_null_character:
		case json_error_null_byte_in_key:
			err_why(why, whylen, "body: NUL character at line %d, "
			    "column %d", err.line, err.column);
			break;
		default:
			err_why(why, whylen, "body: malformed JSON at line %d, "
			    "column %d", err.line, err.column);
			break;
		}
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		err_why(why, whylen, "body: not a JSON object");
		return -EINVAL;
	}
	*out = root;
	return 0;
}

/* A key is quoted in a message only when it is plainly a field name. */
static bool
pw_json_key_printable(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_-", k[i]) == NULL)
			return false;
	return true;
}

int
pw_json_known(json_t *obj, const char *const *allowed, char *why,
    size_t whylen)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		if (pw_json_key_printable(key))
			err_why(why, whylen, "%s: unknown field", key);
		else
			err_why(why, whylen, "unknown field (name not shown)");
		return -EINVAL;
	}
	return 0;
}

int
pw_json_str(json_t *obj, const char *name, size_t max, bool name_like,
    const char **s, size_t *len, char *why, size_t whylen)
{
	json_t *v = json_object_get(obj, name);
	size_t n;

	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		err_why(why, whylen, "%s: not a string", name);
		return -EINVAL;
	}
	n = json_string_length(v);
	if (n == 0) {
		err_why(why, whylen, "%s: empty", name);
		return -EINVAL;
	}
	if (n > max) {
		err_why(why, whylen, "%s: longer than %zu bytes", name, max);
		return -EINVAL;
	}
	if (name_like && !pw_nocntrl(json_string_value(v), n)) {
		err_why(why, whylen, "%s: control character", name);
		return -EINVAL;
	}
	*s = json_string_value(v);
	*len = n;
	return 1;
}

int
pw_json_int(json_t *obj, const char *name, long long min, long long max,
    long long *out, char *why, size_t whylen)
{
	json_t *v = json_object_get(obj, name);
	long long n;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v)) {
		err_why(why, whylen, "%s: not an integer", name);
		return -EINVAL;
	}
	n = (long long)json_integer_value(v);
	if (n < min || n > max) {
		err_why(why, whylen, "%s: out of range [%lld, %lld]", name, min,
		    max);
		return -EINVAL;
	}
	*out = n;
	return 1;
}

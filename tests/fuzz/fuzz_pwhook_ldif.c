/*
 * Fuzz harness: pwhook_ldif_parse() (hooks/samba/pwhook_ldif.c), the
 * decoder of the LDIF record `samba-tool user syncpasswords --script`
 * pipes to adsync-pwhook on a DC: folding, base64 values, the objectGUID
 * (text or 16 raw bytes), the names, pwdLastSet and the cleartext
 * password. The source is linked directly, as the unit test of
 * hooks/samba does.
 *
 * Checked: a refusal says why and leaves no password behind (that it
 * never quotes one is seen in the source: the only text it formats in is
 * one of the five attribute names); an accepted record has
 * NUL-terminated names free of control characters, a GUID that is empty
 * or 36 characters of lower-case 8-4-4-4-12 hex, a password of
 * 1..PW_PASSWORD_MAX bytes or none; and it survives a round trip: the
 * record written back as LDIF (the GUID as text, the names and the
 * password in base64, folded at 76 columns) parses to the same values.
 * Single thread; inputs are capped at PWHOOK_LDIF_MAX + 1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "pwhook.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_ldif_text_ok(const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);
	const char *p;

	if (end == NULL)
		abort();
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

static void
fuzz_ldif_guid_ok(const char *g)
{
	size_t i;

	if (g[0] == '\0')
		return;
	if (strlen(g) != 36)
		abort();
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (g[i] != '-')
				abort();
		} else if (!((g[i] >= '0' && g[i] <= '9') ||
		    (g[i] >= 'a' && g[i] <= 'f'))) {
			abort();
		}
	}
}

/* Appends "NAME: VALUE\n" (or "NAME:: base64\n"), folded at 76 columns. */
static void
fuzz_ldif_line(struct buf *b, const char *name, const unsigned char *v,
    size_t len, bool b64)
{
	char *enc = NULL;
	const char *s;
	size_t slen, i, col;

	if (b64) {
		slen = sodium_base64_ENCODED_LEN(len,
		    sodium_base64_VARIANT_ORIGINAL);
		if ((enc = malloc(slen)) == NULL)
			abort();
		sodium_bin2base64(enc, slen, v, len,
		    sodium_base64_VARIANT_ORIGINAL);
		s = enc;
		slen = strlen(enc);
	} else {
		s = (const char *)v;
		slen = len;
	}
	if (buf_printf(b, "%s:%s ", name, b64 ? ":" : "") != 0)
		abort();
	col = strlen(name) + (b64 ? 3 : 2);
	for (i = 0; i < slen; i++) {
		if (col == 76) {
			if (buf_add(b, "\n ", 2) != 0)
				abort();
			col = 1;
		}
		if (buf_addc(b, s[i]) != 0)
			abort();
		col++;
	}
	if (buf_addc(b, '\n') != 0)
		abort();
	if (enc != NULL) {
		sodium_memzero(enc, strlen(enc));
		free(enc);
	}
}

static bool
fuzz_ldif_has_text(const char *s)
{
	return s[0] != '\0';
}

/* Writes `l` back as LDIF, parses it, and compares. */
static void
fuzz_ldif_roundtrip(const struct pwhook_ldif *l)
{
	struct pwhook_ldif back;
	const unsigned char *p1, *p2;
	size_t l1, l2;
	char why[256] = "";
	struct buf b;

	buf_init(&b, 4 * PWHOOK_LDIF_MAX);
	if (buf_addstr(&b, "dn: CN=fuzz,CN=Users,DC=example,DC=test\n") != 0)
		abort();
	/* Names go in base64: as text, one starting with a space, ':' or
	 * '<' would not be a SAFE-STRING (RFC 2849). */
	if (fuzz_ldif_has_text(l->guid))
		fuzz_ldif_line(&b, "objectGUID", (const unsigned char *)l->guid,
		    strlen(l->guid), false);
	if (fuzz_ldif_has_text(l->account))
		fuzz_ldif_line(&b, "sAMAccountName",
		    (const unsigned char *)l->account, strlen(l->account),
		    true);
	if (fuzz_ldif_has_text(l->upn))
		fuzz_ldif_line(&b, "userPrincipalName",
		    (const unsigned char *)l->upn, strlen(l->upn), true);
	if (l->password != NULL) {
		p1 = secret_bytes(l->password, &l1);
		fuzz_ldif_line(&b, "virtualClearTextUTF8", p1, l1, true);
	}
	if (pwhook_ldif_parse(b.data, b.len, &back, why, sizeof(why)) != 0) {
		fprintf(stderr, "an accepted record does not parse again: "
		    "%s\n", why);
		abort();
	}
	if (strcmp(back.account, l->account) != 0 ||
	    strcmp(back.upn, l->upn) != 0 || strcmp(back.guid, l->guid) != 0 ||
	    (back.password == NULL) != (l->password == NULL))
		abort();
	if (l->password != NULL) {
		p1 = secret_bytes(l->password, &l1);
		p2 = secret_bytes(back.password, &l2);
		if (l1 != l2 || memcmp(p1, p2, l1) != 0)
			abort();
	}
	pwhook_ldif_fini(&back);
	buf_reset(&b);
	buf_fini(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct pwhook_ldif l;
	char why[256];
	size_t plen;

	if (size > PWHOOK_LDIF_MAX + 1)
		size = PWHOOK_LDIF_MAX + 1;
	why[0] = '\0';
	if (pwhook_ldif_parse(text, size, &l, why, sizeof(why)) != 0) {
		if (why[0] == '\0' || l.password != NULL)
			abort();
		pwhook_ldif_fini(&l);
		return 0;
	}
	fuzz_ldif_text_ok(l.account, sizeof(l.account));
	fuzz_ldif_text_ok(l.upn, sizeof(l.upn));
	fuzz_ldif_text_ok(l.guid, sizeof(l.guid));
	fuzz_ldif_guid_ok(l.guid);
	if (l.password != NULL) {
		(void)secret_bytes(l.password, &plen);
		if (plen == 0 || plen > PW_PASSWORD_MAX)
			abort();
	}
	fuzz_ldif_roundtrip(&l);
	pwhook_ldif_fini(&l);
	return 0;
}

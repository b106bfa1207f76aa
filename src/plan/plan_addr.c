/*
 * Addresses, names and domains: what a directory value must look like to
 * become a URL segment (mailbox and list names) or an address the service
 * accepts, and the account's domains from [sync] domains. Pure; the
 * build's thread. The values come from AD, typed by administrators (or by
 * someone hostile): nothing that fails here reaches a request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"
#include "strparse.h"

#define PLAN_ADDR_MAX 254	/* RFC 5321 path without the brackets */

static char
plan_addr_lc(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ASCII only: strcasecmp follows the locale. */
static bool
plan_addr_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (plan_addr_lc(*a) != plan_addr_lc(*b))
			return false;
	return *a == *b;
}

char *
plan_addr_lower_to(char *d, const char *s)
{
	for (; *s != '\0'; s++)
		*d++ = plan_addr_lc(*s);
	*d++ = '\0';
	return d;
}

char *
plan_addr_lower(const char *s)
{
	char *d = malloc(strlen(s) + 1);

	if (d != NULL)
		(void)plan_addr_lower_to(d, s);
	return d;
}

/*
 * The mailbox name is the URL segment of the mailbox (rackspace-api.md
 * §5.1: "the local part only"; its character set is [UNKNOWN]). We accept
 * the dot-atom letters Control-Panel names use in practice: letters,
 * digits, '.', '_', '\'', '+', '-', 1 to 64 of them, no dot at either end
 * and no two dots in a row (RFC 5322 dot-atom). Anything else would be
 * guessed by the service or refused after a wasted call.
 */
bool
plan_addr_name_ok(const char *name, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > PLAN_NAME_MAX || name[0] == '.' ||
	    name[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		c = name[i];
		if (c == '.' && name[i + 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '\'' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* A domain part without blanks, '@' or control characters. Whether it is
 * one of ours is checked separately ("Not authorized"). */
static bool
plan_addr_domain_syntax(const char *d)
{
	const unsigned char *p;

	if (*d == '\0')
		return false;
	for (p = (const unsigned char *)d; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '@')
			return false;
	return true;
}

int
plan_addr_split(const char *mail, char **name, char **domain)
{
	const char *at;
	char *n, *d;

	if (mail == NULL || strlen(mail) > PLAN_ADDR_MAX ||
	    (at = strchr(mail, '@')) == NULL ||
	    !plan_addr_name_ok(mail, (size_t)(at - mail)) ||
	    !plan_addr_domain_syntax(at + 1))
		return 0;
	if ((n = strndup(mail, (size_t)(at - mail))) == NULL)
		return -ENOMEM;
	if ((d = plan_addr_lower(at + 1)) == NULL) {
		free(n);
		return -ENOMEM;
	}
	for (char *p = n; *p != '\0'; p++)
		*p = plan_addr_lc(*p);
	*name = n;
	*domain = d;
	return 1;
}

bool
plan_addr_external_ok(const char *s)
{
	const unsigned char *p;
	const char *at;
	size_t len = strlen(s);

	if (len == 0 || len > PLAN_ADDR_MAX || (at = strchr(s, '@')) == NULL ||
	    at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    (size_t)(at - s) > PLAN_NAME_MAX)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool
plan_addr_domain_ok(const struct plan_ctx *ctx, const char *domain)
{
	size_t i;

	for (i = 0; i < ctx->ndomains; i++)
		if (plan_addr_eq(ctx->domains[i], domain))
			return true;
	return false;
}

int
plan_addr_domains(struct plan_ctx *ctx)
{
	const char *p = ctx->conf->domains != NULL ? ctx->conf->domains : "";
	const char *w;
	char **nv, *d;
	size_t len, total = 1, i;

	while (strparse_word(&p, &w, &len)) {
		if ((d = strndup(w, len)) == NULL)
			return -ENOMEM;
		for (char *q = d; *q != '\0'; q++)
			*q = plan_addr_lc(*q);
		nv = reallocarray(ctx->domains, ctx->ndomains + 1,
		    sizeof(*nv));
		if (nv == NULL) {
			free(d);
			return -ENOMEM;
		}
		ctx->domains = nv;
		ctx->domains[ctx->ndomains++] = d;
		total += strlen(d) + 2;
	}
	/* "example.com, example.net" for messages; "none" when empty. */
	if ((ctx->domain_list = malloc(total + 4)) == NULL)
		return -ENOMEM;
	ctx->domain_list[0] = '\0';
	len = 0;
	for (i = 0; i < ctx->ndomains; i++)
		len += (size_t)snprintf(ctx->domain_list + len, total + 4 - len,
		    "%s%s", i > 0 ? ", " : "", ctx->domains[i]);
	if (ctx->ndomains == 0)
		snprintf(ctx->domain_list, total + 4, "none");
	return 0;
}

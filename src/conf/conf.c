/*
 * The configuration engine: reads adsync.conf with libinih, driven by the
 * keyword table of conf_internal.h. Called from the main thread at start-up
 * and by `adsync check`; any thread may call it, and it keeps no global
 * state. Trusts nothing in the file: every line is checked here before
 * libinih sees it, and every value against its key's type and bounds.
 *
 * libinih 55 (Debian 12) shapes this file:
 *  - its handler gets no line number, so the file is fed through
 *    ini_parse_stream() with our own reader, which counts lines; the
 *    handler runs right after the reader returned its line, so the
 *    reader's count is the handler's line;
 *  - it truncates lines of 200 bytes or more and section names over 49
 *    characters without saying so, and reports only the first syntax
 *    error: the reader therefore checks each line itself (length, bytes,
 *    syntax, section name), reports every problem, and hands inih an empty
 *    line in place of a bad one, which keeps the line count right;
 *  - an indented line after a key continues that key's value; we refuse
 *    indented lines instead of guessing what was meant.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_internal.h"
#include "diag.h"
#include "err.h"
#include "secret.h"
#include "strparse.h"
#include "utf8.h"
#include "xmalloc.h"

const struct conf_section *const conf_sections[] = {
	&conf_ad_section,
	&conf_rackspace_section,
	&conf_sync_section,
	&conf_daemon_section,
};
const size_t conf_nsections = sizeof(conf_sections) / sizeof(conf_sections[0]);

/* Section state of the reader: an index into conf_sections, or these. */
#define CONF_SECT_NONE		((size_t)-1)	/* before any [section] */
#define CONF_SECT_UNKNOWN	((size_t)-2)	/* in a refused section */

struct conf_parser {
	const char *buf;
	size_t len;
	size_t pos;
	const char *name;	/* labels diagnostics */
	unsigned lineno;	/* of the line last handed to inih */
	struct diag *diag;
	unsigned errors;	/* diagnostics this parse added */
	struct conf *conf;	/* owned until taken */
	size_t sect;		/* current section, or CONF_SECT_* */
	unsigned *sect_line;	/* per section: line of its header, 0 none */
	size_t *key_base;	/* per section: index of its first key */
	unsigned *key_line;	/* per key: line that set it, 0 default */
	bool *key_bad;		/* per key: its value was refused */
};

/* Inline secrets are recognised by these exact names first... */
static const char *const conf_secret_names[] = {
	"secret", "secret_key", "password", "passwd", "pass", "pwd",
	"bind_password", "bindpw", "api_key", "apikey", "api_secret",
	"token", "private_key", "credentials",
};
/* ...then, unless the name is a likely typo of a known key, by these. */
static const char *const conf_secret_words[] = {
	"secret", "password", "passwd", "token", "private_key",
};

static void conf_error(struct conf_parser *p, unsigned line,
    const char *fmt, ...) ATTR_PRINTF(3, 4);

static void
conf_error(struct conf_parser *p, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(p->diag, p->name, line, "%s", msg);
	p->errors++;
}

static char **
conf_str_field(struct conf *conf, const struct conf_key *k)
{
	return (char **)(void *)((char *)conf + k->offset);
}

static unsigned *
conf_uint_field(struct conf *conf, const struct conf_key *k)
{
	return (unsigned *)(void *)((char *)conf + k->offset);
}

static bool *
conf_bool_field(struct conf *conf, const struct conf_key *k)
{
	return (bool *)(void *)((char *)conf + k->offset);
}

static const struct conf_key *
conf_key_find(const struct conf_section *s, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &s->keys[i];
		}
	return NULL;
}

/* Edit distance, case-insensitive; long names are not compared. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t row[65];		/* one row of the edit-distance matrix */
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t i, j, diag, up;

	if (la >= sizeof(row) / sizeof(row[0]) ||
	    lb >= sizeof(row) / sizeof(row[0]))
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

const char *
conf_suggest(const char *name, const char *const *known, size_t n)
{
	size_t i, d, best = (size_t)-1, len = strlen(name), limit;
	const char *found = NULL;

	/* Short names are close to everything: allow fewer edits. */
	limit = len >= 8 ? 3 : len >= 4 ? 2 : 1;
	for (i = 0; i < n; i++) {
		d = conf_distance(name, known[i]);
		if (d <= limit && d < best) {
			best = d;
			found = known[i];
		}
	}
	return found;
}

static const char *
conf_suggest_key(const struct conf_section *s, const char *name)
{
	const char *known[64];
	size_t i, n = 0;

	for (i = 0; i < s->nkeys && n < sizeof(known) / sizeof(known[0]); i++)
		known[n++] = s->keys[i].name;
	return conf_suggest(name, known, n);
}

static bool
conf_name_in(const char *name, const char *const *list, size_t n, bool sub)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (sub ? strcasestr(name, list[i]) != NULL :
		    strcasecmp(name, list[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Names the *_file key that should hold the secret `name` would hold: the
 * key "<name>_file" of the section, else its only sensitive key.
 */
static void
conf_secret_advice(const struct conf_section *s, const char *name,
    char *out, size_t outlen)
{
	const struct conf_key *found = NULL;
	char want[96];
	size_t i, nsens = 0;

	snprintf(out, outlen, "the matching *_file key");
	if (s == NULL)
		return;
	snprintf(want, sizeof(want), "%s_file", name);
	if ((found = conf_key_find(s, want, NULL)) == NULL)
		for (i = 0; i < s->nkeys; i++)
			if (s->keys[i].flags & CONF_F_SENSITIVE) {
				found = &s->keys[i];
				nsens++;
			}
	if (found != NULL && nsens <= 1)
		snprintf(out, outlen, "%s", found->name);
}

/*
 * SECURITY: a secret written inline would be readable by whoever may read
 * the configuration, and would travel with every copy of it. The message
 * never repeats the value.
 */
static void
conf_error_inline_secret(struct conf_parser *p, const struct conf_section *s,
    const char *name)
{
	char advice[128];

	conf_secret_advice(s, name, advice, sizeof(advice));
	conf_error(p, p->lineno, "\"%s\" would hold a secret in this file: "
	    "secrets are never written in adsync.conf; put it in a file with "
	    "mode 0600 and set %s", name, advice);
}

static void
conf_error_unknown_key(struct conf_parser *p, const struct conf_section *s,
    const char *name)
{
	const char *sugg;
	size_t i;

	if (conf_name_in(name, conf_secret_names, sizeof(conf_secret_names) /
	    sizeof(conf_secret_names[0]), false)) {
		conf_error_inline_secret(p, s, name);
		return;
	}
	if ((sugg = conf_suggest_key(s, name)) != NULL) {
		conf_error(p, p->lineno, "unknown key \"%s\" in [%s]; did you "
		    "mean %s?", name, s->name, sugg);
		return;
	}
	if (conf_name_in(name, conf_secret_words, sizeof(conf_secret_words) /
	    sizeof(conf_secret_words[0]), true)) {
		conf_error_inline_secret(p, s, name);
		return;
	}
	for (i = 0; i < conf_nsections; i++)
		if (conf_sections[i] != s &&
		    conf_key_find(conf_sections[i], name, NULL) != NULL) {
			conf_error(p, p->lineno, "key %s belongs in [%s], not "
			    "in [%s]; move it", name, conf_sections[i]->name,
			    s->name);
			return;
		}
	conf_error(p, p->lineno, "unknown key \"%s\" in [%s]; see "
	    "adsync.conf(5) for the keys of [%s]", name, s->name, s->name);
}

static void
conf_error_outside(struct conf_parser *p, const char *name)
{
	size_t i;

	if (conf_name_in(name, conf_secret_names, sizeof(conf_secret_names) /
	    sizeof(conf_secret_names[0]), false)) {
		conf_error_inline_secret(p, NULL, name);
		return;
	}
	for (i = 0; i < conf_nsections; i++)
		if (conf_key_find(conf_sections[i], name, NULL) != NULL) {
			conf_error(p, p->lineno, "key %s comes before any "
			    "section; put it under [%s]", name,
			    conf_sections[i]->name);
			return;
		}
	conf_error(p, p->lineno, "key \"%s\" comes before any section; put "
	    "it under the section it belongs to (see adsync.conf(5))", name);
}

/*
 * Checks and stores one value. Returns 0, or -1 after reporting; the field
 * then keeps its default.
 */
static int
conf_set(struct conf_parser *p, const struct conf_key *k, const char *value)
{
	char why[512];
	const char *errstr = NULL;
	long long v;
	size_t len = strlen(value), i;
	char **sp;

	/* inih keeps quotes; a quoted path or URL would never work. */
	if (len >= 2 && (value[0] == '"' || value[0] == '\'') &&
	    value[len - 1] == value[0]) {
		conf_error(p, p->lineno, "%s: remove the quotes; values are "
		    "taken as written, quotes included", k->name);
		return -1;
	}
	/* "key =;x" keeps ";x", but the dump's "key = ;x" would read as a
	 * comment: refuse it so that every value survives a dump. */
	if (value[0] == ';') {
		conf_error(p, p->lineno, "%s: a value cannot start with ';' "
		    "(it would read as a comment)", k->name);
		return -1;
	}
	switch (k->type) {
	case CONF_T_UINT:
		if (len == 0) {
			conf_error(p, p->lineno, "%s: no value; give a whole "
			    "number from %lld to %lld, or remove the line for "
			    "the default (%lld)", k->name, k->min, k->max,
			    k->def_num);
			return -1;
		}
		for (i = 0; i < len; i++)
			if (value[i] < '0' || value[i] > '9')
				break;
		if (i < len || strparse_num(value, k->min, k->max, &v,
		    &errstr) == -ADSYNC_EPARSE) {
			conf_error(p, p->lineno, "%s: \"%s\" is not a whole "
			    "number; give a number from %lld to %lld",
			    k->name, value, k->min, k->max);
			return -1;
		}
		if (errstr != NULL) {
			conf_error(p, p->lineno, "%s: %s is %s; give a number "
			    "from %lld to %lld", k->name, value, errstr,
			    k->min, k->max);
			return -1;
		}
		*conf_uint_field(p->conf, k) = (unsigned)v;
		return 0;
	case CONF_T_BOOL:
		if (strparse_bool(value, conf_bool_field(p->conf, k)) < 0) {
			conf_error(p, p->lineno, "%s: \"%s\" is not a boolean; "
			    "write true or false", k->name, value);
			return -1;
		}
		return 0;
	case CONF_T_STRING:
	case CONF_T_PATH:
		break;
	}
	if (len == 0 && !(k->flags & CONF_F_EMPTY_OK)) {
		conf_error(p, p->lineno, "%s: no value; set it, or remove the "
		    "line for the default (%s)", k->name, k->def_str);
		return -1;
	}
	if (len > (size_t)k->max) {
		conf_error(p, p->lineno, "%s: the value is %zu bytes long; at "
		    "most %lld are accepted", k->name, len, k->max);
		return -1;
	}
	if (len > 0 && k->type == CONF_T_PATH && value[0] != '/') {
		conf_error(p, p->lineno, "%s: \"%s\" is not an absolute path; "
		    "write the full path, starting with '/'", k->name, value);
		return -1;
	}
	if (len > 0 && k->check != NULL &&
	    k->check(value, why, sizeof(why)) < 0) {
		conf_error(p, p->lineno, "%s: %s", k->name, why);
		return -1;
	}
	sp = conf_str_field(p->conf, k);
	free(*sp);
	*sp = xstrdup(value);
	return 0;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parser *p = user;
	const struct conf_section *s;
	const struct conf_key *k;
	size_t ki, idx;

	/* inih's `section` may be truncated (49 characters); the reader
	 * knows the whole header and has already resolved it. */
	(void)section;
	if (p->sect == CONF_SECT_NONE) {
		conf_error_outside(p, name);
		return 1;
	}
	if (p->sect == CONF_SECT_UNKNOWN) {
		/* The section was reported; only a secret is worth a word. */
		if (conf_name_in(name, conf_secret_names,
		    sizeof(conf_secret_names) / sizeof(conf_secret_names[0]),
		    false) || conf_name_in(name, conf_secret_words,
		    sizeof(conf_secret_words) / sizeof(conf_secret_words[0]),
		    true))
			conf_error_inline_secret(p, NULL, name);
		return 1;
	}
	s = conf_sections[p->sect];
	if ((k = conf_key_find(s, name, &ki)) == NULL) {
		conf_error_unknown_key(p, s, name);
		return 1;
	}
	idx = p->key_base[p->sect] + ki;
	if (p->key_line[idx] != 0) {
		conf_error(p, p->lineno, "duplicate key %s (first set on line "
		    "%u); remove one of them", name, p->key_line[idx]);
		return 1;
	}
	p->key_line[idx] = p->lineno;
	if (conf_set(p, k, value) < 0)
		p->key_bad[idx] = true;
	/* Nonzero is success for inih; errors are ours to report. */
	return 1;
}

size_t
conf_line_find(const char *s, size_t len, const char *chars)
{
	bool was_space = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (chars != NULL && strchr(chars, s[i]) != NULL)
			break;
		if (was_space && s[i] == ';')
			break;
		was_space = s[i] == ' ' || s[i] == '\t';
	}
	return i;
}

static void
conf_line_section(struct conf_parser *p, const char *line, size_t len)
{
	const char *known[16];
	const char *name = line + 1, *sugg;
	size_t nlen, i, rest, n = 0;

	p->sect = CONF_SECT_UNKNOWN;
	nlen = conf_line_find(name, len - 1, "]");
	if (nlen == len - 1 || name[nlen] != ']') {
		conf_error(p, p->lineno, "section header has no closing ']'; "
		    "write [section]");
		return;
	}
	if (nlen == 0) {
		conf_error(p, p->lineno, "empty section name []");
		return;
	}
	for (rest = nlen + 2; rest < len; rest++)
		if (line[rest] != ' ' && line[rest] != '\t')
			break;
	if (rest < len && line[rest] != ';' && line[rest] != '#')
		conf_error(p, p->lineno, "text after ']' of [%.*s]; remove it "
		    "or make it a comment", (int)nlen, name);
	for (i = 0; i < conf_nsections; i++) {
		if (strlen(conf_sections[i]->name) == nlen &&
		    memcmp(conf_sections[i]->name, name, nlen) == 0)
			break;
	}
	if (i == conf_nsections) {
		char buf[CONF_LINE_MAX + 1];

		memcpy(buf, name, nlen);
		buf[nlen] = '\0';
		for (i = 0; i < conf_nsections &&
		    n < sizeof(known) / sizeof(known[0]); i++)
			known[n++] = conf_sections[i]->name;
		if ((sugg = conf_suggest(buf, known, n)) != NULL)
			conf_error(p, p->lineno, "unknown section [%s]; did "
			    "you mean [%s]?", buf, sugg);
		else
			conf_error(p, p->lineno, "unknown section [%s]; see "
			    "adsync.conf(5) for the sections", buf);
		return;
	}
	if (p->sect_line[i] != 0)
		conf_error(p, p->lineno, "section [%s] appears again (first on "
		    "line %u); keep one [%s] block", conf_sections[i]->name,
		    p->sect_line[i], conf_sections[i]->name);
	else
		p->sect_line[i] = p->lineno;
	p->sect = i;
}

/*
 * Checks one line before inih sees it. Returns true when inih may have it,
 * false after reporting a problem (inih then gets an empty line).
 */
static bool
conf_line_check(struct conf_parser *p, const char *line, size_t len)
{
	size_t i, n, end;

	if (len > CONF_LINE_MAX) {
		conf_error(p, p->lineno, "line is %zu bytes long; lines are "
		    "limited to %d bytes (libinih would cut the value); "
		    "shorten it", len, CONF_LINE_MAX);
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0') {
			conf_error(p, p->lineno, "line contains a NUL byte; "
			    "adsync.conf must be a text file");
			return false;
		}
		if ((c < ' ' && c != '\t') || c == 0x7f) {
			conf_error(p, p->lineno, "line contains the control "
			    "character 0x%02x; remove it", c);
			return false;
		}
	}
	/*
	 * Values go to LDAP (DNs, the bind name) and to HTTP headers as
	 * they are; a Latin-1 byte would reach the DC or the API as a
	 * malformed string. The whole line is checked, comments too: the
	 * file has one encoding.
	 */
	for (i = 0; i < len; i += n) {
		uint32_t cp;

		if ((n = utf8_decode(line + i, len - i, &cp)) == 0) {
			conf_error(p, p->lineno, "line is not valid UTF-8 "
			    "(byte 0x%02x at column %zu); save adsync.conf "
			    "as UTF-8", (unsigned char)line[i], i + 1);
			return false;
		}
	}
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || line[i] == ';' || line[i] == '#')
		return true;
	if (i > 0) {
		conf_error(p, p->lineno, "line starts with white space, which "
		    "libinih reads as the continuation of the previous value; "
		    "remove the indentation");
		return false;
	}
	if (line[0] == '[') {
		conf_line_section(p, line, len);
		/* inih needs no section line: the reader tracks sections. */
		return false;
	}
	end = conf_line_find(line, len, "=:");
	if (end == len || (line[end] != '=' && line[end] != ':')) {
		conf_error(p, p->lineno, "expected \"key = value\", "
		    "\"[section]\" or a comment");
		return false;
	}
	if (end == 0) {
		conf_error(p, p->lineno, "no key name before '%c'", line[0]);
		return false;
	}
	return true;
}

/* ini_reader over our buffer: one line per call, counted. */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parser *p = stream;
	const char *line, *nl;
	size_t len;

	if (p->pos >= p->len || num < 1)
		return NULL;
	line = p->buf + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - line) : p->len - p->pos;
	p->pos += len + (nl != NULL);
	p->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* A UTF-8 byte order mark, as inih would skip it. */
	if (p->lineno == 1 && len >= 3 &&
	    memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (!conf_line_check(p, line, len) || len >= (size_t)num)
		len = 0;
	memcpy(str, line, len);
	str[len] = '\0';
	return str;
}

static void
conf_parser_init(struct conf_parser *p, const char *buf, size_t len,
    const char *name, struct diag *diag)
{
	size_t i, nkeys = 0;

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->len = len;
	p->name = name != NULL ? name : "(buffer)";
	p->diag = diag;
	p->sect = CONF_SECT_NONE;
	p->conf = conf_new_default();
	p->sect_line = xcalloc(conf_nsections, sizeof(*p->sect_line));
	p->key_base = xcalloc(conf_nsections, sizeof(*p->key_base));
	for (i = 0; i < conf_nsections; i++) {
		p->key_base[i] = nkeys;
		nkeys += conf_sections[i]->nkeys;
	}
	p->key_line = xcalloc(nkeys, sizeof(*p->key_line));
	p->key_bad = xcalloc(nkeys, sizeof(*p->key_bad));
}

static void
conf_parser_fini(struct conf_parser *p)
{
	conf_free(p->conf);
	free(p->sect_line);
	free(p->key_base);
	free(p->key_line);
	free(p->key_bad);
	memset(p, 0, sizeof(*p));
}

struct conf_report {
	struct conf_parser *p;
	size_t sect;
};

void
conf_report_add(struct conf_report *r, const char *key, const char *fmt, ...)
{
	const struct conf_section *s = conf_sections[r->sect];
	char msg[1024];
	unsigned line = 0;
	size_t ki;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (conf_key_find(s, key, &ki) != NULL)
		line = r->p->key_line[r->p->key_base[r->sect] + ki];
	/* A key left at its default has no line: point at its section. */
	if (line == 0)
		line = r->p->sect_line[r->sect];
	if (line != 0)
		conf_error(r->p, line, "%s", msg);
	else
		conf_error(r->p, 0, "[%s] %s", s->name, msg);
}

/* Parses the buffer into p->conf, reporting every problem. */
static void
conf_parser_run(struct conf_parser *p)
{
	struct conf_report r;
	size_t i, j;
	bool bad;
	int rc;

	if (p->len > CONF_FILE_MAX) {
		conf_error(p, 0, "larger than %d bytes; this is not an "
		    "adsync configuration file", CONF_FILE_MAX);
		return;
	}
	rc = ini_parse_stream(conf_reader, p, conf_handler, p);
	/* Not expected, since the reader passes only lines inih accepts. */
	if (rc != 0 && p->errors == 0)
		conf_error(p, rc > 0 ? (unsigned)rc : 0, "cannot parse this "
		    "line");
	r.p = p;
	for (i = 0; i < conf_nsections; i++) {
		if (conf_sections[i]->check == NULL)
			continue;
		/* Joined rules on values already refused would only repeat
		 * the first complaint in other words. */
		bad = false;
		for (j = 0; j < conf_sections[i]->nkeys; j++)
			bad |= p->key_bad[p->key_base[i] + j];
		if (bad)
			continue;
		r.sect = i;
		conf_sections[i]->check(p->conf, &r);
	}
}

/*
 * Checks every secret file named by the configuration (mode, owner, type,
 * size) by loading it and freeing it at once.
 */
static void
conf_parser_check_secrets(struct conf_parser *p)
{
	const struct conf_section *s;
	const struct conf_key *k, *dep;
	struct secret *sec;
	char why[512], tag[128], hint[160];
	const char *path;
	size_t i, j, idx;
	unsigned line;
	int r;

	for (i = 0; i < conf_nsections; i++) {
		s = conf_sections[i];
		for (j = 0; j < s->nkeys; j++) {
			k = &s->keys[j];
			idx = p->key_base[i] + j;
			if (!(k->flags & CONF_F_SENSITIVE) || p->key_bad[idx])
				continue;
			path = *conf_str_field(p->conf, k);
			if (path[0] == '\0')
				continue;
			snprintf(tag, sizeof(tag), "%s.%s", s->name, k->name);
			sec = NULL;
			r = secret_load_file(path, tag, SECRET_FILE_MAX, &sec,
			    why, sizeof(why));
			secret_free(sec);
			if (r == 0)
				continue;
			dep = k->needed_if != NULL ?
			    conf_key_find(s, k->needed_if, NULL) : NULL;
			if (r == -ENOENT && dep != NULL &&
			    (*conf_str_field(p->conf, dep))[0] == '\0')
				continue;
			hint[0] = '\0';
			if (r == -ENOENT)
				snprintf(hint, sizeof(hint), "; create it with "
				    "mode 0600, or set %s to the file that "
				    "holds the secret", k->name);
			else if (r == -EACCES)
				snprintf(hint, sizeof(hint), "; run adsync as "
				    "root or as the service user that owns "
				    "it");
			line = p->key_line[idx];
			if (line != 0)
				conf_error(p, line, "%s: %s%s", k->name, why,
				    hint);
			else
				conf_error(p, 0, "[%s] %s (default): %s%s",
				    s->name, k->name, why, hint);
		}
	}
}

struct conf *
conf_new_default(void)
{
	const struct conf_section *s;
	const struct conf_key *k;
	struct conf *conf;
	size_t i, j;

	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup("");
	for (i = 0; i < conf_nsections; i++) {
		s = conf_sections[i];
		for (j = 0; j < s->nkeys; j++) {
			k = &s->keys[j];
			switch (k->type) {
			case CONF_T_STRING:
			case CONF_T_PATH:
				*conf_str_field(conf, k) = xstrdup(k->def_str);
				break;
			case CONF_T_UINT:
				*conf_uint_field(conf, k) =
				    (unsigned)k->def_num;
				break;
			case CONF_T_BOOL:
				*conf_bool_field(conf, k) = k->def_num != 0;
				break;
			}
		}
	}
	return conf;
}

void
conf_free(struct conf *conf)
{
	const struct conf_section *s;
	const struct conf_key *k;
	size_t i, j;

	if (conf == NULL)
		return;
	for (i = 0; i < conf_nsections; i++) {
		s = conf_sections[i];
		for (j = 0; j < s->nkeys; j++) {
			k = &s->keys[j];
			if (k->type == CONF_T_STRING || k->type == CONF_T_PATH)
				free(*conf_str_field(conf, k));
		}
	}
	free(conf->path);
	free(conf);
}

int
conf_parse_buffer(const char *buf, size_t len, const char *name,
    struct conf **out, struct diag *diag)
{
	struct conf_parser p;
	int r = 0;

	conf_parser_init(&p, buf, len, name, diag);
	conf_parser_run(&p);
	if (p.errors != 0) {
		r = -ADSYNC_ECONFIG;
		goto out;
	}
	*out = p.conf;
	p.conf = NULL;
out:
	conf_parser_fini(&p);
	return r;
}

/* Reads at most CONF_FILE_MAX bytes of `path` into *out (free() it). */
static int
conf_read_file(const char *path, char **out /* OUT */, size_t *outlen,
    struct diag *diag)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO named as the file must not block the open; it
	 * is refused below as not a regular file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		diag_add(diag, path, 0, "cannot open: %s; %s",
		    adsync_strerror(r), r == -ENOENT ? "create it (see "
		    "adsync.conf(5)) or name another with -c FILE" :
		    "check the path and its permissions");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		diag_add(diag, path, 0, "cannot stat: %s", adsync_strerror(r));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -ADSYNC_ECONFIG;
		diag_add(diag, path, 0, "not a regular file; name the "
		    "configuration file itself");
		goto fail;
	}
	/* Limit checked before allocating; the read stops there too in
	 * case the file grows meanwhile. */
	if (st.st_size > CONF_FILE_MAX) {
		r = -ADSYNC_ETOOBIG;
		diag_add(diag, path, 0, "larger than %d bytes; this is not an "
		    "adsync configuration file", CONF_FILE_MAX);
		goto fail;
	}
	if ((data = malloc(CONF_FILE_MAX + 1)) == NULL) {
		r = -ENOMEM;
		diag_add(diag, path, 0, "out of memory");
		goto fail;
	}
	for (;;) {
		n = read(fd, data + got, CONF_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			diag_add(diag, path, 0, "cannot read: %s",
			    adsync_strerror(r));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > CONF_FILE_MAX) {
			r = -ADSYNC_ETOOBIG;
			diag_add(diag, path, 0, "larger than %d bytes; this is "
			    "not an adsync configuration file", CONF_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	*out = data;
	*outlen = got;
	return 0;
fail:
	free(data);
	close(fd);
	return r;
}

int
conf_parse_checked(const char *buf, size_t len, const char *name,
    struct conf **out, struct diag *diag)
{
	struct conf_parser p;
	int r = 0;

	conf_parser_init(&p, buf, len, name, diag);
	conf_parser_run(&p);
	/* Checked even when the file had other problems, so that one run
	 * of `adsync check` shows them all. */
	conf_parser_check_secrets(&p);
	if (p.errors != 0) {
		r = -ADSYNC_ECONFIG;
		goto out;
	}
	free(p.conf->path);
	p.conf->path = xstrdup(p.name);
	*out = p.conf;
	p.conf = NULL;
out:
	conf_parser_fini(&p);
	return r;
}

int
conf_load_file(const char *path, struct conf **out, struct diag *diag)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	/* conf.h promises -ADSYNC_ECONFIG for every failure; the diag
	 * says what went wrong. */
	if (conf_read_file(path, &data, &len, diag) < 0)
		return -ADSYNC_ECONFIG;
	r = conf_parse_checked(data, len, path, out, diag);
	free(data);
	return r;
}

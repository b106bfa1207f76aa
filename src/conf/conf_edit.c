/*
 * Editing adsync.conf in place, for the web console's Settings page and for
 * registration: a few keys change, and every other byte of the file stays
 * (comments, blank lines, line endings, unknown keys, their order).
 * conf_edit_buffer() is pure (unit tests, the fuzzer); conf_edit_file()
 * reads the file, edits it, checks the result as conf_load_file() would,
 * and replaces the file atomically. Any thread; no global state, no
 * logging.
 *
 * Trusts neither the file (written by people) nor the edits (their values
 * come from a web form). Lines are seen as conf.c's reader sees them: the
 * same line splitting (LF, a CR before it dropped, a BOM on line 1), the
 * same inline-comment rule (conf_line_find()), sections only at column 0.
 * So a key is replaced where the parser reads it, and a value is refused
 * when libinih would not read it back exactly as given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "conf_internal.h"
#include "diag.h"
#include "err.h"
#include "fileio.h"
#include "utf8.h"

/* Mode of a configuration file the editor creates: the service user
 * reads it through its group, nobody else does. */
#define CONF_EDIT_NEW_MODE 0640

/* Longest section or key name echoed in a message. */
#define CONF_EDIT_NAME_ECHO 64

/*
 * One line: [start, start + len) is its content, without the line ending
 * (a CR before the LF, or at the very end, is not content), and
 * [start + len, next) is its ending, copied as found.
 */
struct conf_edit_line {
	size_t start;
	size_t len;
	size_t next;
	unsigned lineno;
};

/* What a line is to the edit being applied. */
enum conf_edit_role {
	CONF_EDIT_PLAIN,	/* elsewhere, a blank line or a comment */
	CONF_EDIT_HEADER,	/* the header of the edit's section */
	CONF_EDIT_CONTENT,	/* another non-comment line of that section */
	CONF_EDIT_KEY		/* the edited key's line in that section */
};

/* Walks the lines; the state is the section the last header opened. */
struct conf_edit_walk {
	const char *buf;
	size_t len;
	size_t pos;
	unsigned lineno;
	bool in_sect;		/* inside a block of the edit's section */
};

static bool
conf_edit_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
conf_edit_next(struct conf_edit_walk *w, struct conf_edit_line *l)
{
	const char *nl;
	size_t n;

	if (w->pos >= w->len)
		return false;
	l->start = w->pos;
	nl = memchr(w->buf + w->pos, '\n', w->len - w->pos);
	n = nl != NULL ? (size_t)(nl - (w->buf + w->pos)) : w->len - w->pos;
	l->next = w->pos + n + (nl != NULL);
	/* As conf_reader(): one CR before the end is part of the ending. */
	if (n > 0 && w->buf[w->pos + n - 1] == '\r')
		n--;
	l->len = n;
	l->lineno = ++w->lineno;
	w->pos = l->next;
	return true;
}

/*
 * Classifies line `l` for edit `e` and moves the walk's section state.
 * For CONF_EDIT_KEY, *prefix is the length of what precedes the key name
 * (a BOM, the indentation: kept) and *suffix the offset in the line where
 * an inline comment and the blanks before it start (kept), or l->len.
 */
static enum conf_edit_role
conf_edit_role(struct conf_edit_walk *w, const struct conf_edit_line *l,
    const struct conf_edit *e, size_t *prefix, size_t *suffix)
{
	const char *line = w->buf + l->start, *s = line, *name, *v;
	size_t len = l->len, i, n, end, vlen, c;

	if (l->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		len -= 3;
	}
	for (i = 0; i < len && conf_edit_blank(s[i]); i++)
		;
	if (i == len || s[i] == ';' || s[i] == '#')
		return CONF_EDIT_PLAIN;
	if (i == 0 && s[0] == '[') {
		/* As conf_line_section(): a malformed header opens no
		 * section the editor (or the parser) would use. */
		name = s + 1;
		n = conf_line_find(name, len - 1, "]");
		w->in_sect = n < len - 1 && name[n] == ']' &&
		    n == strlen(e->section) && memcmp(name, e->section, n) == 0;
		return w->in_sect ? CONF_EDIT_HEADER : CONF_EDIT_PLAIN;
	}
	if (!w->in_sect)
		return CONF_EDIT_PLAIN;
	/*
	 * An indented line is refused by the parser (libinih would read it
	 * as the continuation of the previous value), but it is still the
	 * administrator's line for that key: replacing it in place, with
	 * its indentation, is the least surprising edit, and the check of
	 * the result says what is wrong with it.
	 */
	end = conf_line_find(s + i, len - i, "=:");
	if (end == len - i || (s[i + end] != '=' && s[i + end] != ':'))
		return CONF_EDIT_CONTENT;
	for (n = end; n > 0 && conf_edit_blank(s[i + n - 1]); n--)
		;
	if (n != strlen(e->key) || memcmp(s + i, e->key, n) != 0)
		return CONF_EDIT_CONTENT;
	*prefix = (size_t)(s - line) + i;
	/* libinih looks for the inline comment from the byte after the
	 * separator, with no blank seen yet: "key =;x" has no comment. */
	v = s + i + end + 1;
	vlen = len - i - end - 1;
	c = conf_line_find(v, vlen, NULL);
	if (c < vlen)
		while (c > 0 && conf_edit_blank(v[c - 1]))
			c--;
	*suffix = (size_t)(v - line) + c;
	return CONF_EDIT_KEY;
}

/* The file's line ending, from its first line that has one; LF if none. */
static const char *
conf_edit_eol(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);

	return nl != NULL && nl > buf && nl[-1] == '\r' ? "\r\n" : "\n";
}

static const struct conf_section *
conf_edit_section_find(const char *name)
{
	size_t i;

	for (i = 0; i < conf_nsections; i++)
		if (strcmp(conf_sections[i]->name, name) == 0)
			return conf_sections[i];
	return NULL;
}

static bool
conf_edit_key_known(const struct conf_section *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, key) == 0)
			return true;
	return false;
}

/* Checks the names of `e` against the keyword table. */
static int
conf_edit_check_names(const struct conf_edit *e, char *why, size_t whylen)
{
	const char *known[64], *sugg;
	const struct conf_section *s;
	size_t i, n = 0;

	if (e->section == NULL || e->key == NULL) {
		err_why(why, whylen, "an edit names no section or no "
		    "key; give both");
		return -EINVAL;
	}
	if ((s = conf_edit_section_find(e->section)) == NULL) {
		for (i = 0; i < conf_nsections; i++)
			known[n++] = conf_sections[i]->name;
		sugg = conf_suggest(e->section, known, n);
		err_why(why, whylen, "unknown section [%.*s]; %s%s%s",
		    CONF_EDIT_NAME_ECHO, e->section, sugg != NULL ?
		    "did you mean [" : "see adsync.conf(5) for the sections",
		    sugg != NULL ? sugg : "", sugg != NULL ? "]?" : "");
		return -EINVAL;
	}
	if (conf_edit_key_known(s, e->key))
		return 0;
	for (i = 0; i < s->nkeys && n < sizeof(known) / sizeof(known[0]); i++)
		known[n++] = s->keys[i].name;
	if ((sugg = conf_suggest(e->key, known, n)) != NULL) {
		err_why(why, whylen, "unknown key \"%.*s\" in [%s]; did "
		    "you mean %s?", CONF_EDIT_NAME_ECHO, e->key, s->name, sugg);
		return -EINVAL;
	}
	for (i = 0; i < conf_nsections; i++)
		if (conf_sections[i] != s &&
		    conf_edit_key_known(conf_sections[i], e->key)) {
			err_why(why, whylen, "key %s belongs in [%s], "
			    "not in [%s]", e->key, conf_sections[i]->name,
			    s->name);
			return -EINVAL;
		}
	err_why(why, whylen, "unknown key \"%.*s\" in [%s]; see "
	    "adsync.conf(5) for the keys of [%s]", CONF_EDIT_NAME_ECHO, e->key,
	    s->name, s->name);
	return -EINVAL;
}

/*
 * Refuses a value libinih would not give back byte for byte: it strips
 * blanks at both ends and cuts at an inline comment, and the reader
 * refuses control characters (a newline would even start a line of the
 * value's choosing: a key or a section of its own) and bytes that are not
 * UTF-8.
 */
static int
conf_edit_check_value(const struct conf_edit *e, char *why, size_t whylen)
{
	const char *v = e->value;
	size_t len = strlen(v), i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\n' || c == '\r') {
			err_why(why, whylen, "[%s] %s: the value "
			    "contains a line break; give it on one line",
			    e->section, e->key);
			return -EINVAL;
		}
		if ((c < ' ' && c != '\t') || c == 0x7f) {
			err_why(why, whylen, "[%s] %s: the value "
			    "contains the control character 0x%02x; remove it",
			    e->section, e->key, c);
			return -EINVAL;
		}
	}
	/* The reader refuses a line that is not UTF-8. */
	if (!utf8_valid(v, len)) {
		err_why(why, whylen, "[%s] %s: the value is not valid UTF-8; "
		    "give it in UTF-8", e->section, e->key);
		return -EINVAL;
	}
	if (len > 0 && (conf_edit_blank(v[0]) || conf_edit_blank(v[len - 1]))) {
		err_why(why, whylen, "[%s] %s: the value starts or ends "
		    "with a blank, which would be dropped when the file is "
		    "read; remove it", e->section, e->key);
		return -EINVAL;
	}
	if (v[0] == ';') {
		err_why(why, whylen, "[%s] %s: a value cannot start with "
		    "';' (it would read as a comment)", e->section, e->key);
		return -EINVAL;
	}
	if (conf_line_find(v, len, NULL) < len) {
		err_why(why, whylen, "[%s] %s: a ';' after a blank would "
		    "start a comment and cut the value there; remove the blank "
		    "before ';'", e->section, e->key);
		return -EINVAL;
	}
	return 0;
}

/* Appends "key = value" ("key =" for an empty value) and checks that the
 * line, `extra` more bytes included, stays readable by libinih. */
static int
conf_edit_add_keyline(struct buf *b, const struct conf_edit *e, size_t extra,
    char *why, size_t whylen)
{
	size_t vlen = strlen(e->value);
	size_t total = extra + strlen(e->key) + (vlen > 0 ? 3 + vlen : 2);

	if (total > CONF_LINE_MAX) {
		err_why(why, whylen, "[%s] %s: the line would be %zu "
		    "bytes long; lines are limited to %d bytes (libinih would "
		    "cut the value); shorten the value%s", e->section, e->key,
		    total, CONF_LINE_MAX, total - extra <= CONF_LINE_MAX ?
		    " or the comment or indentation kept on its line" : "");
		return -EINVAL;
	}
	if (vlen > 0)
		return buf_printf(b, "%s = %s", e->key, e->value);
	return buf_printf(b, "%s =", e->key);
}

/* After the bytes of a line whose ending is `end`/`elen`: makes sure a
 * line break follows before anything is added after it. */
static int
conf_edit_end_line(struct buf *b, const char *end, size_t elen,
    const char *eol)
{
	if (elen > 0 && end[elen - 1] == '\n')
		return 0;
	/* The last line ended with a lone CR (the reader drops it): an LF
	 * makes it a CRLF; otherwise the file's own ending. */
	return buf_addstr(b, elen > 0 ? "\n" : eol);
}

/* Applies one checked edit to `in`, writing the whole result to `b`. */
static int
conf_edit_apply(const char *in, size_t len, const struct conf_edit *e,
    struct buf *b, char *why, size_t whylen)
{
	struct conf_edit_walk w = { .buf = in, .len = len };
	struct conf_edit_line l, after = { 0 };
	enum conf_edit_role role;
	const char *eol = conf_edit_eol(in, len);
	size_t prefix = 0, suffix = 0;
	unsigned nfound = 0, first = 0, second = 0;
	bool have_sect = false;
	int r = 0;

	while (conf_edit_next(&w, &l)) {
		role = conf_edit_role(&w, &l, e, &prefix, &suffix);
		if (role == CONF_EDIT_HEADER)
			have_sect = true;
		if (role != CONF_EDIT_PLAIN)
			after = l;
		if (role != CONF_EDIT_KEY)
			continue;
		if (++nfound == 1)
			first = l.lineno;
		else if (nfound == 2)
			second = l.lineno;
	}
	if (e->value != NULL && nfound > 1) {
		err_why(why, whylen, "[%s] %s is set on line %u and "
		    "again on line %u; remove all but one by hand first",
		    e->section, e->key, first, second);
		return -ADSYNC_ECONFIG;
	}

	memset(&w, 0, sizeof(w));
	w.buf = in;
	w.len = len;
	while (r == 0 && conf_edit_next(&w, &l)) {
		role = conf_edit_role(&w, &l, e, &prefix, &suffix);
		if (role == CONF_EDIT_KEY) {
			if (e->value == NULL)
				continue;
			if ((r = buf_add(b, in + l.start, prefix)) < 0 ||
			    (r = conf_edit_add_keyline(b, e, prefix +
			    (l.len - suffix), why, whylen)) < 0)
				break;
			r = buf_add(b, in + l.start + suffix,
			    l.next - l.start - suffix);
			continue;
		}
		if ((r = buf_add(b, in + l.start, l.next - l.start)) < 0)
			break;
		if (e->value == NULL || nfound > 0 || !have_sect ||
		    l.start != after.start)
			continue;
		/* A new key goes after the section's last key line, before
		 * the comments and blank lines that end the section (they
		 * usually introduce the next one). */
		if ((r = conf_edit_end_line(b, in + l.start + l.len,
		    l.next - l.start - l.len, eol)) < 0 ||
		    (r = conf_edit_add_keyline(b, e, 0, why, whylen)) < 0)
			break;
		r = buf_addstr(b, eol);
	}
	/* A missing section goes at the end, after a blank line. */
	if (r == 0 && e->value != NULL && !have_sect && len > 0 &&
	    (r = conf_edit_end_line(b, in + len - 1, in[len - 1] == '\n' ||
	    in[len - 1] == '\r' ? 1 : 0, eol)) == 0)
		r = buf_addstr(b, eol);
	if (r == 0 && e->value != NULL && !have_sect &&
	    (r = buf_printf(b, "[%s]%s", e->section, eol)) == 0 &&
	    (r = conf_edit_add_keyline(b, e, 0, why, whylen)) == 0)
		r = buf_addstr(b, eol);
	if (r == -ADSYNC_ETOOBIG)
		err_why(why, whylen, "the edited configuration would be "
		    "larger than %d bytes", CONF_FILE_MAX);
	else if (r == -ENOMEM)
		err_why(why, whylen, "out of memory");
	return r;
}

int
conf_edit_buffer(const char *in, size_t len, const struct conf_edit *edits,
    size_t n, char **out, size_t *outlen, char *why, size_t whylen)
{
	struct buf b;
	char *cur = NULL;
	size_t curlen = len, i;
	int r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len > CONF_FILE_MAX) {
		err_why(why, whylen, "the configuration is larger than "
		    "%d bytes; this is not an adsync configuration file",
		    CONF_FILE_MAX);
		return -ADSYNC_ETOOBIG;
	}
	/* Every edit is checked before any is applied. */
	for (i = 0; i < n; i++) {
		if ((r = conf_edit_check_names(&edits[i], why, whylen)) < 0)
			return r;
		if (edits[i].value != NULL &&
		    (r = conf_edit_check_value(&edits[i], why, whylen)) < 0)
			return r;
	}
	/* In order, each on the result of the one before: a few edits of
	 * a file of at most 1 MiB, so plain passes are cheap enough. */
	for (i = 0; i < n; i++) {
		buf_init(&b, CONF_FILE_MAX);
		r = conf_edit_apply(cur != NULL ? cur : in, curlen, &edits[i],
		    &b, why, whylen);
		if (r < 0) {
			buf_fini(&b);
			free(cur);
			return r;
		}
		curlen = b.len;
		free(cur);
		if ((cur = buf_take(&b)) == NULL) {
			err_why(why, whylen, "out of memory");
			return -ENOMEM;
		}
	}
	if (cur == NULL) {
		if ((cur = malloc(len + 1)) == NULL) {
			err_why(why, whylen, "out of memory");
			return -ENOMEM;
		}
		if (len > 0)
			memcpy(cur, in, len);
		cur[len] = '\0';
	}
	*out = cur;
	*outlen = curlen;
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

/*
 * Reads `path` (at most CONF_FILE_MAX bytes) into *data (free() it) and
 * its status into *st. A missing file is *exists = false and no data.
 */
static int
conf_edit_read(const char *path, char **data /* OUT */, size_t *len,
    struct stat *st, bool *exists, char *why, size_t whylen)
{
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	*exists = false;
	/* SECURITY: the rename below would replace a symbolic link, not
	 * write through it; refuse it instead of silently turning a link
	 * (often managed by configuration management) into a file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			err_why(why, whylen, "%s is a symbolic link; the "
			    "console replaces the file itself, so edit the "
			    "file it points to by hand, or name that file with "
			    "-c", path);
		else
			err_why(why, whylen, "%s: cannot open: %s; check "
			    "the path and its permissions", path,
			    adsync_strerror(r));
		return r;
	}
	if (fstat(fd, st) < 0) {
		r = -errno;
		err_why(why, whylen, "%s: cannot stat: %s", path,
		    adsync_strerror(r));
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		r = -EINVAL;
		err_why(why, whylen, "%s is not a regular file; name the "
		    "configuration file itself", path);
		goto fail;
	}
	/* Limit checked before allocating; the read stops there too. */
	if (st->st_size > CONF_FILE_MAX) {
		r = -ADSYNC_ETOOBIG;
		err_why(why, whylen, "%s is larger than %d bytes; this "
		    "is not an adsync configuration file", path, CONF_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL) {
		r = -ENOMEM;
		err_why(why, whylen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		n = read(fd, buf + got, (size_t)st->st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			err_why(why, whylen, "%s: cannot read: %s", path,
			    adsync_strerror(r));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		/* Grew since fstat: someone is writing it right now. */
		if (got > (size_t)st->st_size) {
			r = -EAGAIN;
			err_why(why, whylen, "%s changed while it was "
			    "read; try again", path);
			goto fail;
		}
	}
	close(fd);
	*data = buf;
	*len = got;
	*exists = true;
	return 0;
fail:
	free(buf);
	close(fd);
	return r;
}

/* The advice for a failure to create or rename in `dir`. */
static const char *
conf_edit_dir_advice(int r)
{
	switch (-r) {
	case EACCES:
	case EPERM:
		return "; the directory must be writable by the user adsync "
		    "runs as, or edit the file by hand";
	case EROFS:
		return "; the file system is read-only here (under systemd, "
		    "ProtectSystem=strict needs the directory in "
		    "ReadWritePaths=), or edit the file by hand";
	default:
		return "";
	}
}

int
conf_edit_file(const char *path, const struct conf_edit *edits, size_t n,
    struct diag *diag, char *why, size_t whylen)
{
	struct file_replace_opts opts = {
		.mode = CONF_EDIT_NEW_MODE,
		.keep_mode = true,
		.keep_owner = true,
		.keep_group = true,
		.no_symlink = true,
		.check_unchanged = true,
		.tmp_infix = "edit",
		.dir_advice = conf_edit_dir_advice,
	};
	struct conf *conf = NULL;
	struct stat st;
	char *data = NULL, *out = NULL, msg[512];
	size_t len = 0, outlen = 0;
	bool exists = false;
	int r;

	msg[0] = '\0';
	if (n == 0) {
		r = 0;
		goto out;
	}
	memset(&st, 0, sizeof(st));
	if ((r = conf_edit_read(path, &data, &len, &st, &exists, msg,
	    sizeof(msg))) < 0)
		goto out;
	r = conf_edit_buffer(data != NULL ? data : "", len, edits, n, &out,
	    &outlen, msg, sizeof(msg));
	/* A problem of the file, not of the edit: listed like the others. */
	if (r == -ADSYNC_ECONFIG)
		diag_add(diag, path, 0, "%s", msg);
	if (r < 0)
		goto out;
	/* SECURITY: the daemon must be able to load what we write, secret
	 * files included; otherwise its next start would fail. */
	if ((r = conf_parse_checked(out, outlen, path, &conf, diag)) < 0) {
		snprintf(msg, sizeof(msg), "%s: the edited configuration would "
		    "not load (see the problems listed, at lines of the edited "
		    "text); nothing was written", path);
		goto out;
	}
	/* Atomically, with the original's mode and owner (0640 and ours for
	 * a new file); -EAGAIN when someone changed it since it was read. */
	opts.was = exists ? &st : NULL;
	r = file_replace(path, out, outlen, &opts, msg, sizeof(msg));
out:
	err_why(why, whylen, "%s", msg);
	conf_free(conf);
	free(out);
	free(data);
	return r;
}

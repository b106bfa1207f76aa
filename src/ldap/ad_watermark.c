/*
 * Watermarks: where the last read of the directory ended, as a string the
 * caller stores with its state, and the watermark of "now".
 *
 *   adwm1;usn;DC;INVOCATIONID;USN
 *   adwm1;dirsync;DC;INVOCATIONID;USN;BASE64COOKIE
 *
 * Why the DC name and invocationId: a uSN is only meaningful on the DC that
 * issued it and only for that copy of its database; another DC (failover)
 * or a restored DC (new invocationId) means the uSN cannot be continued
 * and a full read is needed. A DirSync cookie carries its own up-to-date
 * vector, so the DC fields are informative there.
 *
 * Pure text functions (decode is fuzzed through the unit tests' bad
 * inputs); ad_watermark_now() talks to the DC on the owner's thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"

static const char ad_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
ad_watermark_b64enc(const unsigned char *in, size_t len, char *out,
    size_t outlen)
{
	size_t i, j = 0;
	unsigned v;

	if ((len + 2) / 3 * 4 + 1 > outlen)
		return -ADSYNC_ETOOBIG;
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[j++] = ad_b64[v >> 18];
		out[j++] = ad_b64[(v >> 12) & 63];
		out[j++] = ad_b64[(v >> 6) & 63];
		out[j++] = ad_b64[v & 63];
	}
	if (i < len) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		out[j++] = ad_b64[v >> 18];
		out[j++] = ad_b64[(v >> 12) & 63];
		out[j++] = i + 1 < len ? ad_b64[(v >> 6) & 63] : '=';
		out[j++] = '=';
	}
	out[j] = '\0';
	return 0;
}

static int
ad_b64_val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(ad_b64, c)) == NULL)
		return -1;
	return (int)(p - ad_b64);
}

int
ad_watermark_b64dec(const char *in, size_t len, unsigned char *out,
    size_t outmax, size_t *outlen)
{
	size_t i, j = 0, pad = 0;
	int v[4], k;

	if (len % 4 != 0)
		return -ADSYNC_EPARSE;
	if (len / 4 * 3 > outmax + 2)
		return -ADSYNC_ETOOBIG;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = ad_b64_val(in[i + k])) < 0)
				return -ADSYNC_EPARSE;
		}
		if (pad == 1 && v[2] == 0 && in[i + 2] == '=')
			return -ADSYNC_EPARSE;
		if (j + 3 - pad > outmax)
			return -ADSYNC_ETOOBIG;
		out[j++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[j++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[j++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
		/* Non-canonical: bits left over in the padding. */
		if ((pad == 2 && (v[1] & 15) != 0) ||
		    (pad == 1 && (v[2] & 3) != 0))
			return -ADSYNC_EPARSE;
	}
	*outlen = j;
	return 0;
}

/* DC names and invocation IDs must not contain the separator. */
static bool
ad_watermark_field_ok(const char *s)
{
	const char *p;

	if (s[0] == '\0')
		return false;
	for (p = s; *p != '\0'; p++)
		if (*p == ';' || (unsigned char)*p <= ' ' ||
		    (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

int
ad_watermark_encode(const struct ad_watermark *wm, char *out, size_t outlen)
{
	size_t n;
	int w;

	if ((wm->kind != AD_WM_USN && wm->kind != AD_WM_DIRSYNC) ||
	    !ad_watermark_field_ok(wm->dc) ||
	    !ad_watermark_field_ok(wm->invocation_id) ||
	    wm->cookie_len > AD_COOKIE_MAX ||
	    (wm->kind == AD_WM_DIRSYNC && wm->cookie_len == 0))
		return -ADSYNC_EPARSE;
	w = snprintf(out, outlen, "adwm1;%s;%s;%s;%" PRIu64,
	    wm->kind == AD_WM_USN ? "usn" : "dirsync", wm->dc,
	    wm->invocation_id, wm->usn);
	if (w < 0 || (size_t)w >= outlen)
		return -ADSYNC_ETOOBIG;
	if (wm->kind == AD_WM_USN)
		return 0;
	n = (size_t)w;
	if (n + 2 > outlen)
		return -ADSYNC_ETOOBIG;
	out[n++] = ';';
	return ad_watermark_b64enc(wm->cookie, wm->cookie_len, out + n,
	    outlen - n);
}

/* The next ';'-separated field of [*p, end); NULL when none. */
static const char *
ad_watermark_field(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *e;

	if (s > end)
		return NULL;
	e = memchr(s, ';', (size_t)(end - s));
	if (e == NULL)
		e = end;
	*len = (size_t)(e - s);
	*p = e + 1;
	return s;
}

int
ad_watermark_decode(const char *s, size_t len, struct ad_watermark *out)
{
	struct ad_watermark wm;
	const char *p = s, *end = s + len, *f;
	char num[24];
	size_t n;
	int r;

	memset(&wm, 0, sizeof(wm));
	if (len > AD_WM_TEXT_MAX)
		return -ADSYNC_ETOOBIG;
	if ((f = ad_watermark_field(&p, end, &n)) == NULL || n != 5 ||
	    memcmp(f, "adwm1", 5) != 0)
		return -ADSYNC_EPARSE;
	if ((f = ad_watermark_field(&p, end, &n)) == NULL)
		return -ADSYNC_EPARSE;
	if (n == 3 && memcmp(f, "usn", 3) == 0)
		wm.kind = AD_WM_USN;
	else if (n == 7 && memcmp(f, "dirsync", 7) == 0)
		wm.kind = AD_WM_DIRSYNC;
	else
		return -ADSYNC_EPARSE;
	if ((f = ad_watermark_field(&p, end, &n)) == NULL || n == 0 ||
	    n >= sizeof(wm.dc))
		return -ADSYNC_EPARSE;
	memcpy(wm.dc, f, n);
	if ((f = ad_watermark_field(&p, end, &n)) == NULL || n == 0 ||
	    n >= sizeof(wm.invocation_id))
		return -ADSYNC_EPARSE;
	memcpy(wm.invocation_id, f, n);
	if (!ad_watermark_field_ok(wm.dc) ||
	    !ad_watermark_field_ok(wm.invocation_id))
		return -ADSYNC_EPARSE;
	if ((f = ad_watermark_field(&p, end, &n)) == NULL || n == 0 ||
	    n >= sizeof(num) || (f[0] == '0' && n > 1))
		return -ADSYNC_EPARSE;
	memcpy(num, f, n);
	num[n] = '\0';
	if (obj_usn_parse(num, n, &wm.usn) < 0)
		return -ADSYNC_EPARSE;
	if (wm.kind == AD_WM_USN) {
		if (p <= end)	/* a separator followed */
			return -ADSYNC_EPARSE;
	} else {
		if ((f = ad_watermark_field(&p, end, &n)) == NULL || n == 0 ||
		    p <= end)
			return -ADSYNC_EPARSE;
		if ((r = ad_watermark_b64dec(f, n, wm.cookie,
		    sizeof(wm.cookie), &wm.cookie_len)) < 0)
			return r;
	}
	*out = wm;
	return 0;
}

int
ad_watermark_now(struct ad_conn *c, struct ad_watermark *wm, char *why,
    size_t whylen)
{
	const char *mode = c->conf->incremental;
	int r;

	if ((r = ad_conn_ensure(c, why, whylen)) < 0)
		return r;
	/* The connection may have died since its last use: one retry. */
	if ((r = ad_conn_rootdse(c, why, whylen)) < 0) {
		if (c->ld != NULL || (r = ad_conn_ensure(c, why, whylen)) < 0)
			return r;
	}
	if (strcmp(mode, "usn") != 0 && c->has_dirsync) {
		r = ad_dirsync_now(c, wm, why, whylen);
		if (r == 0 || strcmp(mode, "dirsync") == 0)
			return r;
		log_info("ad: DirSync unavailable (%s); using uSN polling",
		    why);
	} else if (strcmp(mode, "dirsync") == 0) {
		snprintf(why, whylen, "%s does not offer DirSync; set "
		    "incremental = usn or auto", c->dc);
		return -ADSYNC_ESERVER;
	}
	return ad_usn_now(c, wm, why, whylen);
}

/*
 * Row bodies of the store as strict, length-prefixed binary (OpenSMTPD's
 * m_add_* / m_get_* discipline): a struct obj's values and typed fields,
 * a struct rs_record, a struct rs_strlist. Integers are little-endian and
 * of fixed width; every string is a u32 length and its bytes. Pure; any
 * thread.
 *
 * Trust: the bytes come from our own database, which anyone able to write
 * state_dir could have altered, so decoding is strict and bounded: each
 * length is checked against what is left of the input and against the
 * OBJ_* / RS_* limits before anything is allocated, strings must be UTF-8
 * without NUL, and trailing bytes are an error. A bad body is
 * -ADSYNC_EPARSE, never a crash.
 *
 * Object body, format 1:
 *   u8 format (1), u8 flags (bit 0: deleted; bit 1: held; the others 0),
 *   u64 usn_changed, u64 when_changed, u32 uac, u32 group_type,
 *   u64 pwd_last_set, u64 present,
 *   u8 has_sid, [u32 len, sid text],
 *   u8 nattrs, nattrs x (u8 attr, u32 nvalues >= 1, nvalues x (u32, bytes))
 *   with attributes in ascending order,
 *   then, when held: u64 held (not 0, attribute bits only) and one u8
 *   enum obj_bad (1 .. OBJ_BAD_COUNT - 1) per bit, in ascending order.
 *   Bodies written before holds existed have bit 1 clear: they read as
 *   they did.
 * Record, format 1: u8 format, u32 n, n x (name, value).
 * String list, format 1: u8 format, u32 n, n x string.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

#define STORE_CODEC_FORMAT 1
#define STORE_CODEC_F_DELETED 0x01u
#define STORE_CODEC_F_HELD 0x02u

/* The attribute id and count travel as u8; the present mask check below
 * shifts by OBJ_A_COUNT. */
_Static_assert(OBJ_A_COUNT < 64, "attribute ids fit the present mask");

/* ---- writing ---- */

static int
store_codec_put_u8(struct buf *b, uint8_t v)
{
	return buf_add(b, &v, 1);
}

static int
store_codec_put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4];
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return buf_add(b, p, sizeof(p));
}

static int
store_codec_put_u64(struct buf *b, uint64_t v)
{
	uint8_t p[8];
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return buf_add(b, p, sizeof(p));
}

/* A string: u32 length and bytes. NULL is written as "". */
static int
store_codec_put_str(struct buf *b, const char *s, size_t max)
{
	size_t len = s != NULL ? strlen(s) : 0;
	int r;

	if (len > max)
		return -ADSYNC_ETOOBIG;
	if (!obj_utf8_valid(s != NULL ? s : "", len))
		return -ADSYNC_EPARSE;
	if ((r = store_codec_put_u32(b, (uint32_t)len)) < 0)
		return r;
	return buf_add(b, s, len);
}

int
store_codec_obj_encode(const struct obj *o, struct buf *b)
{
	const struct obj_values *vals;
	uint8_t nattrs = 0;
	size_t a, i;
	int r;

	for (a = 0; a < OBJ_A_COUNT; a++)
		if (o->attrs[a].n > 0)
			nattrs++;
	if ((r = store_codec_put_u8(b, STORE_CODEC_FORMAT)) < 0 ||
	    (r = store_codec_put_u8(b,
	    (o->deleted ? STORE_CODEC_F_DELETED : 0) |
	    (o->held != 0 ? STORE_CODEC_F_HELD : 0))) < 0 ||
	    (r = store_codec_put_u64(b, o->usn_changed)) < 0 ||
	    (r = store_codec_put_u64(b, (uint64_t)o->when_changed)) < 0 ||
	    (r = store_codec_put_u32(b, o->uac)) < 0 ||
	    (r = store_codec_put_u32(b, (uint32_t)o->group_type)) < 0 ||
	    (r = store_codec_put_u64(b, (uint64_t)o->pwd_last_set)) < 0 ||
	    (r = store_codec_put_u64(b, o->present)) < 0 ||
	    (r = store_codec_put_u8(b, o->object_sid != NULL)) < 0)
		return r;
	if (o->object_sid != NULL &&
	    (r = store_codec_put_str(b, o->object_sid, OBJ_SID_TEXT)) < 0)
		return r;
	if ((r = store_codec_put_u8(b, nattrs)) < 0)
		return r;
	for (a = 0; a < OBJ_A_COUNT; a++) {
		vals = &o->attrs[a];
		if (vals->n == 0)
			continue;
		if ((r = store_codec_put_u8(b, (uint8_t)a)) < 0 ||
		    (r = store_codec_put_u32(b, (uint32_t)vals->n)) < 0)
			return r;
		for (i = 0; i < vals->n; i++)
			if ((r = store_codec_put_str(b, vals->v[i],
			    OBJ_VALUE_MAX)) < 0)
				return r;
	}
	if (o->held == 0)
		return 0;
	if ((o->held & ~(((uint64_t)1 << OBJ_A_COUNT) - 1)) != 0)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_put_u64(b, o->held)) < 0)
		return r;
	for (a = 0; a < OBJ_A_COUNT; a++) {
		if ((o->held & (uint64_t)1 << a) == 0)
			continue;
		if (o->held_why[a] == OBJ_BAD_NONE ||
		    o->held_why[a] >= OBJ_BAD_COUNT)
			return -ADSYNC_EPARSE;
		if ((r = store_codec_put_u8(b, o->held_why[a])) < 0)
			return r;
	}
	return 0;
}

int
store_codec_record_encode(const struct rs_record *rec, struct buf *b)
{
	size_t i;
	int r;

	if (rec->n > RS_RECORD_MAX_FIELDS)
		return -ADSYNC_ETOOBIG;
	if ((r = store_codec_put_u8(b, STORE_CODEC_FORMAT)) < 0 ||
	    (r = store_codec_put_u32(b, (uint32_t)rec->n)) < 0)
		return r;
	for (i = 0; i < rec->n; i++)
		if ((r = store_codec_put_str(b, rec->v[i].name,
		    RS_FIELD_NAME_MAX)) < 0 ||
		    (r = store_codec_put_str(b, rec->v[i].value,
		    RS_FIELD_VALUE_MAX)) < 0)
			return r;
	return 0;
}

int
store_codec_strlist_encode(const struct rs_strlist *l, struct buf *b)
{
	size_t i;
	int r;

	if (l->n > RS_RECORDS_MAX)
		return -ADSYNC_ETOOBIG;
	if ((r = store_codec_put_u8(b, STORE_CODEC_FORMAT)) < 0 ||
	    (r = store_codec_put_u32(b, (uint32_t)l->n)) < 0)
		return r;
	for (i = 0; i < l->n; i++)
		if ((r = store_codec_put_str(b, l->v[i],
		    RS_FIELD_VALUE_MAX)) < 0)
			return r;
	return 0;
}

/* ---- reading ---- */

struct store_codec_rd {
	const uint8_t *p;
	size_t left;
};

static int
store_codec_get_u8(struct store_codec_rd *rd, uint8_t *v)
{
	if (rd->left < 1)
		return -ADSYNC_EPARSE;
	*v = rd->p[0];
	rd->p++;
	rd->left--;
	return 0;
}

/* A little-endian unsigned integer of `n` bytes (1..8). */
static int
store_codec_get_le(struct store_codec_rd *rd, unsigned n, uint64_t *v)
{
	uint64_t x = 0;
	unsigned i;

	if (rd->left < n)
		return -ADSYNC_EPARSE;
	for (i = 0; i < n; i++)
		x |= (uint64_t)rd->p[i] << (8 * i);
	*v = x;
	rd->p += n;
	rd->left -= n;
	return 0;
}

static int
store_codec_get_u32(struct store_codec_rd *rd, uint32_t *v)
{
	uint64_t x;
	int r;

	if ((r = store_codec_get_le(rd, 4, &x)) == 0)
		*v = (uint32_t)x;
	return r;
}

static int
store_codec_get_u64(struct store_codec_rd *rd, uint64_t *v)
{
	return store_codec_get_le(rd, 8, v);
}

/*
 * A string of at most `max` bytes, borrowed from the input (not
 * NUL-terminated): checked against the input length and for UTF-8 before
 * the caller copies it.
 */
static int
store_codec_get_str(struct store_codec_rd *rd, size_t max, const char **s,
    size_t *len)
{
	uint32_t n;
	int r;

	if ((r = store_codec_get_u32(rd, &n)) < 0)
		return r;
	if (n > max || n > rd->left)
		return -ADSYNC_EPARSE;
	if (!obj_utf8_valid((const char *)rd->p, n))
		return -ADSYNC_EPARSE;
	*s = (const char *)rd->p;
	*len = n;
	rd->p += n;
	rd->left -= n;
	return 0;
}

/* The same, as an owned NUL-terminated copy. */
static int
store_codec_get_strdup(struct store_codec_rd *rd, size_t max, char **out)
{
	const char *s;
	size_t len;
	int r;

	if ((r = store_codec_get_str(rd, max, &s, &len)) < 0)
		return r;
	if ((*out = strndup(s, len)) == NULL)
		return -ENOMEM;
	return 0;
}

int
store_codec_obj_decode(const void *p, size_t len, struct obj *o)
{
	struct store_codec_rd rd = { p, len };
	uint64_t u64, with_values = 0;
	uint32_t u32, nvals, i;
	uint8_t u8, nattrs, attr, k;
	const char *s;
	size_t slen;
	bool held;
	int last = -1, r;

	if (p == NULL || len > STORE_BODY_MAX)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_get_u8(&rd, &u8)) < 0)
		return r;
	if (u8 != STORE_CODEC_FORMAT)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_get_u8(&rd, &u8)) < 0)
		return r;
	if ((u8 & ~(STORE_CODEC_F_DELETED | STORE_CODEC_F_HELD)) != 0)
		return -ADSYNC_EPARSE;
	o->deleted = (u8 & STORE_CODEC_F_DELETED) != 0;
	held = (u8 & STORE_CODEC_F_HELD) != 0;
	if ((r = store_codec_get_u64(&rd, &u64)) < 0)
		return r;
	/* The store keeps USNs in signed SQLite integers (docs/model.md). */
	if (u64 > INT64_MAX)
		return -ADSYNC_EPARSE;
	o->usn_changed = u64;
	if ((r = store_codec_get_u64(&rd, &u64)) < 0)
		return r;
	o->when_changed = (int64_t)u64;
	if ((r = store_codec_get_u32(&rd, &u32)) < 0)
		return r;
	o->uac = u32;
	if ((r = store_codec_get_u32(&rd, &u32)) < 0)
		return r;
	o->group_type = (int32_t)u32;
	if ((r = store_codec_get_u64(&rd, &u64)) < 0)
		return r;
	o->pwd_last_set = (int64_t)u64;
	if ((r = store_codec_get_u64(&rd, &u64)) < 0)
		return r;
	if ((u64 & ~(((uint64_t)1 << OBJ_A_COUNT) - 1)) != 0)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_get_u8(&rd, &u8)) < 0)
		return r;
	if (u8 > 1)
		return -ADSYNC_EPARSE;
	if (u8 == 1) {
		if ((r = store_codec_get_str(&rd, OBJ_SID_TEXT - 1, &s,
		    &slen)) < 0)
			return r;
		if (!obj_sid_text_valid(s, slen))
			return -ADSYNC_EPARSE;
		if ((o->object_sid = strndup(s, slen)) == NULL)
			return -ENOMEM;
	}
	if ((r = store_codec_get_u8(&rd, &nattrs)) < 0)
		return r;
	if (nattrs > OBJ_A_COUNT)
		return -ADSYNC_EPARSE;
	for (k = 0; k < nattrs; k++) {
		if ((r = store_codec_get_u8(&rd, &attr)) < 0 ||
		    (r = store_codec_get_u32(&rd, &nvals)) < 0)
			return r;
		/* Ascending: no attribute twice, every id known. */
		if ((int)attr <= last || attr >= OBJ_A_COUNT)
			return -ADSYNC_EPARSE;
		last = attr;
		if (nvals == 0 || nvals > OBJ_VALUES_MAX ||
		    (nvals > 1 && !obj_attr_desc((enum obj_attr)attr)->multi))
			return -ADSYNC_EPARSE;
		/* Each value takes at least its 4-byte length. */
		if (nvals > rd.left / 4)
			return -ADSYNC_EPARSE;
		for (i = 0; i < nvals; i++) {
			if ((r = store_codec_get_str(&rd, OBJ_VALUE_MAX, &s,
			    &slen)) < 0)
				return r;
			if ((r = obj_value_add(o, (enum obj_attr)attr, s,
			    slen)) < 0)
				return r == -ADSYNC_ETOOBIG ? -ADSYNC_EPARSE : r;
		}
		with_values |= (uint64_t)1 << attr;
	}
	if (held) {
		if ((r = store_codec_get_u64(&rd, &o->held)) < 0)
			return r;
		if (o->held == 0 ||
		    (o->held & ~(((uint64_t)1 << OBJ_A_COUNT) - 1)) != 0)
			return -ADSYNC_EPARSE;
		for (k = 0; k < OBJ_A_COUNT; k++) {
			if ((o->held & (uint64_t)1 << k) == 0)
				continue;
			if ((r = store_codec_get_u8(&rd, &u8)) < 0)
				return r;
			if (u8 == OBJ_BAD_NONE || u8 >= OBJ_BAD_COUNT)
				return -ADSYNC_EPARSE;
			o->held_why[k] = u8;
		}
	}
	if (rd.left != 0)
		return -ADSYNC_EPARSE;
	/* obj_value_add() set the bits of attributes with values; they must
	 * have been set in the stored mask as well. */
	if ((u64 & with_values) != with_values)
		return -ADSYNC_EPARSE;
	o->present = u64;
	return 0;
}

/* A record from `rd`, leaving it at the record's end (more may follow:
 * a whole plan op). */
static int
store_codec_record_read(struct store_codec_rd *rd, struct rs_record *out)
{
	char *name = NULL, *value = NULL;
	uint32_t n, i;
	uint8_t u8;
	int r;

	if ((r = store_codec_get_u8(rd, &u8)) < 0)
		return r;
	if (u8 != STORE_CODEC_FORMAT)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_get_u32(rd, &n)) < 0)
		return r;
	if (n > RS_RECORD_MAX_FIELDS || n > rd->left / 8)
		return -ADSYNC_EPARSE;
	for (i = 0; i < n; i++) {
		if ((r = store_codec_get_strdup(rd, RS_FIELD_NAME_MAX,
		    &name)) < 0)
			goto out;
		if ((r = store_codec_get_strdup(rd, RS_FIELD_VALUE_MAX,
		    &value)) < 0)
			goto out;
		/* rs_record_set() would replace a duplicate silently. */
		if (rs_record_get(out, name) != NULL) {
			r = -ADSYNC_EPARSE;
			goto out;
		}
		if ((r = rs_record_set(out, name, value)) < 0)
			goto out;
		free(name);
		free(value);
		name = value = NULL;
	}
out:
	free(name);
	free(value);
	return r;
}

int
store_codec_record_decode(const void *p, size_t len, struct rs_record *out)
{
	struct store_codec_rd rd = { p, len };
	int r;

	if (p == NULL || len > STORE_LIST_MAX)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_record_read(&rd, out)) < 0)
		return r;
	return rd.left != 0 ? -ADSYNC_EPARSE : 0;
}

int
store_codec_strlist_decode(const void *p, size_t len, struct rs_strlist *out)
{
	struct store_codec_rd rd = { p, len };
	char *item = NULL;
	uint32_t n, i;
	uint8_t u8;
	int r;

	if (p == NULL || len > STORE_LIST_MAX)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_get_u8(&rd, &u8)) < 0)
		return r;
	if (u8 != STORE_CODEC_FORMAT)
		return -ADSYNC_EPARSE;
	if ((r = store_codec_get_u32(&rd, &n)) < 0)
		return r;
	if (n > RS_RECORDS_MAX || n > rd.left / 4)
		return -ADSYNC_EPARSE;
	for (i = 0; i < n; i++) {
		if ((r = store_codec_get_strdup(&rd, RS_FIELD_VALUE_MAX,
		    &item)) < 0)
			goto out;
		if ((r = rs_strlist_add(out, item)) < 0)
			goto out;
		free(item);
		item = NULL;
	}
	if (rd.left != 0)
		r = -ADSYNC_EPARSE;
out:
	free(item);
	return r;
}

/* ---- a whole plan op (the spill of a streamed plan, store_spill.c) ---- */

#define STORE_OP_F_LEAVES	0x01u
#define STORE_OP_F_REMOVAL	0x02u
#define STORE_OP_F_EXTERNAL	0x04u
#define STORE_OP_F_REASON	0x08u
#define STORE_OP_TEXT_MAX	(3 * OBJ_DN_MAX)

int
store_codec_op_encode(const struct plan_op *op, struct buf *b)
{
	uint8_t flags = (op->leaves_scope ? STORE_OP_F_LEAVES : 0) |
	    (op->removal ? STORE_OP_F_REMOVAL : 0) |
	    (op->external != NULL ? STORE_OP_F_EXTERNAL : 0) |
	    (op->reason != NULL ? STORE_OP_F_REASON : 0);
	size_t i;
	int r;

	if ((r = store_codec_put_u8(b, STORE_CODEC_FORMAT)) < 0 ||
	    (r = store_codec_put_u8(b, (uint8_t)op->op)) < 0 ||
	    (r = store_codec_put_u8(b, (uint8_t)op->service)) < 0 ||
	    (r = store_codec_put_u8(b, (uint8_t)op->kind)) < 0 ||
	    (r = store_codec_put_u8(b, (uint8_t)op->phase)) < 0 ||
	    (r = store_codec_put_u8(b, flags)) < 0 ||
	    (r = buf_add(b, op->anchor.b, sizeof(op->anchor.b))) < 0 ||
	    (r = store_codec_put_str(b, op->dn, OBJ_DN_MAX)) < 0 ||
	    (r = store_codec_put_str(b, op->domain, STORE_OP_TEXT_MAX)) < 0 ||
	    (r = store_codec_put_str(b, op->name, STORE_OP_TEXT_MAX)) < 0)
		return r;
	if (op->external != NULL && (r = store_codec_put_str(b, op->external,
	    RS_FIELD_VALUE_MAX)) < 0)
		return r;
	if (op->reason != NULL && (r = store_codec_put_str(b, op->reason,
	    STORE_OP_TEXT_MAX)) < 0)
		return r;
	if ((r = store_codec_record_encode(&op->fields, b)) < 0 ||
	    (r = store_codec_put_u32(b, (uint32_t)op->nchanges)) < 0)
		return r;
	for (i = 0; i < op->nchanges; i++)
		if ((r = store_codec_put_str(b, op->changes[i].field,
		    RS_FIELD_NAME_MAX)) < 0 ||
		    (r = store_codec_put_str(b, op->changes[i].old,
		    RS_FIELD_VALUE_MAX)) < 0 ||
		    (r = store_codec_put_str(b, op->changes[i].new,
		    RS_FIELD_VALUE_MAX)) < 0)
			return r;
	return store_codec_strlist_encode(&op->values, b);
}

int
store_codec_op_decode(const void *p, size_t len, struct plan_op *op)
{
	struct store_codec_rd rd = { p, len };
	uint8_t u8[6];
	uint32_t n, i;
	size_t k;
	int r;

	memset(op, 0, sizeof(*op));
	rs_record_init(&op->fields);
	rs_strlist_init(&op->values);
	if (p == NULL || len > STORE_LIST_MAX)
		return -ADSYNC_EPARSE;
	for (k = 0; k < sizeof(u8); k++)
		if ((r = store_codec_get_u8(&rd, &u8[k])) < 0)
			return r;
	if (u8[0] != STORE_CODEC_FORMAT || u8[1] >= PLAN_OP_COUNT ||
	    u8[2] >= PLAN_SVC_COUNT || u8[3] >= PLAN_K_COUNT || u8[4] > 5 ||
	    (u8[5] & ~0x0fu) != 0 || rd.left < sizeof(op->anchor.b))
		return -ADSYNC_EPARSE;
	op->op = (enum plan_opkind)u8[1];
	op->service = (enum plan_service)u8[2];
	op->kind = (enum plan_kind)u8[3];
	op->phase = u8[4];
	op->leaves_scope = (u8[5] & STORE_OP_F_LEAVES) != 0;
	op->removal = (u8[5] & STORE_OP_F_REMOVAL) != 0;
	memcpy(op->anchor.b, rd.p, sizeof(op->anchor.b));
	rd.p += sizeof(op->anchor.b);
	rd.left -= sizeof(op->anchor.b);
	if ((r = store_codec_get_strdup(&rd, OBJ_DN_MAX, &op->dn)) < 0 ||
	    (r = store_codec_get_strdup(&rd, STORE_OP_TEXT_MAX,
	    &op->domain)) < 0 ||
	    (r = store_codec_get_strdup(&rd, STORE_OP_TEXT_MAX,
	    &op->name)) < 0)
		return r;
	if ((u8[5] & STORE_OP_F_EXTERNAL) != 0 && (r =
	    store_codec_get_strdup(&rd, RS_FIELD_VALUE_MAX,
	    &op->external)) < 0)
		return r;
	if ((u8[5] & STORE_OP_F_REASON) != 0 && (r =
	    store_codec_get_strdup(&rd, STORE_OP_TEXT_MAX, &op->reason)) < 0)
		return r;
	if ((r = store_codec_record_read(&rd, &op->fields)) < 0 ||
	    (r = store_codec_get_u32(&rd, &n)) < 0)
		return r;
	if (n > RS_RECORD_MAX_FIELDS || n > rd.left / 12)
		return -ADSYNC_EPARSE;
	if (n > 0 && (op->changes = calloc(n, sizeof(*op->changes))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		op->nchanges = i + 1;
		if ((r = store_codec_get_strdup(&rd, RS_FIELD_NAME_MAX,
		    &op->changes[i].field)) < 0 ||
		    (r = store_codec_get_strdup(&rd, RS_FIELD_VALUE_MAX,
		    &op->changes[i].old)) < 0 ||
		    (r = store_codec_get_strdup(&rd, RS_FIELD_VALUE_MAX,
		    &op->changes[i].new)) < 0)
			return r;
	}
	/* The list is last: the rest of the input is exactly it. */
	return store_codec_strlist_decode(rd.p, rd.left, &op->values);
}

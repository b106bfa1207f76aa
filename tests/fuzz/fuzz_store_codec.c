/*
 * Fuzz harness: the store's row-body decoders (src/store/store_codec.c,
 * declared in store_internal.h): store_codec_obj_decode(),
 * store_codec_record_decode() and store_codec_strlist_decode(). The bodies
 * come from state.db, which anyone able to write state_dir could have
 * altered, so they are decoded as untrusted input.
 *
 * Input: byte 0 picks the decoder ('D': a whole plan op of the spill,
 * store_codec_op_decode(); else modulo 3: 'A' object, 'B' record, 'C'
 * string list in the corpus); the rest is the body. Checked: a refusal is
 * -ADSYNC_EPARSE (or -ENOMEM); an accepted body encodes back to exactly the
 * same bytes (the format is strict: one encoding per value), so what the
 * store reads is what it wrote. Single thread; the input is capped at
 * 256 KiB.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "obj.h"
#include "plan.h"
#include "store_internal.h"
#include "target.h"

#define FUZZ_CODEC_MAX (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_codec_same(const struct buf *b, const uint8_t *p, size_t len,
    const char *what)
{
	if (b->len != len || (len > 0 && memcmp(b->data, p, len) != 0)) {
		fprintf(stderr, "%s: an accepted body (%zu bytes) encodes to "
		    "other bytes (%zu)\n", what, len, b->len);
		abort();
	}
}

static void
fuzz_codec_refused(int r)
{
	if (r != -ADSYNC_EPARSE && r != -ENOMEM) {
		fprintf(stderr, "refused with %d\n", r);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t len = size - 1;
	struct rs_strlist l;
	struct rs_record rec;
	struct obj *o;
	struct buf b;
	int r;

	if (size < 1 || size > FUZZ_CODEC_MAX)
		return 0;
	buf_init(&b, len + 1024);
	if (data[0] == 'D') {
		struct plan_op op;

		if ((r = store_codec_op_decode(p, len, &op)) == 0) {
			if (store_codec_op_encode(&op, &b) != 0)
				abort();
			fuzz_codec_same(&b, p, len, "plan op");
		} else {
			fuzz_codec_refused(r);
		}
		plan_op_fini(&op);
		buf_fini(&b);
		return 0;
	}
	switch ((data[0] + 3 - 'A' % 3) % 3) {	/* 'A' is 0 */
	case 0:
		if ((o = obj_new()) == NULL)
			abort();
		if ((r = store_codec_obj_decode(p, len, o)) == 0) {
			if (store_codec_obj_encode(o, &b) != 0)
				abort();
			fuzz_codec_same(&b, p, len, "object");
		} else {
			fuzz_codec_refused(r);
		}
		obj_free(o);
		break;
	case 1:
		rs_record_init(&rec);
		if ((r = store_codec_record_decode(p, len, &rec)) == 0) {
			if (store_codec_record_encode(&rec, &b) != 0)
				abort();
			fuzz_codec_same(&b, p, len, "record");
		} else {
			fuzz_codec_refused(r);
		}
		rs_record_fini(&rec);
		break;
	default:
		rs_strlist_init(&l);
		if ((r = store_codec_strlist_decode(p, len, &l)) == 0) {
			if (store_codec_strlist_encode(&l, &b) != 0)
				abort();
			fuzz_codec_same(&b, p, len, "string list");
		} else {
			fuzz_codec_refused(r);
		}
		rs_strlist_fini(&l);
		break;
	}
	buf_fini(&b);
	return 0;
}

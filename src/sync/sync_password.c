/*
 * Random passwords for new mailboxes. The API requires one on create; the
 * user never learns it (it is never stored, logged or shown): users set
 * their own by changing their AD password, which the password sync pushes
 * (the seed: "When you create new mailboxes, those users must change their
 * passwords"). Any thread; uses libsodium's CSPRNG (sodium_init() was
 * called by main).
 */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "secret.h"
#include "sync.h"

/* No look-alikes, no characters that need care in a form. */
static const char *const sync_pw_class[4] = {
	"ABCDEFGHJKLMNPQRSTUVWXYZ",
	"abcdefghijkmnopqrstuvwxyz",
	"23456789",
	"!#%*+-=?@^_~",
};

/*
 * Random bytes drawn once per password (one getrandom call, not one per
 * character: a first sync makes thousands of passwords), consumed with
 * rejection sampling so every pick stays uniform.
 */
struct sync_pw_pool {
	/* A 24-character password takes about 70 picks (classes, characters,
	 * shuffle); a refill covers the rare rejections. */
	unsigned char b[96];
	size_t used;
};

/* A uniform number below `n` (1..256). */
static unsigned
sync_pw_uniform(struct sync_pw_pool *p, unsigned n)
{
	unsigned limit = 256 - 256 % n, v;

	do {
		if (p->used == sizeof(p->b)) {
			randombytes_buf(p->b, sizeof(p->b));
			p->used = 0;
		}
		v = p->b[p->used++];
	} while (v >= limit);
	return v % n;
}

static char
sync_pw_pick(struct sync_pw_pool *p, const char *set)
{
	return set[sync_pw_uniform(p, (unsigned)strlen(set))];
}

/* Fills buf[0..len) with a password (16 <= len <= 64 checked by callers). */
static void
sync_password_make(char *buf, size_t len)
{
	struct sync_pw_pool pool;
	size_t i, j;
	char t;

	randombytes_buf(pool.b, sizeof(pool.b));
	pool.used = 0;
	/* One of each class first (the rule wants 3 of 4; all 4 is safe
	 * against a stricter service), then any class, then a shuffle so the
	 * classes are not in a known position. */
	for (i = 0; i < 4; i++)
		buf[i] = sync_pw_pick(&pool, sync_pw_class[i]);
	for (; i < len; i++)
		buf[i] = sync_pw_pick(&pool,
		    sync_pw_class[sync_pw_uniform(&pool, 4)]);
	for (i = len - 1; i > 0; i--) {
		j = sync_pw_uniform(&pool, (unsigned)(i + 1));
		t = buf[i];
		buf[i] = buf[j];
		buf[j] = t;
	}
	sodium_memzero(&pool, sizeof(pool));
}

struct secret *
sync_password_new(size_t len)
{
	struct secret *s;
	char buf[64];

	if (len < 16 || len > sizeof(buf))
		return NULL;
	sync_password_make(buf, len);
	s = secret_new(buf, len, "new mailbox password");
	sodium_memzero(buf, sizeof(buf));
	return s;
}

int
sync_password_renew(struct secret *s, size_t len)
{
	char buf[64];
	int r;

	if (len < 16 || len > sizeof(buf))
		return -EINVAL;
	sync_password_make(buf, len);
	r = secret_replace(s, buf, len);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

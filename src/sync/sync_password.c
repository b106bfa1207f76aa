/*
 * Random passwords for new mailboxes. The API requires one on create; the
 * user never learns it (it is never stored, logged or shown): users set
 * their own by changing their AD password, which the password sync pushes
 * (the seed: "When you create new mailboxes, those users must change their
 * passwords"). Any thread; uses libsodium's CSPRNG (sodium_init() was
 * called by main).
 */
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
	unsigned char b[512];
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

struct secret *
sync_password_new(size_t len)
{
	struct sync_pw_pool pool;
	char buf[64];
	struct secret *s;
	size_t i, j;
	char t;

	if (len < 16 || len > sizeof(buf))
		return NULL;
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
	s = secret_new(buf, len, "new mailbox password");
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(&pool, sizeof(pool));
	return s;
}

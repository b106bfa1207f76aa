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

static char
sync_pw_pick(const char *set)
{
	return set[randombytes_uniform((uint32_t)strlen(set))];
}

struct secret *
sync_password_new(size_t len)
{
	char buf[64];
	struct secret *s;
	size_t i, j;
	char t;

	if (len < 16 || len > sizeof(buf))
		return NULL;
	/* One of each class first (the rule wants 3 of 4; all 4 is safe
	 * against a stricter service), then any class, then a shuffle so the
	 * classes are not in a known position. */
	for (i = 0; i < 4; i++)
		buf[i] = sync_pw_pick(sync_pw_class[i]);
	for (; i < len; i++)
		buf[i] = sync_pw_pick(sync_pw_class[randombytes_uniform(4)]);
	for (i = len - 1; i > 0; i--) {
		j = randombytes_uniform((uint32_t)(i + 1));
		t = buf[i];
		buf[i] = buf[j];
		buf[j] = t;
	}
	s = secret_new(buf, len, "new mailbox password");
	sodium_memzero(buf, sizeof(buf));
	return s;
}

/*
 * Active Directory's "Password must meet complexity requirements" rule,
 * as adsync-pwhook applies it in Samba's check password script mode (the
 * script's exit status replaces Samba's own complexity check). Pure: no
 * I/O, no logging; single thread (it keeps one file-local locale handle).
 * Input: the password exactly as Samba pipes it (UTF-8, untrusted bytes)
 * and the names Samba exports (SAMBA_CPS_ACCOUNT_NAME, SAMBA_CPS_FULL_NAME).
 * The rule and its sources are in pwhook_complexity.c.
 */
#ifndef ADSYNC_PWHOOK_COMPLEXITY_H
#define ADSYNC_PWHOOK_COMPLEXITY_H

#include <stddef.h>

/* The rule a password breaks, in the order they are checked. */
enum pwhook_cpx {
	PWHOOK_CPX_OK = 0,
	PWHOOK_CPX_NOT_UTF8,	/* not valid UTF-8, or a NUL byte */
	PWHOOK_CPX_ACCOUNT,	/* contains the sAMAccountName */
	PWHOOK_CPX_FULL_NAME,	/* contains a token of the display name */
	PWHOOK_CPX_CATEGORIES,	/* fewer than 3 of the 5 categories */
};

/* Character categories (a bit mask in pwhook_complexity_check()). */
#define PWHOOK_CPX_UPPER	0x01u	/* upper case letters, any script */
#define PWHOOK_CPX_LOWER	0x02u	/* lower case letters, any script */
#define PWHOOK_CPX_DIGIT	0x04u	/* 0-9 */
#define PWHOOK_CPX_SPECIAL	0x08u	/* ASCII punctuation */
#define PWHOOK_CPX_OTHER	0x10u	/* letters without case (e.g. CJK) */
#define PWHOOK_CPX_NEEDED	3	/* categories a password needs */

/*
 * Loads the C.UTF-8 locale used to classify and upcase non-ASCII
 * characters (newlocale(), so the process locale is not changed). Called
 * by pwhook_complexity_check() when needed; call it first to learn whether
 * it worked. 0, or -ENOENT: then only ASCII is classified (a non-ASCII
 * character counts in no category and is compared case-sensitively), which
 * can refuse a good password but never accepts a weak one.
 */
int pwhook_complexity_init(void);
/* Frees the locale handle; pwhook_complexity_check() loads it again. */
void pwhook_complexity_fini(void);

/*
 * Checks `pw` (`len` bytes, borrowed, not NUL-terminated) against the
 * rule for the account `account` (sAMAccountName) with display name
 * `full_name`; either may be NULL or "" (that check is skipped, as it is
 * when the name is not valid UTF-8). Returns the first rule broken, or
 * PWHOOK_CPX_OK. *cats (OUT, may be NULL) always receives the
 * PWHOOK_CPX_* category mask found in the password (0 when not UTF-8).
 * The password is read in place and no copy of it is kept.
 */
enum pwhook_cpx pwhook_complexity_check(const unsigned char *pw, size_t len,
    const char *account, const char *full_name, unsigned *cats /* OUT */);

/* The number of categories in a mask. */
unsigned pwhook_complexity_count(unsigned cats);

/* A static, human-readable description of `r` for a log line. */
const char *pwhook_complexity_str(enum pwhook_cpx r);

#endif

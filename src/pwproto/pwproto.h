/*
 * pwproto: what the password hooks and adsync's receiver agree on
 * (docs/pwsync.md): the hook file written by `adsync hook enroll` and read
 * by the hooks, and the capture payload of POST /v1/password (encoded by
 * the hooks, decoded by the receiver). Pure, no I/O except
 * pw_hookfile_load(); any thread; every decoder is bounded and fuzzed
 * (tests/fuzz/fuzz_pwproto_*.c).
 *
 * Secrets: the client key and the password live in `struct secret`
 * (locked, wiped on free); nothing here logs or prints them, and error
 * messages never quote a value of the password or the key.
 */
#ifndef ADSYNC_PWPROTO_H
#define ADSYNC_PWPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "secret.h"

#define PW_HOOKFILE_FORMAT 1
#define PW_PROTO_VERSION 1
/* Largest body of POST /v1/password and /v1/heartbeat. */
#define PW_BODY_MAX 8192
/* Largest hook file (certificates and keys in base64). */
#define PW_HOOKFILE_MAX 65536
#define PW_DC_MAX 64		/* DC name: [A-Za-z0-9._-], 1..64 */
#define PW_ACCOUNT_MAX 256	/* sAMAccountName / UPN */
#define PW_PASSWORD_MAX 512	/* bytes of UTF-8 */
#define PW_ID_LEN 32		/* hex characters of a capture id */
/* Longest line of a hook file (newline excluded): a PKCS#12 bundle of an
 * ECDSA P-256 certificate in base64 is about 1.5 KiB; this leaves room for
 * RSA keys without letting one line take the whole file. */
#define PW_HOOKFILE_LINE_MAX 16384
/* Longest `receiver` value: https://HOST[:PORT], nothing after the port. */
#define PW_RECEIVER_MAX 300
#define PW_VERSION_MAX 63	/* heartbeat `version` */
/* Largest `captured` / `last_change` accepted: 9999-12-31T23:59:59.999Z. */
#define PW_TIME_MS_MAX 253402300799999LL

/* ---------------------------------------------------------------------
 * The hook file
 */
struct pw_hookfile {
	char dc[PW_DC_MAX + 1];
	char *receiver;			/* owned: https://HOST:PORT */
	unsigned char *ca_der;		/* owned */
	size_t ca_len;
	unsigned char *cert_der;	/* owned */
	size_t cert_len;
	struct secret *key_der;		/* owned: PKCS#8 DER */
	struct secret *p12;		/* owned: PKCS#12, empty password */
};

/* True when `dc` is a valid DC name (1..PW_DC_MAX of [A-Za-z0-9._-], not
 * starting with '.' or '-'). */
bool pw_dc_name_ok(const char *dc);

/*
 * Parses a hook file's text (`len` bytes, at most PW_HOOKFILE_MAX; it need
 * not be NUL-terminated) into `out` (zeroed first; pw_hookfile_fini() frees
 * it, also after a failure). 0, -ENOMEM, or -EINVAL with `why` naming the
 * line and the problem (never quoting a key). Every key of docs/pwsync.md is
 * required; unknown keys, duplicate keys, bad base64 (standard alphabet,
 * padding required), empty values, lines longer than PW_HOOKFILE_LINE_MAX,
 * NUL bytes and a `format` other than 1 are errors. `#` starts a comment at
 * the start of a line or after a blank; a trailing CR is ignored.
 * `receiver` must be https://HOST[:PORT] (HOST a DNS name, an IPv4 address
 * or a bracketed IPv6 address; no path, user or query).
 */
int pw_hookfile_parse(const char *text, size_t len,
    struct pw_hookfile *out /* OUT */, char *why, size_t whylen);

/* Reads `path` (a regular file, not a symbolic link, owned by root or the
 * effective user, no group or other permission bits, i.e. 0600 or 0400:
 * anything else is refused with -ADSYNC_ESECRET and a message that names
 * the fix) through secret_load_file(), so the text with the key is held in
 * locked memory, and parses it. `out` as for pw_hookfile_parse(). 0, or a
 * negative code with `why`. */
int pw_hookfile_load(const char *path, struct pw_hookfile *out /* OUT */,
    char *why, size_t whylen);

/* Appends the hook file's text to `b` (the format above, with a comment
 * header naming the DC). The text holds the client key: `b` should be
 * released with buf_fini(), which wipes it. 0, -EINVAL when `hf` is
 * incomplete or invalid (it must be what pw_hookfile_parse() accepts),
 * -ENOMEM, or -ADSYNC_ETOOBIG when `b`'s limit is passed (`b` is freed). */
int pw_hookfile_write(const struct pw_hookfile *hf, struct buf *b);

/* Frees what `hf` owns (the key and the PKCS#12 are wiped) and zeroes it;
 * safe on a zeroed struct and after a failed parse. */
void pw_hookfile_fini(struct pw_hookfile *hf);

/* ---------------------------------------------------------------------
 * Captures (POST /v1/password)
 */
enum pw_source {
	PW_SRC_CHECK_PASSWORD,	/* "check-password": Samba, pre-commit */
	PW_SRC_SYNCPASSWORDS,	/* "syncpasswords": Samba, committed */
	PW_SRC_PASSWORDFILTER,	/* "passwordfilter": Windows, pre-commit */
	PW_SRC_NOTIFY,		/* "notify": Windows, committed */
	PW_SRC_COUNT
};

struct pw_capture {
	char id[PW_ID_LEN + 1];		/* lowercase hex */
	enum pw_source source;
	bool committed;
	char account[PW_ACCOUNT_MAX + 1];	/* may be "" when upn is set */
	char upn[PW_ACCOUNT_MAX + 1];		/* may be "" */
	char guid[37];			/* 8-4-4-4-12 lowercase, or "" */
	char sid[188];			/* S-1-..., or "" */
	struct secret *password;	/* owned */
	int64_t captured_ms;		/* Unix ms */
};

/* The wire name of `s` ("check-password", ...); a static string, "?" for
 * a value out of range. */
const char *pw_source_name(enum pw_source s);

/* A fresh random capture id (libsodium's CSPRNG; calls sodium_init(),
 * which is idempotent and thread-safe). */
void pw_capture_new_id(char id[PW_ID_LEN + 1] /* OUT */);

/*
 * Decodes a body of POST /v1/password (`len` bytes, need not be
 * NUL-terminated; more than PW_BODY_MAX is -E2BIG). Strict: every field of
 * docs/pwsync.md checked (types, lengths, UTF-8, no control characters in
 * names, id 32 lowercase hex, guid 8-4-4-4-12 hex (either case, stored
 * lowercase), sid S-1-A-S1[-S2...] with 1..15 sub-authorities, v == 1,
 * account or upn present, strings that are present not empty, password
 * 1..PW_PASSWORD_MAX bytes, captured 1..PW_TIME_MS_MAX), duplicate and
 * unknown fields refused. `out` is zeroed first; 0 and `out` filled
 * (pw_capture_fini() frees it; it is also safe after a failure), or -E2BIG,
 * -ENOMEM, or -EINVAL with `why` naming the field (never quoting the
 * password or any part of the body but a field name).
 */
int pw_capture_decode(const char *body, size_t len,
    struct pw_capture *out /* OUT */, char *why, size_t whylen);

/* Appends the JSON body of `c` to `b` (the password is copied into `b`:
 * buf_fini() wipes it). `c` must pass the checks of pw_capture_decode()
 * (-EINVAL otherwise, e.g. a password that is not valid UTF-8), so what is
 * encoded decodes again. 0, -EINVAL, -ENOMEM or -ADSYNC_ETOOBIG (`b`
 * freed). */
int pw_capture_encode(const struct pw_capture *c, struct buf *b);

/* Frees the password (wiped) and zeroes `c`; safe on a zeroed struct. */
void pw_capture_fini(struct pw_capture *c);

/* The media type of both requests' bodies (the hooks send exactly this). */
#define PW_CONTENT_TYPE "application/json"

/*
 * True when `value`, a request's Content-Type (NULL when absent), is
 * application/json: the type in any case, blanks around it, and at most
 * the parameter charset=utf-8 (either case, quoted or not), which some
 * HTTP stacks add. Anything else, a missing header included, is false
 * (the receiver answers 415). Pure.
 */
bool pw_content_type_ok(const char *value);

/* ---------------------------------------------------------------------
 * Heartbeats (POST /v1/heartbeat)
 */
struct pw_heartbeat {
	char version[64];
	uint64_t spooled;
	int64_t last_change_ms;		/* 0 = none */
};

/* Decodes a body of POST /v1/heartbeat as strictly as pw_capture_decode():
 * v == 1, version 1..PW_VERSION_MAX printable bytes, spooled 0..INT64_MAX,
 * last_change 0..PW_TIME_MS_MAX, nothing else. `out` is written only on
 * success. 0, -E2BIG, -ENOMEM or -EINVAL with `why`. */
int pw_heartbeat_decode(const char *body, size_t len,
    struct pw_heartbeat *out /* OUT */, char *why, size_t whylen);
/* Appends the JSON body of `h` to `b`. 0, -EINVAL (a field out of the
 * bounds above), -ENOMEM or -ADSYNC_ETOOBIG. */
int pw_heartbeat_encode(const struct pw_heartbeat *h, struct buf *b);

/* ---------------------------------------------------------------------
 * Helpers shared by the hooks and the receiver
 */

/*
 * Makes jansson wipe every block it frees (json_set_alloc_funcs with a
 * free that clears malloc_usable_size() bytes first): the parser keeps the
 * raw text of each string token, and with it a password, in buffers it
 * frees without clearing. Process-wide: call once in main before any
 * thread starts and before any jansson value exists.
 */
void pw_json_wipe_install(void);

/* Formats objectGUID's 16 bytes as AD prints them (the first three groups
 * little-endian): 8-4-4-4-12 lowercase hex. */
void pw_guid_format(const unsigned char bin[16], char out[37] /* OUT */);

/* True when `s` is exactly 8-4-4-4-12 hex digits (either case). */
bool pw_guid_ok(const char *s);

#endif

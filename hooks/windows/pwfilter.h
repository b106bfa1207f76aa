/*
 * adsync-pwfilter.dll: internal interfaces between the DLL's modules
 * (docs/pwsync.md, hooks/windows/README.md).
 *
 * Threads: LSASS calls the three exports on its own threads
 * (pwfilter_main.c); the DLL runs ONE sender thread of its own
 * (pwfilter_send.c). They share only the spool directory, an auto-reset
 * event and a few interlocked counters; the configuration is written once
 * by InitializeChangeNotify before the sender starts and is read-only
 * afterwards.
 *
 * Trusted input: the hook file (written by `adsync hook enroll`, protected
 * by its ACL) is still parsed strictly and bounded; answers from the
 * receiver are trusted only after its certificate chains to the hook
 * file's ca_cert.
 *
 * Secrets: passwords exist in clear only in heap buffers that are wiped
 * with SecureZeroMemory before they are freed; on disk only DPAPI blobs.
 * client_p12 is wiped when the configuration is freed.
 */
#ifndef ADSYNC_PWFILTER_H
#define ADSYNC_PWFILTER_H

#include <windows.h>
#include <winhttp.h>
#include <wincrypt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits shared with src/pwproto/pwproto.h (the receiver enforces them). */
#define PWF_HOOKFILE_MAX 65536
#define PWF_BODY_MAX 8192
#define PWF_DC_MAX 64
#define PWF_ACCOUNT_MAX 256
#define PWF_PASSWORD_MAX 512
#define PWF_ID_LEN 32
/* A spool entry is a DPAPI blob of one body: far below this. */
#define PWF_SPOOL_ENTRY_MAX 65536
/* Refuse new captures once this many are waiting (disk is finite). */
#define PWF_SPOOL_COUNT_MAX 10000
/* Spool entries older than this are dropped unsent (docs: 7 days). */
#define PWF_SPOOL_MAX_AGE_MS (7LL * 24 * 3600 * 1000)
#define PWF_LOG_MAX (1024 * 1024)
#define PWF_PATH_MAX 520

#ifndef PWF_VERSION
#define PWF_VERSION "0.0.0"
#endif
#define PWF_WIDEN2(x) L##x
#define PWF_WIDEN(x) PWF_WIDEN2(x)
#define PWF_VERSION_W PWF_WIDEN(PWF_VERSION)

/* ------------------------------------------------------------------
 * Hook file (pwfilter_conf.c)
 */
struct pwf_conf {
	char dc[PWF_DC_MAX + 1];
	char host[256];			/* receiver host, as written */
	WCHAR whost[256];		/* the same, for WinHttpConnect */
	INTERNET_PORT port;
	BYTE *ca_der;			/* owned */
	DWORD ca_len;
	BYTE *p12;			/* owned, secret: wiped on fini */
	DWORD p12_len;
};

/*
 * Parses the text of a hook file (`len` bytes, at most PWF_HOOKFILE_MAX)
 * into `out` (zeroed first; pwf_conf_fini() frees it, also after a
 * failure). 0, or -1 with `why` naming the line and the problem, never a
 * value.
 */
int pwf_conf_parse(const char *text, size_t len, struct pwf_conf *out,
    char *why, size_t whylen);
/* Reads and parses the file `path`. 0 or -1 with `why`. */
int pwf_conf_load(const WCHAR *path, struct pwf_conf *out, char *why,
    size_t whylen);
void pwf_conf_fini(struct pwf_conf *c);

/* Strict base64 (standard alphabet, padding required, no whitespace).
 * Returns a HeapAlloc'd buffer (caller wipes if secret and frees with
 * pwf_free) and its length in *outlen, or NULL. */
BYTE *pwf_base64_decode(const char *s, size_t len, DWORD *outlen);

/* ------------------------------------------------------------------
 * Paths, memory, time, logging (pwfilter_log.c)
 */
extern WCHAR pwf_data_dir[PWF_PATH_MAX];	/* %ProgramData%\adsync */
extern WCHAR pwf_spool_dir[PWF_PATH_MAX];	/* ...\spool */

/* Fills pwf_data_dir and pwf_spool_dir and creates both directories
 * with a DACL for SYSTEM and Administrators only. 0 or -1. */
int pwf_paths_init(void);

void *pwf_alloc(size_t n);
/* Frees `p`; wipes `n` bytes first when n > 0. Accepts NULL. */
void pwf_free(void *p, size_t n);
/* Unix time in milliseconds. */
int64_t pwf_now_ms(void);
int64_t pwf_filetime_ms(const FILETIME *ft);

void pwf_log_init(void);
/* One line to pwfilter.log. SECURITY: callers never pass a password, a
 * body or key material; the format is always a literal. */
void pwf_log(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));

/* ------------------------------------------------------------------
 * Small JSON writer into a fixed buffer (pwfilter_spool.c)
 */
struct pwf_json {
	char *p;		/* owned, PWF_BODY_MAX + 1 bytes, wiped on fini */
	size_t len;
	bool overflow;
};
int pwf_json_init(struct pwf_json *j);
void pwf_json_raw(struct pwf_json *j, const char *s);
/* Appends `s` (UTF-8, `n` bytes) as a JSON string with quotes. */
void pwf_json_str(struct pwf_json *j, const char *s, size_t n);
void pwf_json_int(struct pwf_json *j, int64_t v);
void pwf_json_fini(struct pwf_json *j);

/* ------------------------------------------------------------------
 * Spool (pwfilter_spool.c)
 */
extern volatile LONG pwf_spooled;		/* entries found by the sender */
extern volatile LONG64 pwf_last_change_ms;	/* 0 = none yet */

/* Random capture id: 32 lowercase hex characters. 0 or -1. */
int pwf_new_id(char id[PWF_ID_LEN + 1]);
/* Encrypts `body` with DPAPI (machine scope) and writes it as
 * spool\ID.bin through a temporary name. 0 or -1 (logged). */
int pwf_spool_write(const char *id, const char *body, size_t len);
/* Reads and decrypts one entry. On success *body is a HeapAlloc'd buffer
 * of *len bytes plus a NUL, which the caller wipes and frees with
 * pwf_free(*body, *len). 0, -1 (I/O error, keep) or -2 (undecryptable or
 * oversized: drop). */
int pwf_spool_read(const WCHAR *path, char **body, DWORD *len);

/* ------------------------------------------------------------------
 * Sender (pwfilter_send.c)
 */
/* Starts the sender thread; `conf` is NULL when the hook file could not
 * be used (then the sender only sweeps old entries). Takes ownership of
 * `conf`. 0 or -1. */
int pwf_sender_start(struct pwf_conf *conf, HANDLE wake);

/* Server certificate check (exported to the module for tests and the
 * callback): 0 when `cert` chains to the CA in `conf` only and names
 * conf->host in its subjectAltName. */
struct pwf_verifier;
struct pwf_verifier *pwf_verifier_new(const struct pwf_conf *conf);
int pwf_verifier_check(struct pwf_verifier *v, PCCERT_CONTEXT cert,
    char *why, size_t whylen);
void pwf_verifier_free(struct pwf_verifier *v);

#endif

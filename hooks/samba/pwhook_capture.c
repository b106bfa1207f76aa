/*
 * The capture modes. `-c HOOKFILE` is Samba's check password script: the
 * new password on stdin (UTF-8, no newline), the account in
 * SAMBA_CPS_ACCOUNT_NAME / SAMBA_CPS_USER_PRINCIPAL_NAME, run as root
 * before the change is committed, refused by Samba after 10 s and judged by
 * its exit code. `--syncpasswords` is samba-tool's syncpasswords script:
 * one object's LDIF on stdin, committed changes only, and a reply that
 * must start with "DONE-EXIT: ".
 *
 * adsync's own troubles never fail a password change (exit 0, DONE-EXIT:
 * 0): adsync being down, a bad hook file or a full disk. They spool the
 * capture durably first, then try one send with a short deadline, and
 * leave what fails to the sender. The one exception is the domain's own
 * policy: Samba runs a check password script only while complexity is on
 * and takes its exit status INSTEAD of its own check, so `-c` applies the
 * complexity rule first, independently of the hook file, and exits 1 when
 * the password breaks it (pwhook_complexity.c). Single thread; stdin and
 * the environment come from Samba and are bounded and checked.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "pwhook.h"
#include "timing.h"

/* Reading stdin may not take longer than this: a caller that never closes
 * it must not hold the password change until Samba's 10 s limit. */
#define PWHOOK_STDIN_TIMEOUT_MS 3000
/* What is drained (and discarded) after an overlong password, so that the
 * writer does not see a broken pipe. */
#define PWHOOK_DRAIN_MAX (1024 * 1024)

/*
 * Reads stdin into `p` (at most `max` bytes) until EOF or the deadline.
 * Returns the byte count, or -ETIMEDOUT / -errno. Reading stops at `max`:
 * the caller asks for one byte more than it accepts to see "too long".
 */
static ssize_t
pwhook_read_stdin(unsigned char *p, size_t max, int64_t deadline)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int64_t left;
	int pr;

	while (got < max) {
		left = deadline - timing_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		n = read(STDIN_FILENO, p + got, max - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void
pwhook_drain_stdin(int64_t deadline)
{
	unsigned char junk[4096];
	size_t total = 0;
	ssize_t n;

	while (total < PWHOOK_DRAIN_MAX) {
		n = pwhook_read_stdin(junk, sizeof(junk), deadline);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	sodium_memzero(junk, sizeof(junk));
}

/*
 * Spools `c`, tries one send, and deletes the entry when the receiver took
 * (or refused for good) the capture. Logs every outcome without the
 * password. Never fails: what cannot be done is logged.
 */
static void
pwhook_capture_deliver(const char *hookfile, const char *spooldir,
    struct pw_capture *c)
{
	struct pw_hookfile hf;
	struct pwhook_spool sp;
	struct pwhook_client *cl = NULL;
	struct buf json;
	char why[512], who[PW_ACCOUNT_MAX + 1];
	bool spooled = false;
	enum pwhook_result res;
	int r;

	memset(&hf, 0, sizeof(hf));
	sp.dirfd = -1;
	sp.key = NULL;
	buf_init(&json, PW_BODY_MAX);
	pwhook_log_safe(c->account[0] ? c->account : c->upn, who, sizeof(who));

	if ((r = pw_capture_encode(c, &json)) < 0) {
		pwhook_warnx("account=%s: capture cannot be encoded (%s): "
		    "password change not captured", who, r == -EINVAL ?
		    "a field is invalid, e.g. a password that is not UTF-8" :
		    adsync_strerror(r));
		goto out;
	}
	if ((r = pwhook_spool_open(&sp, spooldir, why, sizeof(why))) < 0)
		pwhook_warnx("spool: %s; trying a direct send", why);
	else if ((r = pwhook_spool_put(&sp, c->id, &json)) < 0)
		pwhook_warnx("spool: %s: cannot write capture %s: %s; trying "
		    "a direct send", spooldir, c->id, adsync_strerror(r));
	else
		spooled = true;
	/* The JSON copy is not needed any more: the spool has it sealed. */
	buf_fini(&json);

	if ((r = pw_hookfile_load(hookfile, &hf, why, sizeof(why))) < 0) {
		pwhook_warnx("hook file: %s; capture %s account=%s %s", why,
		    c->id, who, spooled ? "stays in the spool" : "is lost");
		goto out;
	}
	if ((cl = pwhook_client_new(&hf, PWHOOK_CAPTURE_TIMEOUT_MS, why,
	    sizeof(why))) == NULL) {
		pwhook_warnx("client: %s; capture %s %s", why, c->id,
		    spooled ? "stays in the spool" : "is lost");
		goto out;
	}
	res = pwhook_send_capture(cl, c);
	if (res == PWHOOK_SENT && spooled)
		pwhook_spool_note_change(&sp, c->captured_ms);
	if (res != PWHOOK_KEEP && spooled &&
	    (r = pwhook_spool_del(&sp, c->id)) < 0)
		pwhook_warnx("spool: cannot remove capture %s: %s", c->id,
		    adsync_strerror(r));
	if (res == PWHOOK_KEEP)
		pwhook_info("capture %s account=%s %s", c->id, who, spooled ?
		    "spooled: the sender will deliver it" :
		    "not delivered and not spooled: lost");
out:
	pwhook_client_free(cl);
	pw_hookfile_fini(&hf);
	pwhook_spool_close(&sp);
	buf_fini(&json);
}

/* Copies an environment name into `dst`; false (and logs) if unusable. */
static bool
pwhook_env_name(const char *var, char *dst, size_t dstlen)
{
	const char *v = getenv(var);
	size_t n;

	if (v == NULL || v[0] == '\0')
		return true;
	n = strlen(v);
	if (n >= dstlen) {
		pwhook_warnx("%s: longer than %zu bytes: password change not "
		    "captured", var, dstlen - 1);
		return false;
	}
	memcpy(dst, v, n + 1);
	return true;
}

/*
 * The domain's complexity rule, applied before anything else. Returns 0
 * when the password meets it, 1 (logged, naming the account and the rule,
 * never the password) when it does not.
 */
static int
pwhook_check_complexity(const unsigned char *pw, size_t n, const char *who)
{
	const char *account = getenv("SAMBA_CPS_ACCOUNT_NAME");
	const char *full = getenv("SAMBA_CPS_FULL_NAME");
	enum pwhook_cpx rule;
	unsigned cats;

	if (pwhook_complexity_init() < 0)
		pwhook_warnx("locale C.UTF-8 not available: non-ASCII letters "
		    "count in no complexity category");
	rule = pwhook_complexity_check(pw, n, account, full, &cats);
	pwhook_complexity_fini();
	if (rule == PWHOOK_CPX_OK)
		return 0;
	if (rule == PWHOOK_CPX_CATEGORIES)
		pwhook_warnx("account=%s: password refused by the domain's "
		    "complexity rule: characters from %u of the 5 categories "
		    "(upper case, lower case, digits, symbols, letters without "
		    "case), %d needed; not captured", who,
		    pwhook_complexity_count(cats), PWHOOK_CPX_NEEDED);
	else
		pwhook_warnx("account=%s: password refused by the domain's "
		    "complexity rule: %s; not captured", who,
		    pwhook_complexity_str(rule));
	return 1;
}

int
pwhook_check_password(const char *hookfile, const char *spooldir)
{
	/* Check-only mode (no libsodium) and out-of-memory fallback. */
	unsigned char local[PWHOOK_CHECK_MAX + 1];
	struct pw_capture c;
	unsigned char *pw = NULL;
	int64_t deadline = timing_now_ms() + PWHOOK_STDIN_TIMEOUT_MS;
	const char *name;
	char who[PW_ACCOUNT_MAX + 1];
	ssize_t n;
	int status = 0;

	memset(&c, 0, sizeof(c));
	/* sodium_malloc: guard pages, locked, wiped by sodium_free. */
	if (hookfile != NULL &&
	    (pw = sodium_malloc(PWHOOK_CHECK_MAX + 1)) == NULL) {
		pwhook_warnx("out of memory: password change checked but not "
		    "captured");
		hookfile = NULL;
	}
	if (pw == NULL)
		pw = local;
	n = pwhook_read_stdin(pw, PWHOOK_CHECK_MAX + 1, deadline);
	name = getenv("SAMBA_CPS_ACCOUNT_NAME");
	if (name == NULL || name[0] == '\0')
		name = getenv("SAMBA_CPS_USER_PRINCIPAL_NAME");
	pwhook_log_safe(name != NULL && name[0] != '\0' ? name : "?", who,
	    sizeof(who));

	/*
	 * SECURITY: a password that cannot be checked is refused: exiting 0
	 * would make Samba accept it unchecked. Samba itself refuses the
	 * change when its check cannot run.
	 */
	if (n < 0) {
		pwhook_warnx("account=%s: reading the password: %s: password "
		    "refused, the domain's complexity rule cannot be checked",
		    who, adsync_strerror((int)n));
		status = 1;
		goto out;
	}
	if (n > PWHOOK_CHECK_MAX) {
		pwhook_warnx("account=%s: password longer than %d bytes "
		    "(AD allows 256 characters): refused", who,
		    PWHOOK_CHECK_MAX);
		pwhook_drain_stdin(deadline);
		status = 1;
		goto out;
	}
	if ((status = pwhook_check_complexity(pw, (size_t)n, who)) != 0)
		goto out;
	if (hookfile == NULL) {
		pwhook_info("account=%s: password meets the complexity rule; "
		    "not captured (see above)", who);
		goto out;
	}

	/* From here on, adsync's own failures never refuse the change. */
	if (!pwhook_env_name("SAMBA_CPS_ACCOUNT_NAME", c.account,
	    sizeof(c.account)) ||
	    !pwhook_env_name("SAMBA_CPS_USER_PRINCIPAL_NAME", c.upn,
	    sizeof(c.upn)))
		goto out;
	if (c.account[0] == '\0' && c.upn[0] == '\0') {
		pwhook_warnx("no SAMBA_CPS_ACCOUNT_NAME or "
		    "SAMBA_CPS_USER_PRINCIPAL_NAME (not run by Samba?): "
		    "password change not captured");
		goto out;
	}
	if (n > PW_PASSWORD_MAX) {
		pwhook_warnx("account=%s: password longer than %d bytes: "
		    "password change not captured", who, PW_PASSWORD_MAX);
		goto out;
	}
	if ((c.password = secret_new(pw, (size_t)n, "password")) == NULL) {
		pwhook_warnx("out of memory: password change not captured");
		goto out;
	}
	sodium_memzero(pw, PWHOOK_CHECK_MAX + 1);
	pw_capture_new_id(c.id);
	c.source = PW_SRC_CHECK_PASSWORD;
	c.committed = false;
	c.captured_ms = timing_wall_ms();
	pwhook_capture_deliver(hookfile, spooldir, &c);
out:
	if (pw != local)
		sodium_free(pw);
	explicit_bzero(local, sizeof(local));
	pw_capture_fini(&c);
	return status;
}

int
pwhook_syncpasswords(const char *hookfile, const char *spooldir)
{
	static const char done[] = "DONE-EXIT: 0\n";
	struct pwhook_ldif l;
	struct pw_capture c;
	unsigned char *text;
	int64_t deadline = timing_now_ms() + PWHOOK_STDIN_TIMEOUT_MS;
	char why[256], who[PW_ACCOUNT_MAX + 1];
	ssize_t n;

	memset(&c, 0, sizeof(c));
	memset(&l, 0, sizeof(l));
	text = NULL;
	if (hookfile == NULL) {
		/* A broken command line: answer, so samba-tool goes on. */
		pwhook_drain_stdin(deadline);
		goto done;
	}
	if ((text = sodium_malloc(PWHOOK_LDIF_MAX + 1)) == NULL) {
		pwhook_warnx("out of memory: object skipped");
		goto done;
	}
	n = pwhook_read_stdin(text, PWHOOK_LDIF_MAX + 1, deadline);
	if (n < 0) {
		pwhook_warnx("reading the LDIF: %s: object skipped",
		    adsync_strerror((int)n));
		goto done;
	}
	if (n > PWHOOK_LDIF_MAX) {
		pwhook_warnx("LDIF larger than %d bytes: object skipped",
		    PWHOOK_LDIF_MAX);
		pwhook_drain_stdin(deadline);
		goto done;
	}
	if (pwhook_ldif_parse((const char *)text, (size_t)n, &l, why,
	    sizeof(why)) < 0) {
		pwhook_warnx("LDIF: %s: object skipped", why);
		goto done;
	}
	pwhook_log_safe(l.account[0] ? l.account : l.upn, who, sizeof(who));
	if (l.password == NULL) {
		/* Every enabled user is reported on the first run, and users
		 * whose password predates the GPG key have no cleartext. */
		pwhook_debug("account=%s: no virtualClearTextUTF8: ignored",
		    who);
		goto done;
	}
	if (l.account[0] == '\0' && l.upn[0] == '\0') {
		pwhook_warnx("LDIF without sAMAccountName or userPrincipalName: "
		    "object skipped");
		goto done;
	}
	pw_capture_new_id(c.id);
	c.source = PW_SRC_SYNCPASSWORDS;
	c.committed = true;
	memcpy(c.account, l.account, sizeof(c.account));
	memcpy(c.upn, l.upn, sizeof(c.upn));
	memcpy(c.guid, l.guid, sizeof(c.guid));
	c.password = l.password;	/* moved */
	l.password = NULL;
	c.captured_ms = timing_wall_ms();
	pwhook_capture_deliver(hookfile, spooldir, &c);
done:
	sodium_free(text);
	pwhook_ldif_fini(&l);
	pw_capture_fini(&c);
	/* samba-tool merges our stderr into the reply and fails the whole
	 * sync unless the reply starts with "DONE-EXIT: ": answer first,
	 * then write the held log lines. */
	(void)!write(STDOUT_FILENO, done, sizeof(done) - 1);
	pwhook_log_flush();
	return 0;
}

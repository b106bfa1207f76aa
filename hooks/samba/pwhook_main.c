/*
 * adsync-pwhook: the Samba DC side of adsync's password sync (see
 * adsync-pwhook(8) and docs/pwsync.md). Parses the command line, hardens
 * the process (no core dumps: it holds passwords) and runs one mode.
 * Single thread. Samba starts it as root with the new password on stdin.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <sodium.h>

#include "pwhook.h"

static void
pwhook_usage(void)
{
	fputs("usage: adsync-pwhook -c HOOKFILE [--spool DIR] [-v]\n"
	    "       adsync-pwhook -c HOOKFILE --syncpasswords [--spool DIR]\n"
	    "       adsync-pwhook -c HOOKFILE --sender [--once] [--spool DIR]"
	    " [-v]\n", stderr);
}

/* SECURITY: a core file of this process would hold a password. */
static void
pwhook_harden(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(077);
	/* samba-tool may close our stdout early; a write must fail with
	 * EPIPE, not kill us before the spool is written. */
	(void)signal(SIGPIPE, SIG_IGN);
}

/*
 * A capture mode that cannot capture: syncpasswords still answers
 * DONE-EXIT: 0; the check password mode still checks complexity (no
 * libsodium needed) and exits 1 for a password that breaks it.
 */
static int
pwhook_capture_fallback(bool sync)
{
	if (sync)
		return pwhook_syncpasswords(NULL, NULL);
	return pwhook_check_password(NULL, NULL);
}

int
main(int argc, char **argv)
{
	const char *hookfile = NULL, *spool = PWHOOK_SPOOL_DEFAULT;
	bool sync = false, sender = false, once = false, capture;
	int i, verbosity = 0, status = 0;

	pwhook_harden();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			hookfile = argv[++i];
		else if (strcmp(argv[i], "--spool") == 0 && i + 1 < argc)
			spool = argv[++i];
		else if (strcmp(argv[i], "--syncpasswords") == 0)
			sync = true;
		else if (strcmp(argv[i], "--sender") == 0)
			sender = true;
		else if (strcmp(argv[i], "--once") == 0)
			once = true;
		else if (strcmp(argv[i], "-v") == 0)
			verbosity++;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			pwhook_usage();
			return 0;
		} else
			break;
	}
	capture = !sender;
	pwhook_log_init(sender ? PWHOOK_LOG_STDERR : sync ?
	    PWHOOK_LOG_DEFERRED : PWHOOK_LOG_SYSLOG, verbosity);
	/*
	 * A capture mode must never fail a password change for adsync's own
	 * sake, not even on a command line mistake: report and accept (exit
	 * 0, DONE-EXIT: 0). But the check password mode still applies the
	 * domain's complexity rule, which Samba leaves to us: a broken
	 * installation must not switch the domain's policy off.
	 */
	if (i < argc || hookfile == NULL || (sync && sender) ||
	    (once && !sender)) {
		pwhook_warnx("bad command line%s%s; see adsync-pwhook(8)",
		    i < argc ? " at " : "", i < argc ? argv[i] : "");
		if (!capture) {
			pwhook_usage();
			return 2;
		}
		return pwhook_capture_fallback(sync);
	}
	if (sodium_init() < 0) {
		pwhook_warnx("libsodium cannot start");
		return capture ? pwhook_capture_fallback(sync) : 1;
	}
	/* jansson must wipe what it frees: it parses spooled bodies. */
	pw_json_wipe_install();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pwhook_warnx("libcurl cannot start");
		return capture ? pwhook_capture_fallback(sync) : 1;
	}
	if (sender)
		status = pwhook_sender(hookfile, spool, once);
	else if (sync)
		status = pwhook_syncpasswords(hookfile, spool);
	else
		status = pwhook_check_password(hookfile, spool);
	curl_global_cleanup();
	return status;
}

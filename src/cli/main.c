/*
 * main() of adsync and the table of subcommands (smtpctl's idea): one entry
 * per command with its name, entry point, usage and help, so that dispatch,
 * `adsync help` and the usage message all come from the same place.
 * Options common to every command (-c, -v, --json) are accepted before the
 * command name and right after it. Main thread; runs before any other
 * thread exists. Trusts nothing in argv beyond its being NUL-terminated.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#ifdef ADSYNC_HAVE_CURL
#include <curl/curl.h>
#endif

#include "cli.h"
#include "conf.h"
#include "log.h"

#define MAIN_EXIT_USAGE 2

struct main_cmd {
	/* Words separated by one space; multi-word commands ("ad dump")
	 * are matched word by word against argv. */
	const char *name;
	cli_cmd_fn *fn;
	const char *usage;	/* arguments after the name; "" for none */
	/* First line: the summary shown by `adsync help`; the rest is shown
	 * by `adsync help COMMAND`. */
	const char *help;
};

static cli_cmd_fn main_cmd_help;

static const struct main_cmd main_cmds[] = {
	{ "ad dump", cmd_ad_dump, "[--json]",
	  "Read the directory once and print every user, contact and group.\n"
	  "Reads the [ad] section: paged, with ranged member retrieval and\n"
	  "GUIDs on every member and memberOf value. --json prints one JSON\n"
	  "object per line; without it, a block per object. Nothing is\n"
	  "printed unless the whole directory was read (exit status 1)." },
	{ "ad watch", cmd_ad_watch, "[--json]",
	  "Print each change in the directory as it arrives, as JSON lines\n"
	  "with \"change\" (add, modify, move, delete) and the member\n"
	  "deltas, until SIGINT or SIGTERM. Wakes on change notification\n"
	  "and reads with DirSync (or uSN polling, see incremental)." },
	{ "api", cmd_api, "[--body JSON] METHOD PATH [FIELD=VALUE ...]",
	  "Send one signed request to the Rackspace API and print the "
	  "answer.\n"
	  "METHOD is GET, POST, PUT or DELETE; PATH is relative to api_url,\n"
	  "e.g. /customers/me/domains. FIELD=VALUE pairs are form-encoded;\n"
	  "--body JSON sends JSON instead. Pacing, backoff and\n"
	  "retries apply as in the daemon. Uses the [rackspace] section of\n"
	  "the configuration." },
	{ "check", cmd_check, "[--dump] [--connect]",
	  "Validate the configuration file and the secret files it names.\n"
	  "Prints every problem as FILE:LINE: MESSAGE and exits 1, or prints\n"
	  "FILE: configuration OK and exits 0. --dump prints the canonical\n"
	  "form instead, every key with its value (secrets: the path only).\n"
	  "--connect also binds to AD and asks the API for the account's\n"
	  "domains (each of [sync] domains must be one of them)." },
	{ "plan", cmd_plan, "[--json] [--offline] [--allow-deletes]",
	  "Print every operation a sync would make now, and change nothing.\n"
	  "Reads the directory (into the state's copy of it), the synced\n"
	  "state and, for objects not yet synced, the service's inventory,\n"
	  "and prints one aligned line per operation (object, service,\n"
	  "fields old -> new, reason), then the alerts and a summary.\n"
	  "--json prints one JSON object per operation. --offline never asks\n"
	  "the service (no adoption checks). --allow-deletes shows the plan\n"
	  "as the mass-removal guard would let it through." },
	{ "sync", cmd_sync, "--once [--dry-run] [--allow-deletes] [--json] | "
	  "--now [--full] [--json]",
	  "Run one sync cycle: read, plan, apply, print the summary.\n"
	  "Exit status 0 when every operation succeeded, 2 when some objects\n"
	  "had errors or removals were held back by the guard (max_deletes,\n"
	  "max_delete_percent; --allow-deletes overrides), 1 when the run\n"
	  "failed as a whole and nothing was applied. --dry-run plans only.\n"
	  "An interrupted run is reconciled at the start of the next one.\n"
	  "--now asks the running daemon for a cycle now (--full: reading\n"
	  "the whole directory) and prints its result when it ends." },
	{ "daemon", cmd_daemon, "[--allow-root]",
	  "Run continuously: a full sync at start, then every change as AD\n"
	  "notifies it, a safety-net cycle every interval and a full one\n"
	  "every full_sync_interval. Foreground, logs to stderr; systemd\n"
	  "Type=notify with watchdog. SIGHUP reads the configuration again\n"
	  "and logs what changed; SIGTERM finishes the requests in flight\n"
	  "and exits. Commands reach it on state_dir/ctl.sock. It will not\n"
	  "run as root unless --allow-root (then without capabilities)." },
	{ "status", cmd_status, "[--json]",
	  "Ask the running daemon what it is doing: state, the last cycle\n"
	  "and its counts, the next one, change notification, synced\n"
	  "objects and open alerts." },
	{ "history", cmd_history, "[-n N] [--json]",
	  "The daemon's last N runs (default 20), newest first: start, end,\n"
	  "trigger, status, counts and the error of a failed run." },
	{ "explain", cmd_explain, "ADDRESS|DN|GUID [--json]",
	  "Why an object is or is not synced: its values in AD and the\n"
	  "groups it is in, the scope rule that applies, where it is synced\n"
	  "and how, what is pending for it (from a plan of the state as it\n"
	  "is: nothing is read, sent or changed), its alerts and its last\n"
	  "operations with their results." },
	{ "approve", cmd_approve, "RUN [--json]",
	  "Let the removals the mass-removal guard held in run RUN through:\n"
	  "the daemon runs a cycle now in which they pass the guard (those\n"
	  "still planned; new removals count as usual) and prints it. Only\n"
	  "the newest held run can be approved." },
	{ "reject", cmd_reject, "RUN [--json]",
	  "Reject the removals held in run RUN: they stay as they are in the\n"
	  "service and out of later plans (a warning each) until the object\n"
	  "is back in scope or its removal changes." },
	{ "alerts", cmd_alerts, "[--json]",
	  "The open alerts: object, message in the seed's words (with the\n"
	  "fix), first and last seen. An alert clears by itself when its\n"
	  "object syncs." },
	{ "hook", cmd_hook, "enroll DCNAME [-o OUTFILE] [--rsa] | revoke DCNAME "
	  "| status [--json]",
	  "Manage the domain controllers' password hooks.\n"
	  "enroll issues a client certificate for DCNAME from adsync's own\n"
	  "CA (made on first use in state_dir/pki), writes ONE hook file\n"
	  "for that DC (receiver address, its certificate and key, adsync's\n"
	  "CA; mode 0600; default DCNAME.adsync-hook) and prints the line\n"
	  "for its smb.conf. Enrolling a DC again replaces its certificate.\n"
	  "--rsa issues an RSA key instead of ECDSA P-256, for a DC whose\n"
	  "TLS stack cannot present an ECDSA client key.\n"
	  "revoke makes the receiver refuse DCNAME's certificate. status\n"
	  "lists the DCs: state (ok, quiet: no heartbeat for 10 minutes,\n"
	  "revoked), last heartbeat, last change, captures, spooled changes\n"
	  "and hook version, and the password changes queued. Run as the\n"
	  "user the daemon runs as." },
	{ "web passwd", cmd_web_passwd, "",
	  "Set the web console's admin password.\n"
	  "Reads it twice from the terminal without echo or, when standard\n"
	  "input is not a terminal, as one line of it. At least 10\n"
	  "characters, at most 1024 bytes, no control characters. Writes\n"
	  "its Argon2id hash to [daemon] web_password_file (default\n"
	  "state_dir/web.passwd, mode 0600); the daemon reads it at each\n"
	  "login. Run as the user the daemon runs as." },
	{ "help", main_cmd_help, "[COMMAND]",
	  "Show the commands, or the usage and help of one command." },
	{ "version", cmd_version, "",
	  "Print the version of adsync." },
};

#define MAIN_NCMDS (sizeof(main_cmds) / sizeof(main_cmds[0]))

/* Number of words of a command name. */
static int
main_cmd_words(const struct main_cmd *c)
{
	const char *p;
	int n = 1;

	for (p = c->name; *p != '\0'; p++)
		n += *p == ' ';
	return n;
}

/*
 * True when the `n` argv words from `argv` spell the first `n` words of
 * `name`, and, with `whole`, when the name has exactly `n` words.
 */
static bool
main_cmd_match(const char *name, char **argv, int n, bool whole)
{
	const char *p = name;
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = strlen(argv[i]);
		if (strncmp(p, argv[i], len) != 0 ||
		    (p[len] != ' ' && p[len] != '\0'))
			return false;
		p += len;
		if (*p == ' ')
			p++;
		else if (i + 1 < n)
			return false;
	}
	return !whole || *p == '\0';
}

/* The longest command spelled by argv's first words, with its length. */
static const struct main_cmd *
main_cmd_find(int argc, char **argv, int *nwords /* OUT */)
{
	const struct main_cmd *best = NULL;
	size_t i;
	int w, bestw = 0;

	for (i = 0; i < MAIN_NCMDS; i++) {
		w = main_cmd_words(&main_cmds[i]);
		if (w > argc || w <= bestw)
			continue;
		if (main_cmd_match(main_cmds[i].name, argv, w, true)) {
			best = &main_cmds[i];
			bestw = w;
		}
	}
	if (best != NULL)
		*nwords = bestw;
	return best;
}

static void
main_summary(const struct main_cmd *c, FILE *fp)
{
	const char *nl = strchr(c->help, '\n');
	int len = nl != NULL ? (int)(nl - c->help) : (int)strlen(c->help);

	fprintf(fp, "  %s%s%s\n      %.*s\n", c->name, c->usage[0] ? " " : "",
	    c->usage, len, c->help);
}

static void
main_usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: adsync [-c FILE] [-v] [--json] COMMAND [ARGS]\n"
	    "       adsync -h | --help | -V | --version\n"
	    "\n"
	    "Options (also accepted right after COMMAND):\n"
	    "  -c FILE   configuration file (default %s)\n"
	    "  -v        more detail in the log; repeat for more\n"
	    "  --json    machine-readable output, where the command has it\n"
	    "\n"
	    "Commands:\n", CONF_DEFAULT_PATH);
	for (i = 0; i < MAIN_NCMDS; i++)
		main_summary(&main_cmds[i], fp);
	fprintf(fp, "\nRun \"adsync help COMMAND\" for the help of one "
	    "command; see adsync(8).\n");
}

static void
main_cmd_usage(const struct main_cmd *c, FILE *fp)
{
	fprintf(fp, "usage: adsync %s%s%s\n", c->name, c->usage[0] ? " " : "",
	    c->usage);
}

static int
main_cmd_help(const struct cli_ctx *ctx, int argc, char **argv)
{
	const struct main_cmd *c;
	size_t i;
	int n, shown = 0;

	(void)ctx;
	if (argc <= 1) {
		main_usage(stdout);
		return 0;
	}
	if ((c = main_cmd_find(argc - 1, argv + 1, &n)) != NULL &&
	    n == argc - 1) {
		main_cmd_usage(c, stdout);
		printf("\n%s\n", c->help);
		return 0;
	}
	/* "adsync help ad": every command whose name starts that way. */
	for (i = 0; i < MAIN_NCMDS; i++)
		if (main_cmd_match(main_cmds[i].name, argv + 1, argc - 1,
		    false)) {
			if (shown++ == 0)
				printf("Commands:\n");
			main_summary(&main_cmds[i], stdout);
		}
	if (shown > 0)
		return 0;
	fprintf(stderr, "adsync help: no command \"%s\"; run \"adsync help\" "
	    "for the list\n", argv[1]);
	return MAIN_EXIT_USAGE;
}

int
cmd_version(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "adsync version: unexpected argument \"%s\"\n"
		    "usage: adsync version\n", argv[1]);
		return MAIN_EXIT_USAGE;
	}
	if (ctx->json)
		printf("{\"name\": \"adsync\", \"version\": \"%s\"}\n",
		    ADSYNC_VERSION);
	else
		printf("adsync %s\n", ADSYNC_VERSION);
	return 0;
}

/*
 * One of the common options at argv[i]: returns how many entries it took
 * (1 or 2), 0 when argv[i] is not one, or -1 after reporting bad usage.
 */
static int
main_common_opt(struct cli_ctx *ctx, int argc, char **argv, int i)
{
	const char *a = argv[i];
	size_t n;

	if (strcmp(a, "--json") == 0) {
		ctx->json = true;
		return 1;
	}
	if (a[0] == '-' && a[1] == 'v') {
		n = strspn(a + 1, "v");
		if (a[1 + n] != '\0')
			return 0;
		ctx->verbosity += (int)n;
		return 1;
	}
	if (strcmp(a, "-c") == 0) {
		if (i + 1 >= argc) {
			fprintf(stderr, "adsync: -c needs a FILE\n");
			return -1;
		}
		ctx->conf_path = argv[i + 1];
		return 2;
	}
	if (strncmp(a, "-c", 2) == 0) {
		ctx->conf_path = a + 2;
		return 1;
	}
	return 0;
}

/* Reports a command that does not exist; "ad" alone lists "ad ...". */
static void
main_unknown_cmd(char **argv)
{
	size_t i;
	int shown = 0;

	for (i = 0; i < MAIN_NCMDS; i++)
		if (main_cmd_match(main_cmds[i].name, argv, 1, false)) {
			if (shown++ == 0)
				fprintf(stderr, "adsync %s: needs a "
				    "subcommand:\n", argv[0]);
			main_summary(&main_cmds[i], stderr);
		}
	if (shown == 0)
		fprintf(stderr, "adsync: unknown command \"%s\"; run \"adsync "
		    "help\" for the list\n", argv[0]);
}

static int
main_run(int argc, char **argv)
{
	struct cli_ctx ctx = { .conf_path = CONF_DEFAULT_PATH };
	const struct main_cmd *c;
	int i = 1, n, nwords, last;

	while (i < argc && argv[i][0] == '-') {
		if ((n = main_common_opt(&ctx, argc, argv, i)) < 0)
			return MAIN_EXIT_USAGE;
		if (n > 0) {
			i += n;
			continue;
		}
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			main_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0)
			return cmd_version(&ctx, 1, argv);
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		fprintf(stderr, "adsync: unknown option \"%s\"\n", argv[i]);
		main_usage(stderr);
		return MAIN_EXIT_USAGE;
	}
	if (i >= argc) {
		main_usage(stderr);
		return MAIN_EXIT_USAGE;
	}
	if ((c = main_cmd_find(argc - i, argv + i, &nwords)) == NULL) {
		main_unknown_cmd(argv + i);
		return MAIN_EXIT_USAGE;
	}
	i += nwords;
	last = i - 1;
	/* The common options again, right after the command name. */
	while (i < argc && argv[i][0] == '-') {
		if ((n = main_common_opt(&ctx, argc, argv, i)) < 0)
			return MAIN_EXIT_USAGE;
		if (n == 0 && (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)) {
			main_cmd_usage(c, stdout);
			printf("\n%s\n", c->help);
			return 0;
		}
		if (n == 0)
			break;
		i += n;
	}
	log_set_verbosity(ctx.verbosity);
	/* The command sees its last name word as argv[0], then its own
	 * arguments: the consumed options are stepped over. */
	argv[i - 1] = argv[last];
	return c->fn(&ctx, argc - i + 1, argv + i - 1);
}

int
main(int argc, char **argv)
{
	int status;

	log_init("adsync", 0, LOG_DEST_STDERR);
#ifdef ADSYNC_HAVE_CURL
	/* Once, before any thread exists (libcurl's rule). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "adsync: cannot initialise libcurl\n");
		return 1;
	}
#endif
	/* Once, before any thread exists: libsodium's CSPRNG (backoff
	 * jitter, new mailbox passwords). */
	if (sodium_init() < 0) {
		fprintf(stderr, "adsync: cannot initialise libsodium\n");
		return 1;
	}
	status = main_run(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "adsync: cannot write the output\n");
		if (status == 0)
			status = 1;
	}
#ifdef ADSYNC_HAVE_CURL
	curl_global_cleanup();
#endif
	return status;
}

/*
 * rsemu's configuration: the command line and the optional --config INI file
 * (accounts, API users, domains). The parsers never print or exit: they
 * return -ADSYNC_ECONFIG and one sentence naming the flag and the fix, which
 * main prints before exiting 2. Main thread only; after start-up the struct
 * is read-only and may be read from any thread.
 *
 * SECURITY: secret keys and the TLS key are loaded only through
 * secret_load_file() (0600/0400, regular file, no symlink).
 */
#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "attributes.h"
#include "emu_faults.h"
#include "emu_throttle.h"

struct secret;

#define EMU_SVC_RS 1		/* Rackspace Email */
#define EMU_SVC_EX 2		/* Hosted Exchange */
#define EMU_SVC_BOTH (EMU_SVC_RS | EMU_SVC_EX)

#define EMU_ACCOUNT_MAX 999999999LL
#define EMU_DOMAIN_MAX 253
#define EMU_BODY_MAX_DEFAULT (1024 * 1024)
#define EMU_REQLOG_DEFAULT 200000
#define EMU_THREADS_MAX 64

struct emu_user_cfg {
	char *key;		/* owned; public user key */
	char *secret_file;	/* owned path */
	long long account;
	struct secret *secret;	/* owned; loaded by emu_config_load_secrets */
};

struct emu_domain_cfg {
	char *name;		/* owned, lower case */
	long long account;
	int service;		/* EMU_SVC_* */
	unsigned mailbox_limit;	/* RS + EX mailboxes; 0 = unlimited */
};

struct emu_accepted_cfg {
	char *domain;		/* owned, lower case; a configured domain */
	char *other;		/* owned, lower case; its accepted domain */
};

struct emu_config {
	char *listen;		/* owned "ADDR:PORT" */
	char *admin_listen;	/* owned or NULL */
	char *tls_cert;		/* owned path or NULL */
	char *tls_key;		/* owned path or NULL */
	char *state_path;	/* owned path or NULL (in memory) */
	char *ready_file;	/* owned path or NULL */
	char *config_file;	/* owned path or NULL */
	struct emu_user_cfg *users;	/* owned array */
	size_t nusers;
	struct emu_domain_cfg *domains;	/* owned array */
	size_t ndomains;
	struct emu_accepted_cfg *accepted;	/* owned array */
	size_t naccepted;
	unsigned mailbox_limit;		/* --mailbox-limit, default for all */
	struct emu_throttle_limits throttle;
	long long clock_skew;		/* accepted |ts - now|, seconds */
	long long clock_offset;		/* server clock = UTC + offset */
	struct emu_faults_spec faults;
	unsigned threads;
	int verbosity;
	size_t body_max;
	size_t reqlog_max;
	bool help;
};

/*
 * Parses argv into *out (zeroed first; release with emu_config_fini() even
 * on failure). Reads --config files. Returns 0, or -ADSYNC_ECONFIG with a
 * one-line message in `why` that names the flag and the fix.
 */
int emu_config_parse_args(int argc, char **argv,
    struct emu_config *out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * Parses INI text (the --config format, see rsemu.1) of `len` bytes into
 * `cfg`, appending accounts, users, domains. `name` labels messages.
 */
int emu_config_parse_ini(const char *buf, size_t len, const char *name,
    struct emu_config *cfg, char *why, size_t whylen) ATTR_NODISCARD;

/* Loads every user's secret key file. 0 or negative with `why`. */
int emu_config_load_secrets(struct emu_config *cfg, char *why, size_t whylen)
    ATTR_NODISCARD;

/* Releases everything inside (secrets are wiped); accepts a zeroed struct. */
void emu_config_fini(struct emu_config *cfg);

/* Prints the usage text. */
void emu_config_usage(FILE *fp);

/* The name of an EMU_SVC_* value as --domain NAME:SERVICE spells it
 * ("rsemail", "exchange", "both"), which is also the API's serviceType.
 * Static text. */
const char *emu_config_service_name(int service);

/* Index of the user with `key`, or -1. */
long emu_config_user_find(const struct emu_config *cfg, const char *key);

/* "ADDR:PORT" specs are parsed by net_addr_parse() (src/common/net.h). */
struct sockaddr_storage;

/* True if the address is a loopback address (127/8 or ::1). */
bool emu_config_addr_is_loopback(const struct sockaddr_storage *ss);

#endif

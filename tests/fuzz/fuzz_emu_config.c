/*
 * Fuzz harness: rsemu's configuration parsers (emulator/emu_config.h):
 * emu_config_parse_ini(), the --config file (accounts, API users, domains,
 * accepted domains, mailbox limits), and emu_config_parse_args(), the
 * command line (listen addresses, the throttle, fault and latency SPECs,
 * numbers). Byte 0 picks: even, the rest is an INI file named
 * "/etc/rsemu/fuzz.ini" (so relative secret paths are joined to
 * /etc/rsemu); odd, the rest is argv, one argument per line. Arguments
 * that could name --config (any "--co..." abbreviation) are dropped, so
 * that no file is read; every other option only stores what it gets.
 *
 * Checked: a refusal says why; an accepted configuration holds domain
 * names of 2+ labels, lower case, at most EMU_DOMAIN_MAX bytes, given
 * once; services within EMU_SVC_BOTH; accounts within 1..EMU_ACCOUNT_MAX;
 * users with a non-empty key and secret file path, keys unique; accepted
 * domains naming lower-case names. emu_config_fini() then frees
 * everything (LeakSanitizer sees the rest). Single thread (getopt_long's
 * globals); the input is capped at 16 KiB and 64 arguments.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_config.h"

#define FUZZ_EMU_CFG_MAX (16 * 1024)
#define FUZZ_EMU_CFG_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_emu_cfg_name(const char *s)
{
	size_t i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > EMU_DOMAIN_MAX ||
	    strchr(s, '.') == NULL || s[0] == '.' || s[len - 1] == '.')
		abort();
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.'))
			abort();
}

static void
fuzz_emu_cfg_check(const struct emu_config *c)
{
	size_t i, j;

	for (i = 0; i < c->ndomains; i++) {
		fuzz_emu_cfg_name(c->domains[i].name);
		if (c->domains[i].service < 1 ||
		    c->domains[i].service > EMU_SVC_BOTH ||
		    c->domains[i].account < 0 ||
		    c->domains[i].account > EMU_ACCOUNT_MAX)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->domains[i].name,
			    c->domains[j].name) == 0)
				abort();
	}
	for (i = 0; i < c->nusers; i++) {
		if (c->users[i].key == NULL || c->users[i].key[0] == '\0' ||
		    c->users[i].secret_file == NULL ||
		    c->users[i].secret_file[0] == '\0' ||
		    c->users[i].secret != NULL ||
		    c->users[i].account < 0 ||
		    c->users[i].account > EMU_ACCOUNT_MAX)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->users[i].key, c->users[j].key) == 0)
				abort();
	}
	for (i = 0; i < c->naccepted; i++) {
		fuzz_emu_cfg_name(c->accepted[i].domain);
		fuzz_emu_cfg_name(c->accepted[i].other);
	}
	if (c->threads > EMU_THREADS_MAX)
		abort();
}

static void
fuzz_emu_cfg_ini(const char *text, size_t len)
{
	struct emu_config cfg;
	char why[512];

	memset(&cfg, 0, sizeof(cfg));
	why[0] = '\0';
	if (emu_config_parse_ini(text, len, "/etc/rsemu/fuzz.ini", &cfg, why,
	    sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
	} else {
		fuzz_emu_cfg_check(&cfg);
	}
	emu_config_fini(&cfg);
}

static void
fuzz_emu_cfg_args(const char *text, size_t len)
{
	char *argv[FUZZ_EMU_CFG_ARGS + 2], *copy, *line, *nl;
	struct emu_config cfg;
	char why[512];
	int argc = 0;

	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, text, len);
	copy[len] = '\0';
	argv[argc++] = (char *)(uintptr_t)"rsemu";
	for (line = copy; argc <= FUZZ_EMU_CFG_ARGS; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		/* SECURITY: no file is read: --config (or a prefix of it
		 * that getopt_long would take) is dropped. */
		if (strncmp(line, "--co", 4) != 0)
			argv[argc++] = line;
		if (nl == NULL)
			break;
	}
	argv[argc] = NULL;
	why[0] = '\0';
	if (emu_config_parse_args(argc, argv, &cfg, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
	} else if (!cfg.help) {
		fuzz_emu_cfg_check(&cfg);
		if (cfg.listen == NULL || cfg.nusers == 0)
			abort();
	}
	emu_config_fini(&cfg);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_EMU_CFG_MAX)
		return 0;
	if ((data[0] & 1) == 0)
		fuzz_emu_cfg_ini((const char *)data + 1, size - 1);
	else
		fuzz_emu_cfg_args((const char *)data + 1, size - 1);
	return 0;
}

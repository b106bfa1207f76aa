/*
 * Signature verification (see emu_auth.h), built on src/target/rs_auth so
 * that the client and the emulator share one implementation of the hash.
 * Any thread; the secret bytes are borrowed for the call only.
 */
#include <string.h>

#include "emu_auth.h"
#include "emu_config.h"
#include "rs_auth.h"
#include "secret.h"

const char *
emu_auth_fail_name(enum emu_auth_fail f)
{
	switch (f) {
	case EMU_AUTH_OK:
		return "ok";
	case EMU_AUTH_MISSING:
		return "missing";
	case EMU_AUTH_MALFORMED:
		return "malformed";
	case EMU_AUTH_UNKNOWN_KEY:
		return "unknown_key";
	case EMU_AUTH_CLOCK:
		return "clock";
	case EMU_AUTH_HASH:
		return "hash";
	}
	return "?";
}

enum emu_auth_fail
emu_auth_verify(const struct emu_config *cfg, const char *sig, const char *ua,
    time_t server_now, size_t *user)
{
	char hash[RS_AUTH_HASH_LEN + 1];
	struct rs_auth_parts parts;
	const unsigned char *key;
	size_t keylen;
	time_t ts;
	long idx;
	long long diff;

	if (sig == NULL)
		return EMU_AUTH_MISSING;
	if (strlen(sig) > RS_AUTH_HEADER_MAX || rs_auth_parse(sig, &parts) < 0)
		return EMU_AUTH_MALFORMED;
	if (rs_auth_timestamp_parse(parts.timestamp, &ts) < 0)
		return EMU_AUTH_MALFORMED;
	if ((idx = emu_config_user_find(cfg, parts.user_key)) < 0)
		return EMU_AUTH_UNKNOWN_KEY;
	/*
	 * The documentation names no time zone (§2.5); we compare with UTC,
	 * as the official C# client signs, within a configurable window.
	 */
	diff = (long long)ts - (long long)server_now;
	if (diff < -cfg->clock_skew || diff > cfg->clock_skew)
		return EMU_AUTH_CLOCK;
	key = secret_bytes(cfg->users[idx].secret, &keylen);
	if (rs_auth_hash(parts.user_key, ua != NULL ? ua : "",
	    parts.timestamp, key, keylen, hash) < 0)
		return EMU_AUTH_HASH;
	if (!rs_auth_hash_equal(hash, parts.hash))
		return EMU_AUTH_HASH;
	*user = (size_t)idx;
	return EMU_AUTH_OK;
}

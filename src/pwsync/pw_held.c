/*
 * "A change captured for a user who is about to get a mailbox is held and
 * used to create the mailbox" (issue 7): the password thread marks such a
 * capture ready in pw.db (confirmed, meets the service's rule, waiting only
 * for the mailbox, with the user's objectGUID); when the engine creates
 * that user's mailbox it takes the password from here instead of a random
 * one, and marks the capture done once the create succeeded. If anything
 * is missing the engine uses a random password as for any new mailbox,
 * and the password thread sets the captured one right after.
 *
 * Ownership: the engine's thread, its own pw.db connection and sealer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "pwsync.h"
#include "timing.h"
#include "xmalloc.h"

struct pw_held {
	struct pw_db *db;
	struct pw_sealer *sealer;
};

int
pw_held_open(const char *state_dir, struct pw_held **out, char *why,
    size_t whylen)
{
	char path[4096];
	struct pw_held *h;
	int r;

	*out = NULL;
	/* Nothing to hold before the daemon made pw.db and the key. */
	snprintf(path, sizeof(path), "%s/pw.db", state_dir);
	if (access(path, F_OK) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/pki/queue.key", state_dir);
	if (access(path, F_OK) < 0)
		return 0;
	h = xcalloc(1, sizeof(*h));
	if ((r = pw_db_open(state_dir, false, &h->db, why, whylen)) < 0 ||
	    (r = pw_sealer_open(state_dir, &h->sealer, why, whylen)) < 0) {
		pw_held_close(h);
		return r;
	}
	*out = h;
	return 0;
}

void
pw_held_close(struct pw_held *h)
{
	if (h == NULL)
		return;
	pw_db_close(h->db);
	pw_sealer_free(h->sealer);
	free(h);
}

bool
pw_held_any(struct pw_held *h)
{
	uint64_t n = 0;

	return h != NULL && pw_db_queue_ready_count(h->db, &n) == 0 && n > 0;
}

int
pw_held_take(struct pw_held *h, const char *guid, struct secret **pw,
    int64_t *token)
{
	unsigned char *blob;
	size_t len = 0;

	*pw = NULL;
	if (h == NULL ||
	    (blob = pw_db_queue_ready_get(h->db, guid, token, &len)) == NULL)
		return 0;
	*pw = pw_unseal(h->sealer, blob, len);
	free(blob);
	return *pw != NULL ? 1 : 0;
}

void
pw_held_used(struct pw_held *h, int64_t token)
{
	if (h == NULL)
		return;
	if (pw_db_queue_done(h->db, token, timing_wall_ms()) < 0)
		log_warnx("password: cannot mark capture %lld used: %s",
		    (long long)token, pw_db_errmsg(h->db));
	else
		log_info("password: the new mailbox was created with the "
		    "captured password (queue entry %lld)", (long long)token);
}

/*
 * rsemu's state: domains, accepted domains, and the objects of every domain
 * (RS and EX mailboxes, aliases, contacts, distribution lists), their
 * alternate addresses and members, and deleted-but-recoverable RS mailboxes,
 * in one SQLite database (a file in WAL mode with --state, else in memory).
 *
 * Threads: the MHD worker threads of both listeners. One connection, one
 * mutex: every caller brackets its work with emu_state_lock() /
 * emu_state_unlock() and uses statements only in between. No other lock is
 * taken while this one is held. SQL text lives only in emu_state.c, every
 * statement is prepared once at open (no per-request parsing).
 *
 * SECURITY: passwords are stored only as a keyed BLAKE2b hash
 * (crypto_generichash) with a random 16-byte salt; nothing here logs them.
 */
#ifndef EMU_STATE_H
#define EMU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "attributes.h"
#include "emu_valid.h"

struct emu_config;

enum emu_kind {
	EMU_K_RS_MBX = 1,
	EMU_K_EX_MBX = 2,
	EMU_K_CONTACT = 3,
	EMU_K_ALIAS = 4,
	EMU_K_DL = 5
};

enum emu_role {
	EMU_ROLE_ALIAS = 0,	/* alias target address */
	EMU_ROLE_MEMBER = 1,	/* distribution list member */
	EMU_ROLE_SENDER = 2	/* list AcceptMessagesOnlyFrom */
};

/* Retention of deleted Rackspace Email mailboxes (H6): 14 days. */
#define EMU_RECOVER_SECONDS (14 * 86400)

enum emu_sql {
	EMU_SQL_DOMAIN_GET,
	EMU_SQL_DOMAIN_LIST,
	EMU_SQL_DOMAIN_COUNT,
	EMU_SQL_DOMAIN_UPSERT,
	EMU_SQL_DOMAIN_ACCT_GET,
	EMU_SQL_ACCEPTED_ADD,
	EMU_SQL_ACCEPTED_DEL,
	EMU_SQL_ACCEPTED_LIST,
	EMU_SQL_ACCEPTED_HAS,
	EMU_SQL_OBJ_GET,
	EMU_SQL_OBJ_GET_ID,
	EMU_SQL_OBJ_INSERT,
	EMU_SQL_OBJ_UPDATE,
	EMU_SQL_OBJ_SET_PW,
	EMU_SQL_OBJ_GET_PW,
	EMU_SQL_OBJ_DELETE,
	EMU_SQL_OBJ_COUNT_MBX,
	EMU_SQL_OBJ_INDEX,
	EMU_SQL_OBJ_INDEX_COUNT,
	EMU_SQL_OBJ_LIST_KIND,
	EMU_SQL_DL_CN_ASC,
	EMU_SQL_DL_CN_DESC,
	EMU_SQL_DL_DN_ASC,
	EMU_SQL_DL_DN_DESC,
	EMU_SQL_DL_COUNT,
	EMU_SQL_DELETED_PURGE,
	EMU_SQL_DELETED_GET,
	EMU_SQL_DELETED_FROM_OBJ,
	EMU_SQL_DELETED_RESTORE,
	EMU_SQL_DELETED_DEL,
	EMU_SQL_DELETED_DEL_NAME,
	EMU_SQL_DELETED_LIST,
	EMU_SQL_ADDR_OWNER,
	EMU_SQL_ADDR_INSERT,
	EMU_SQL_ADDR_DELETE,
	EMU_SQL_ADDR_LIST,
	EMU_SQL_ADDR_CLEAR_PRIMARY,
	EMU_SQL_ADDR_SET_PRIMARY,
	EMU_SQL_ADDR_GET,
	EMU_SQL_MEMBER_ADD,
	EMU_SQL_MEMBER_DEL,
	EMU_SQL_MEMBER_DEL_ID,
	EMU_SQL_MEMBER_CLEAR,
	EMU_SQL_MEMBER_LIST,
	EMU_SQL_MEMBER_COUNT,
	EMU_SQL_MEMBER_HAS,
	EMU_SQL_MEMBER_HAS_ID,
	EMU_SQL_MEMBER_RENAME,
	EMU_SQL_RESET_OBJ,
	EMU_SQL_RESET_DELETED,
	EMU_SQL_RESET_ACCEPTED,
	EMU_SQL_RESET_DOMAIN,
	EMU_SQL_BEGIN,
	EMU_SQL_COMMIT,
	EMU_SQL_ROLLBACK,
	EMU_SQL_COUNT
};

struct emu_domain {
	int64_t id;
	long long account;
	char name[EMU_ADDRESS_MAX + 1];	/* lower case */
	int service;			/* EMU_SVC_* */
	unsigned mailbox_limit;		/* 0 = unlimited */
};

/* One object row. Strings are owned; release with emu_state_obj_fini(). */
struct emu_obj {
	int64_t id;		/* 0 until inserted */
	int64_t domain_id;
	enum emu_kind kind;
	char name[EMU_NAME_MAX + 1];
	char *display;		/* never NULL after a load */
	char *extra;		/* searched text (customID, externalEmail) */
	bool enabled;
	int64_t created;	/* server clock, seconds */
	json_t *data;		/* the stored fields, never NULL after load */
};

struct emu_state;

/*
 * Opens `path` (created if missing; WAL) or an in-memory database when
 * `path` is NULL, creates the schema and prepares every statement. Returns
 * 0 and *out, or negative with a sentence in `why`.
 */
int emu_state_open(const char *path, struct emu_state **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
/* Finalises the statements and closes the database; accepts NULL. */
void emu_state_close(struct emu_state *st);

void emu_state_lock(struct emu_state *st);
/* Resets the statements used since emu_state_lock() and unlocks. */
void emu_state_unlock(struct emu_state *st);

/* Transactions (lock held). begin/commit return 0 or -ADSYNC_ESERVER. */
int emu_state_begin(struct emu_state *st) ATTR_NODISCARD;
int emu_state_commit(struct emu_state *st) ATTR_NODISCARD;
void emu_state_rollback(struct emu_state *st);

/* A reset prepared statement, borrowed until emu_state_unlock(). */
sqlite3_stmt *emu_state_stmt(struct emu_state *st, enum emu_sql id);

/*
 * Inserts or updates the configured domains and accepted domains (lock
 * held, inside a transaction). With `wipe`, every domain and object is
 * deleted first (admin reset).
 */
int emu_state_seed(struct emu_state *st, const struct emu_config *cfg,
    bool wipe) ATTR_NODISCARD;

/* Looks a domain up by name (any case). 0, -ADSYNC_ENOTFOUND or
 * -ADSYNC_ESERVER. */
int emu_state_domain_get(struct emu_state *st, const char *name,
    struct emu_domain *out /* OUT */) ATTR_NODISCARD;

/* Loads an object by domain and name (any case), or by id. 0,
 * -ADSYNC_ENOTFOUND or -ADSYNC_ESERVER. */
int emu_state_obj_get(struct emu_state *st, int64_t domain_id,
    const char *name, struct emu_obj *out /* OUT */) ATTR_NODISCARD;
int emu_state_obj_get_id(struct emu_state *st, int64_t id,
    struct emu_obj *out /* OUT */) ATTR_NODISCARD;

/* Inserts `o` (sets o->id). -ADSYNC_ECONFLICT if the name is taken. */
int emu_state_obj_insert(struct emu_state *st, struct emu_obj *o)
    ATTR_NODISCARD;
/* Writes name, display, extra, enabled and data of `o`. -ADSYNC_ECONFLICT
 * if a rename hits a taken name. */
int emu_state_obj_update(struct emu_state *st, const struct emu_obj *o)
    ATTR_NODISCARD;
int emu_state_obj_delete(struct emu_state *st, int64_t id) ATTR_NODISCARD;
/* Releases the strings and the data of `o`; accepts a zeroed struct. */
void emu_state_obj_fini(struct emu_obj *o);

/* Stores a new salted hash of `pw` for object `id`. */
int emu_state_pw_set(struct emu_state *st, int64_t id, const char *pw)
    ATTR_NODISCARD;
/* True if `pw` matches the stored hash (constant-time compare). */
bool emu_state_pw_verify(struct emu_state *st, int64_t id, const char *pw);

/*
 * Is `addr` (local@domain) used on account `account`: by an object of an
 * account domain, or as an alternate/list address? Sets *owner to the
 * object id (0 if none). 0 or -ADSYNC_ESERVER.
 */
int emu_state_addr_used(struct emu_state *st, long long account,
    const char *addr, int64_t *owner /* OUT */) ATTR_NODISCARD;

/* Row id of the last INSERT (lock held). */
int64_t emu_state_last_id(struct emu_state *st);

/* Text of a column as a borrowed string ("" for NULL). */
const char *emu_state_col_text(sqlite3_stmt *s, int col);

#endif

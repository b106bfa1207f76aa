/*
 * Finding objects by what an administrator types: part of a name, an
 * address or a DN (the console's Objects page). Matches the DN of every
 * object in the mirror and the address (name@domain) and DN of every
 * synced row, without regard to case; a GUID in text form matches its
 * object exactly. The statement is prepared per call (a search is rare and
 * interactive) rather than cached. Trusts nothing in `q`: it is bound as a
 * parameter, its LIKE wildcards escaped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

/* Longest query text accepted. */
#define STORE_SEARCH_Q_MAX 256

/* `q` as a LIKE pattern "%q%" with %, _ and the escape '\' escaped. */
char *
store_search_like(const char *q)
{
	size_t n = strlen(q), i, o = 0;
	char *p = malloc(2 * n + 3);

	if (p == NULL)
		return NULL;
	p[o++] = '%';
	for (i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			p[o++] = '\\';
		p[o++] = q[i];
	}
	p[o++] = '%';
	p[o] = '\0';
	return p;
}

int
store_search(struct store *st, const char *q, size_t max,
    int (*fn)(const struct store_hit *h, void *arg), void *arg)
{
	/* One line per object: the mirror's objects (with their synced row
	 * if any) and synced rows whose object left the mirror, ordered by
	 * DN so that the page is stable. A part of a name cannot use an
	 * index, so the mirror is scanned (NOT INDEXED: walking the DN index
	 * to save the sort fetched every row in index order, twice as slow
	 * as scanning and sorting the matches); a GUID is looked up. */
	static const char sql_like[] =
	    "SELECT o.guid, o.kind, o.dn, r.service, r.name, r.domain,"
	    " r.enabled, r.in_scope"
	    " FROM mirror_obj AS o NOT INDEXED"
	    " LEFT JOIN sync_row r ON r.anchor = o.guid"
	    " WHERE o.dn LIKE ?1 ESCAPE '\\'"
	    "  OR (r.name || '@' || r.domain) LIKE ?1 ESCAPE '\\'"
	    " UNION ALL"
	    " SELECT r.anchor, -1, r.dn, r.service, r.name, r.domain,"
	    " r.enabled, r.in_scope"
	    " FROM sync_row r"
	    " WHERE (r.dn LIKE ?1 ESCAPE '\\'"
	    "  OR (r.name || '@' || r.domain) LIKE ?1 ESCAPE '\\')"
	    "  AND NOT EXISTS (SELECT 1 FROM mirror_obj m"
	    "  WHERE m.guid = r.anchor)"
	    " ORDER BY 3 COLLATE NOCASE LIMIT ?3";
	static const char sql_guid[] =
	    "SELECT o.guid, o.kind, o.dn, r.service, r.name, r.domain,"
	    " r.enabled, r.in_scope"
	    " FROM mirror_obj o LEFT JOIN sync_row r ON r.anchor = o.guid"
	    " WHERE o.guid = ?2"
	    " UNION ALL"
	    " SELECT r.anchor, -1, r.dn, r.service, r.name, r.domain,"
	    " r.enabled, r.in_scope"
	    " FROM sync_row r"
	    " WHERE r.anchor = ?2 AND NOT EXISTS (SELECT 1 FROM mirror_obj m"
	    "  WHERE m.guid = r.anchor)"
	    " LIMIT ?3";
	struct store_hit h;
	struct obj_guid g;
	sqlite3_stmt *s = NULL;
	char *pat;
	bool is_guid;
	int rc, r = 0;

	if (strlen(q) > STORE_SEARCH_Q_MAX)
		return store_sql_failf(st, -EINVAL, "the search text is "
		    "longer than %d bytes", STORE_SEARCH_Q_MAX);
	if ((pat = store_search_like(q)) == NULL)
		return -ENOMEM;
	memset(&g, 0, sizeof(g));
	is_guid = obj_guid_parse(q, &g) == 0;
	rc = sqlite3_prepare_v2(st->db, is_guid ? sql_guid : sql_like, -1, &s,
	    NULL);
	if (rc != SQLITE_OK) {
		free(pat);
		return store_sql_fail(st, rc, "preparing the search");
	}
	if ((!is_guid && (r = store_sql_bind_text(s, 1, pat)) < 0) ||
	    (is_guid && (r = store_sql_bind_guid(s, 2, &g, false)) < 0) ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64)max) != SQLITE_OK) {
		r = r < 0 ? r : -ENOMEM;
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		if (store_sql_col_guid(s, 0, false, &h.guid) < 0)
			continue;
		h.in_mirror = sqlite3_column_int(s, 1) >= 0;
		h.obj_kind = h.in_mirror ?
		    (enum obj_kind)sqlite3_column_int(s, 1) : OBJ_UNKNOWN;
		store_sql_col_copy(s, 2, h.dn, sizeof(h.dn));
		h.synced = sqlite3_column_type(s, 3) != SQLITE_NULL;
		if (h.synced) {
			h.service = (enum plan_service)sqlite3_column_int(s,
			    3);
			store_sql_col_copy(s, 4, h.name, sizeof(h.name));
			store_sql_col_copy(s, 5, h.domain, sizeof(h.domain));
			h.enabled = sqlite3_column_int(s, 6) != 0;
			h.in_scope = sqlite3_column_int(s, 7) != 0;
		}
		if ((r = fn(&h, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_sql_fail(st, rc, "searching objects");
out:
	sqlite3_finalize(s);
	free(pat);
	return r;
}

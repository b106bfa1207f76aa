/*
 * Change notification (LDAP_SERVER_NOTIFICATION, 1.2.840.113556.1.4.528)
 * as a wake-up: an asynchronous subtree search at the root of the naming
 * context on a connection of its own, which the DC answers with an entry
 * each time an object changes. The entries are only a hint; the caller
 * then runs ad_read_changes(), and polls every poll_interval anyway in
 * case notifications stop (Samba's prefork model delays them by up to 5 s,
 * AD limits notification searches per connection). Runs on the thread that
 * owns the struct ad_notify.
 *
 * Domain facts: AD accepts a subtree notification search only at the head
 * of a naming context, with the filter (objectClass=*); Samba accepts any
 * scope. The search never ends on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"

struct ad_notify {
	LDAP *ld;		/* owned */
	int msgid;
	char uri[AD_URI_MAX];
};

int
ad_notify_open(const struct ad_conn *c, struct ad_notify **out, char *why,
    size_t whylen)
{
	static const char *const attrs[] = { "objectGUID", NULL };
	LDAPControl *ctrls[3] = { NULL, NULL, NULL };
	struct ad_notify *n;
	int rc, r;

	if (c->ld == NULL || c->nc[0] == '\0') {
		snprintf(why, whylen, "not connected");
		return -ADSYNC_ETRANSPORT;
	}
	if (!c->has_notify) {
		snprintf(why, whylen, "%s does not offer change notification",
		    c->dc);
		return -ADSYNC_ESERVER;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	snprintf(n->uri, sizeof(n->uri), "%s", c->uris[c->cur]);
	if ((r = ad_conn_open_uri(c->conf, n->uri, &n->ld, why, whylen)) < 0)
		goto fail;
	if ((rc = ldap_create_server_notification_control(n->ld,
	    &ctrls[0])) != LDAP_SUCCESS) {
		snprintf(why, whylen, "cannot build the notification control");
		r = -ENOMEM;
		goto fail;
	}
	/* With LDAP_SERVER_SHOW_DELETED (not critical) a deletion notifies
	 * too: without it the object leaves the search's scope silently and
	 * the deletion waits for the next poll. */
	if ((rc = ldap_create_show_deleted_control(n->ld,
	    &ctrls[1])) != LDAP_SUCCESS) {
		ldap_control_free(ctrls[0]);
		snprintf(why, whylen, "cannot build the show-deleted control");
		r = -ENOMEM;
		goto fail;
	}
	rc = ldap_search_ext(n->ld, c->nc, LDAP_SCOPE_SUBTREE,
	    "(objectClass=*)", (char **)(uintptr_t)attrs, 0, ctrls, NULL, NULL,
	    0, &n->msgid);
	ldap_control_free(ctrls[0]);
	ldap_control_free(ctrls[1]);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "%s: notification search: %s", n->uri,
		    ldap_err2string(rc));
		r = ad_error_code(rc);
		goto fail;
	}
	*out = n;
	return 0;
fail:
	ad_notify_close(n);
	return r;
}

int
ad_notify_wait(struct ad_notify *n, int timeout_ms, char *why, size_t whylen)
{
	struct timeval tv;
	LDAPMessage *res = NULL;
	int rc, err = LDAP_OTHER, got = 0;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	for (;;) {
		rc = ldap_result(n->ld, n->msgid, LDAP_MSG_ONE, &tv, &res);
		if (rc == 0)
			break;
		if (rc == LDAP_RES_SEARCH_ENTRY) {
			got = 1;
			ldap_msgfree(res);
			res = NULL;
			/* Drain what else is queued, without waiting. */
			tv.tv_sec = 0;
			tv.tv_usec = 0;
			continue;
		}
		if (rc == LDAP_RES_SEARCH_RESULT)
			ldap_parse_result(n->ld, res, &err, NULL, NULL, NULL,
			    NULL, 0);
		else if (rc < 0)
			ldap_get_option(n->ld, LDAP_OPT_RESULT_CODE, &err);
		ldap_msgfree(res);
		if (rc != LDAP_RES_SEARCH_REFERENCE) {
			snprintf(why, whylen, "%s: the notification search "
			    "ended: %s", n->uri, ldap_err2string(err));
			return got ? got : ad_error_code(err) < 0 ?
			    ad_error_code(err) : -ADSYNC_ESERVER;
		}
		res = NULL;
	}
	return got;
}

void
ad_notify_close(struct ad_notify *n)
{
	if (n == NULL)
		return;
	if (n->ld != NULL) {
		ldap_abandon_ext(n->ld, n->msgid, NULL, NULL);
		ldap_unbind_ext_s(n->ld, NULL, NULL);
	}
	free(n);
}

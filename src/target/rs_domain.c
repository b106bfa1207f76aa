/*
 * Domains of the account: GET /customers/{c}/domains (rackspace-api.md
 * §5.7), rows with name, accountNumber and serviceType (rsemail, exchange,
 * both). The sync engine uses it to check that a user's mail domain belongs
 * to the account before it plans anything for it. Client's owning thread.
 */
#include "target_internal.h"

int
rs_domain_list(struct rs_client *c, struct rs_records *out,
    struct rs_error *err)
{
	return rs_op_list_offset(c, NULL, NULL, NULL, NULL, "domains", out,
	    err);
}

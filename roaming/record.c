/* record.c: one authenticated login: validate the address, record it in the
   store, and bring the outputs up to date when the login changed them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "record.h"

int record_login(const struct cfg *c, struct store *st, const char *text, long long now,
                 int flags, struct record_result *res, char *err, size_t errlen)
{
	struct buf before = BUF_INIT, after = BUF_INIT;
	struct rebuild_hint hint;
	struct addr a;
	int r = -1, cur;

	memset(res, 0, sizeof *res);
	if (!text || addr_parse(text, strlen(text), &a) == -1) {
		snprintf(err, errlen, "refusing address '%.60s': not an IPv4 or IPv6 address",
		         text ? text : "(unset)");
		errno = EINVAL;
		return -1;
	}
	addr_fmt_tcpserver(&a, res->addr);
	if (st->ops->record(st, &a, now, &res->what, &before, &after) == -1) {
		snprintf(err, errlen, "%s", st->err);
		goto done;
	}
	switch (res->what) {
	case STORE_NEW:
		res->need = RECORD_NEED;
		break;
	case STORE_REVIVED:
		res->need = RECORD_FORCE;
		break;
	default:
		/* a store whose token is a table scan (MySQL) would make every
		   known-address login slow: its outputs are caught up by
		   roamingctl sync and clearopensmtp from cron instead */
		if (st->token_costly) {
			res->need = RECORD_NONE;
			break;
		}
		/* a crash or a failed rebuild earlier must not leave a known
		   address out of the cdb forever (vpopmail's lost relay) */
		cur = rebuild_current(c, st, err, errlen);
		if (cur == -1)
			goto done;
		res->need = cur ? RECORD_NONE : RECORD_NEED;
	}
	r = 0;
	if (res->need != RECORD_NONE && !(flags & RECORD_NO_REBUILD)) {
		if (buf_terminate(&before) == -1 || buf_terminate(&after) == -1) {
			snprintf(err, errlen, "out of memory");
			r = -1;
			goto done;
		}
		hint.addr = &a;
		hint.before = before.s;
		hint.after = after.s;
		r = rebuild(c, st, res->need == RECORD_FORCE,
		            res->what == STORE_NEW ? &hint : 0, REBUILD_WAIT_MS, &res->stats, err, errlen);
	}
done:
	{
		int e = errno; /* callers tell a busy lock (EAGAIN) from the rest */
		buf_free(&before);
		buf_free(&after);
		errno = e;
	}
	return r;
}

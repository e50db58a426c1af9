/* record.h: one authenticated login: validate the address, record it in the
   store, and bring the outputs up to date when the login changed them. */
#ifndef RECORD_H
#define RECORD_H

#include "addr.h"
#include "cfg.h"
#include "rebuild.h"
#include "store.h"

enum { RECORD_NONE = 0, RECORD_NEED, RECORD_FORCE };

struct record_result {
	int what;                     /* STORE_NEW, STORE_REFRESHED, ... */
	int need;                     /* RECORD_NONE/NEED/FORCE: what rebuilding it wants */
	char addr[ADDR_TEXT_MAX];     /* the address as recorded */
	struct rebuild_stats stats;   /* when it rebuilt */
};

#define RECORD_NO_REBUILD 1  /* leave the rebuild to the caller (batches) */

/* Validates text (a TCPREMOTEIP value) with inet_pton: IPv4, IPv6, and
   v4-mapped IPv6 as IPv4; anything else is refused (-1, errno EINVAL,
   nothing recorded). Then records it at time now and, unless flags has
   RECORD_NO_REBUILD, rebuilds when needed. Returns 0, or -1 with a
   message in err. */
int record_login(const struct cfg *c, struct store *st, const char *text, long long now,
                 int flags, struct record_result *res, char *err, size_t errlen);

#endif

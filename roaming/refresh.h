/* refresh.h: deferred refreshes of known addresses, for a store whose every
   write costs a connection and a commit (MySQL). A login of an address that
   the last build saw live goes to a local spool instead of the store, and a
   flush writes the spool to the store in a few transactions. */
#ifndef REFRESH_H
#define REFRESH_H

#include "addr.h"
#include "cfg.h"
#include "store.h"

/* Past this size the spool takes no more: logins go to the store itself. */
#define REFRESH_SPOOL_MAX (8L << 20)
/* Seconds a spooled refresh needs beyond its delay and the failover time
   before its entry could go stale, or the login goes to the store. */
#define REFRESH_SLACK 60
/* The live index's record under the empty key: the store it describes. */
#define REFRESH_LIVE_ID_KEY ""

/* What refresh_spool did. */
enum {
	REFRESH_STORE = 0,  /* nothing: the caller records the login in the store */
	REFRESH_SPOOLED,    /* known and live: its time is in the spool */
	REFRESH_PERSISTENT  /* known and persistent: nothing to do */
};

/* The login path. Looks a up in the live index (cfg->live) that the last
   build from this store wrote; if its entry is persistent, or
   live for at least margin more seconds, appends "ADDRESS NOW" to the
   spool. *flush_in is then -1 (a flush is already arranged), or the
   seconds a new flusher should wait before flushing (the spool was empty:
   delay; or no flush came for longer than margin seconds: 0). Returns one
   of the above; REFRESH_STORE with errno set on a system error. */
int refresh_spool(const struct cfg *c, const struct addr *a, long long now,
                  long long margin, long delay, long *flush_in);

/* Writes the spool to the store (st->ops->refresh), a few rounds while
   logins keep appending, and removes what was written. When the store
   fails, the spool is kept, rewritten with one line per address. Holds
   cfg->rules_lock meanwhile (locked: the caller holds it). *addrs counts the distinct addresses written,
   *updated the entries the store moved. Returns 0 (also when there was no
   spool, or the store cannot refresh), or -1 with a message in err. */
int refresh_flush(const struct cfg *c, struct store *st, int locked, unsigned long *addrs,
                  unsigned long *updated, char *err, size_t errlen);

#endif

/* rebuild.h: tcp.smtp plus the live roaming entries into tcp.smtp.cdb (and
   the Postfix map), atomically, only when something changed, and at most
   one rebuild at a time serving everyone who waited for it. */
#ifndef REBUILD_H
#define REBUILD_H

#include "addr.h"
#include "buf.h"
#include "cfg.h"
#include "store.h"

#define REBUILD_WAIT_MS 20000

struct rebuild_stats {
	int rebuilt;              /* 1 if the outputs were written */
	int incremental;          /* 1 if only appended entries were added to them */
	unsigned long rules;      /* records from tcp.smtp */
	unsigned long entries;    /* live roaming entries */
	unsigned long written;    /* roaming records written to the cdb */
	unsigned long exact;      /* skipped: tcp.smtp has a line for that address */
	unsigned long denied;     /* skipped: a tcp.smtp deny covers that address */
	unsigned long covered;    /* skipped: tcp.smtp already sets RELAYCLIENT there */
	unsigned long bad_lines;  /* open-smtp lines that are not roaming entries */
};

/* What a recorder knows about its own change, so a new address that
   tcp.smtp already lets relay can be settled without a rebuild. */
struct rebuild_hint {
	const struct addr *addr;
	const char *before;       /* store token before the change */
	const char *after;        /* and after it */
};

/* Takes tcp.smtp.lock, which serializes rebuilds (and refresh flushes),
   waiting at most timeout_ms: the fd for lock_release, or -1 with a
   message in err. */
int rebuild_lock(const struct cfg *c, long timeout_ms, char *err, size_t errlen);
/* Rebuilds unless the outputs already reflect the store, tcp.smtp and the
   settings as they are now (force: always). Waits at most timeout_ms for a
   rebuild in progress, which often makes this one unnecessary. Returns 0,
   or -1 with errno and a message in err. */
int rebuild(const struct cfg *c, struct store *st, int force, const struct rebuild_hint *hint,
            long timeout_ms, struct rebuild_stats *stats, char *err, size_t errlen);
/* 1 if the outputs reflect the current store, tcp.smtp and settings; 0 if
   not; -1 with a message in err. Takes no lock. */
int rebuild_current(const struct cfg *c, struct store *st, char *err, size_t errlen);
/* Expires entries older than cutoff and rebuilds if anything changed, under
   the rebuild lock so no rebuild can see half of it. */
int rebuild_expire(const struct cfg *c, struct store *st, long long cutoff,
                   unsigned long *removed, struct rebuild_stats *stats, char *err, size_t errlen);
/* What the precedence rules make of a roaming entry for a: */
enum {
	EXPLAIN_ROAMING = 1, /* a roaming record is written (rulekey: the rule it keeps settings of, if any) */
	EXPLAIN_OVERRIDE,    /* written, overriding the catch-all deny */
	EXPLAIN_EXACT,       /* none: tcp.smtp has a line for exactly this address */
	EXPLAIN_DENIED,      /* none: tcp.smtp denies a network containing it (rulekey) */
	EXPLAIN_COVERED      /* none: tcp.smtp already sets RELAYCLIENT there (rulekey) */
};
int rebuild_explain(const struct cfg *c, const struct addr *a, int *verdict, int *matched,
                    struct buf *rulekey, char *err, size_t errlen);
/* Writes an empty Postfix map if none exists (Postfix answers 451 on a
   missing map), under the rebuild lock, and marks the outputs as behind so
   the next rebuild fills it. Returns 1 if it wrote one, 0 if one existed,
   -1 on error. */
int rebuild_postfix_init(const struct cfg *c, char *err, size_t errlen);

#endif

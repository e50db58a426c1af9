/* store.h: where roaming entries live (the open-smtp file, or a MySQL relay
   table), behind one interface. An entry is an address and the time of its
   last login; time 0 marks a persistent entry that never expires. */
#ifndef STORE_H
#define STORE_H

#include "addr.h"
#include "buf.h"
#include "cfg.h"

/* What store_record did. */
enum {
	STORE_NEW = 1,      /* address was not there: it was added */
	STORE_REFRESHED,    /* known: its time was set to now */
	STORE_REVIVED,      /* known but stale: refreshed, and it may be missing from the outputs */
	STORE_PERSISTENT    /* known and persistent: left as it is */
};

/* text is the address as the store holds it (tlen bytes, no NUL), or 0:
   for an IPv4 address written without ':' it is the dotted quad inet_ntop
   would print (inet_pton takes no other spelling), so a rebuild of 100,000
   entries need not print them all again. */
/* A login whose store write was deferred (refresh.c). */
struct store_refresh {
	struct addr a;
	long long ts;
};

typedef int (*store_each_fn)(void *ctx, const struct addr *a, const char *text, size_t tlen,
                             long long ts);

struct store;
struct store_ops {
	/* Adds the address or refreshes its time. before and after receive
	   the store's version token around the change. */
	int (*record)(struct store *s, const struct addr *a, long long now,
	              int *what, struct buf *before, struct buf *after);
	/* Calls fn for every entry; token receives the version that was read. */
	int (*load)(struct store *s, store_each_fn fn, void *ctx, struct buf *token);
	/* The current version token, cheaply. */
	int (*token)(struct store *s, struct buf *token);
	/* Removes entries with 0 < ts < cutoff; *removed counts them. */
	int (*expire)(struct store *s, long long cutoff, unsigned long *removed);
	/* Sets the address's time (adding it if absent); ts 0 is persistent. */
	int (*set)(struct store *s, const struct addr *a, long long ts);
	/* Removes the address; *found says whether it was there. */
	int (*remove)(struct store *s, const struct addr *a, int *found);
	void (*close)(struct store *s);
	/* Optional: calls fn only for the entries added since the version
	   since names, if the store can tell them apart cheaply (the file
	   store: same inode, grown, its index still fresh). Returns 1 with
	   token set, 0 if it cannot (the caller then loads everything). */
	int (*load_tail)(struct store *s, const char *since, store_each_fn fn, void *ctx,
	                 struct buf *token);
	/* Optional: moves the time of each listed entry that exists and is
	   not persistent forward to the given time (never adds or revives an
	   absent entry); *updated counts the entries it moved. */
	int (*refresh)(struct store *s, const struct store_refresh *r, size_t n,
	               unsigned long *updated);
};

struct store {
	const struct store_ops *ops;
	const struct cfg *cfg;
	char err[512];   /* the last error, for logs */
	/* 1 when token() is costly (the MySQL store scans its table): the
	   login path then does not check a known address against the
	   outputs; roamingctl sync and clearopensmtp catch up instead. */
	int token_costly;
	/* How long record() and the rest wait for the store's lock, in ms;
	   0 makes a login's first attempt fail at once (EAGAIN) when busy. */
	long lock_ms;
};

/* Opens the store the settings name. Returns 0, or -1 with errno and a
   message in err. */
int store_open(const struct cfg *c, struct store **out, char *err, size_t errlen);
/* Sets s->err from a format; returns -1 (errno preserved). */
int store_fail(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The open-smtp file store; store_file.c. */
int store_file_open(const struct cfg *c, struct store **out);
/* The MySQL relay table store; store_mysql.c. */
int store_mysql_open(const struct cfg *c, struct store **out, char *err, size_t errlen);

/* One open-smtp line: "ADDRESS:allow,ENV<TAB>TIME". Returns 1 and fills a
   and *ts if the line is a roaming entry; 0 if it is not. */
int store_parse_line(const char *line, size_t len, struct addr *a, long long *ts);
/* The same, with the length of the address text at the start of line. */
int store_parse_line_text(const char *line, size_t len, struct addr *a, long long *ts, size_t *alen);

#endif

/* rules.h: tcprules-compatible rules: parse the text, write the cdb that
   tcpserver -x reads, and look an address up the way tcpserver does. */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>
#include <sys/types.h>
#include <cdb.h>
#include "atomic.h"
#include "buf.h"

/* Receives each record in the order tcprules writes them. Returns 0, or -1
   with errno to stop the parse. */
typedef int (*rules_emit_fn)(void *ctx, const char *key, size_t klen,
                             const char *data, size_t dlen);

/* Parses rules text (tcprules 0.88 grammar plus IPv6 addresses) and calls
   emit for every record. Returns 0; or -1 with errno: EINVAL for a line
   tcprules would reject (*badline = its 1-based number), ENOMEM, or what
   emit set. */
int rules_parse(const char *text, size_t len, rules_emit_fn emit, void *ctx,
                unsigned long *badline);

/* Parses ",NAME=<q>VALUE<q>..." (the part after allow/deny) and appends
   "+NAME=VALUE\0" items to data. -1 with errno EINVAL if malformed. */
int rules_parse_env(const char *s, size_t len, struct buf *data);

/* A rules cdb being written: atomically, through tinycdb. */
struct rules_out {
	struct atomic at;
	struct cdb_make cm;
};

/* tmp as for atomic_begin (0 picks a unique name beside path). */
int rules_out_begin(struct rules_out *o, const char *path, const char *tmp, mode_t mode);
int rules_out_add(void *o, const char *key, size_t klen, const char *data, size_t dlen);
int rules_out_commit(struct rules_out *o);
void rules_out_abort(struct rules_out *o);

/* Looks key up. Returns 1 and sets *data and *dlen (valid until the next call),
   0 if absent, -1 with errno. The first record of a key wins. */
typedef int (*rules_find_fn)(void *ctx, const char *key, size_t klen,
                             const char **data, size_t *dlen);

struct rules_match {
	int found;
	struct buf key;     /* the key that matched (empty key possible) */
	const char *data;
	size_t dlen;
};

/* tcpserver's order: info@ip, info@=host, ip, =host, ip prefixes cut after
   '.' (and ':' for IPv6), =host suffixes, "=" (these host forms only when
   host is given), then the empty key. host and info may be 0.
   Returns 0 (m->found says whether a rule matched) or -1 with errno. */
int rules_lookup(rules_find_fn find, void *ctx, const char *ip,
                 const char *host, const char *info, struct rules_match *m);
void rules_match_free(struct rules_match *m);

/* find function over an open tinycdb (ctx is a struct cdb pointer). */
int rules_cdb_find(void *ctx, const char *key, size_t klen,
                   const char **data, size_t *dlen);

/* Data items: "D" denies; "+NAME=VALUE" sets a variable. */
int rules_data_denies(const char *data, size_t dlen);
/* Iterates items: returns 1 with *item and *ilen (without NUL), 0 at the end. */
int rules_data_next(const char **data, size_t *dlen, const char **item, size_t *ilen);
/* 1 if the data sets variable name (as tcpserver would, last one wins). */
int rules_data_sets(const char *data, size_t dlen, const char *name);

#endif

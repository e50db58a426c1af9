/* hmap.h: a small open-addressing hash map from byte-string keys to size_t. */
#ifndef HMAP_H
#define HMAP_H

#include <stddef.h>
#include "buf.h"

struct hmap_ent {
	size_t koff;     /* key offset in keys; (size_t)-1 for an empty slot */
	size_t klen;
	size_t val;
	unsigned hash;
};

struct hmap {
	struct hmap_ent *ents;
	size_t cap;      /* a power of two, or 0 */
	size_t n;
	struct buf keys; /* copies of the keys */
};

#define HMAP_INIT { 0, 0, 0, BUF_INIT }

/* Inserts key -> val unless the key is present. Returns 1 if inserted, 0 if
   present (*valp then points to the stored value), -1 with errno ENOMEM.
   valp may be 0; a stored pointer is valid until the next insert. */
int hmap_put(struct hmap *m, const char *k, size_t klen, size_t val, size_t **valp);
/* The value stored for key, or 0 if absent. */
size_t *hmap_get(struct hmap *m, const char *k, size_t klen);
void hmap_free(struct hmap *m);

#endif

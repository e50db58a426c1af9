/* hmap.c: a small open-addressing hash map from byte-string keys to size_t. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"

static unsigned hmap_hash(const char *k, size_t n)
{
	unsigned h = 2166136261u; /* FNV-1a */

	while (n--) {
		h ^= (unsigned char)*k++;
		h *= 16777619u;
	}
	return h;
}

static struct hmap_ent *hmap_slot(const struct hmap *m, const char *k, size_t klen, unsigned h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct hmap_ent *e = &m->ents[i];
		if (e->koff == (size_t)-1)
			return e;
		if (e->hash == h && e->klen == klen && memcmp(m->keys.s + e->koff, k, klen) == 0)
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

static int hmap_grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i;
	struct hmap_ent *old = m->ents, *e;
	size_t oldcap = m->cap;

	if (cap > (size_t)-1 / sizeof *e) {
		errno = ENOMEM;
		return -1;
	}
	e = malloc(cap * sizeof *e);
	if (!e)
		return -1;
	for (i = 0; i < cap; ++i)
		e[i].koff = (size_t)-1;
	m->ents = e;
	m->cap = cap;
	for (i = 0; i < oldcap; ++i)
		if (old[i].koff != (size_t)-1)
			*hmap_slot(m, m->keys.s + old[i].koff, old[i].klen, old[i].hash) = old[i];
	free(old);
	return 0;
}

int hmap_put(struct hmap *m, const char *k, size_t klen, size_t val, size_t **valp)
{
	unsigned h = hmap_hash(k, klen);
	struct hmap_ent *e;

	if ((m->n + 1) * 4 > m->cap * 3 && hmap_grow(m) == -1)
		return -1;
	e = hmap_slot(m, k, klen, h);
	if (e->koff != (size_t)-1) {
		if (valp)
			*valp = &e->val;
		return 0;
	}
	if (buf_put(&m->keys, k, klen) == -1)
		return -1;
	e->koff = m->keys.len - klen;
	e->klen = klen;
	e->val = val;
	e->hash = h;
	++m->n;
	if (valp)
		*valp = &e->val;
	return 1;
}

size_t *hmap_get(struct hmap *m, const char *k, size_t klen)
{
	struct hmap_ent *e;

	if (!m->cap)
		return 0;
	e = hmap_slot(m, k, klen, hmap_hash(k, klen));
	return e->koff == (size_t)-1 ? 0 : &e->val;
}

void hmap_free(struct hmap *m)
{
	free(m->ents);
	buf_free(&m->keys);
	m->ents = 0;
	m->cap = m->n = 0;
}

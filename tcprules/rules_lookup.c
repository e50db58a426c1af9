/* rules_lookup.c: ask the rules what tcpserver would do for a client, in
   tcpserver's own order, over any key-to-data store. */
#include <errno.h>
#include <string.h>
#include "rules.h"

static int try(rules_find_fn find, void *ctx, struct rules_match *m)
{
	int r = find(ctx, m->key.s, m->key.len, &m->data, &m->dlen);

	if (r == 1)
		m->found = 1;
	return r;
}

static int setkey(struct buf *k, const char *a, const char *b, const char *c)
{
	k->len = 0;
	if (a && buf_puts(k, a) == -1)
		return -1;
	if (b && buf_puts(k, b) == -1)
		return -1;
	if (c && buf_puts(k, c) == -1)
		return -1;
	return 0;
}

int rules_lookup(rules_find_fn find, void *ctx, const char *ip,
                 const char *host, const char *info, struct rules_match *m)
{
	int r, v6 = strchr(ip, ':') != 0;
	size_t n;

	m->found = 0;
	m->data = 0;
	m->dlen = 0;
#define TRY(a, b, c) do { \
		if (setkey(&m->key, a, b, c) == -1) return -1; \
		if ((r = try(find, ctx, m)) != 0) return r == -1 ? -1 : 0; \
	} while (0)
	if (info) {
		TRY(info, "@", ip);
		if (host)
			TRY(info, "@=", host);
	}
	TRY(ip, 0, 0);
	if (host)
		TRY("=", host, 0);
	/* Dotted (and for IPv6, colon) prefixes, longest first. */
	if (setkey(&m->key, ip, 0, 0) == -1)
		return -1;
	for (n = m->key.len; n > 0; --n) {
		if (ip[n - 1] == '.' || (v6 && ip[n - 1] == ':')) {
			m->key.len = n;
			if ((r = try(find, ctx, m)) != 0)
				return r == -1 ? -1 : 0;
		}
	}
	if (host) {
		const char *h;
		for (h = host; *h; ++h)
			if (*h == '.')
				TRY("=", h, 0);
		TRY("=", 0, 0);
	}
	TRY(0, 0, 0);
#undef TRY
	return 0;
}

void rules_match_free(struct rules_match *m)
{
	buf_free(&m->key);
}

int rules_cdb_find(void *ctx, const char *key, size_t klen,
                   const char **data, size_t *dlen)
{
	struct cdb *c = ctx;
	int r;

	if (klen > 0xffffffffu)
		return 0;
	r = cdb_find(c, key, (unsigned)klen);
	if (r <= 0)
		return r;
	*data = cdb_getdata(c);
	*dlen = cdb_datalen(c);
	if (!*data) {
		errno = EPROTO; /* record points outside the file */
		return -1;
	}
	return 1;
}

int rules_data_next(const char **data, size_t *dlen, const char **item, size_t *ilen)
{
	const char *z;

	/* tcpserver only acts on NUL-terminated items; a trailing fragment is ignored. */
	if (!*dlen || !(z = memchr(*data, 0, *dlen)))
		return 0;
	*item = *data;
	*ilen = (size_t)(z - *data);
	*dlen -= *ilen + 1;
	*data = z + 1;
	return 1;
}

int rules_data_denies(const char *data, size_t dlen)
{
	const char *it;
	size_t il;

	while (rules_data_next(&data, &dlen, &it, &il))
		if (il && it[0] == 'D')
			return 1;
	return 0;
}

int rules_data_sets(const char *data, size_t dlen, const char *name)
{
	size_t nl = strlen(name);
	const char *it;
	size_t il;

	while (rules_data_next(&data, &dlen, &it, &il))
		if (il > nl + 1 && it[0] == '+' && memcmp(it + 1, name, nl) == 0 && it[1 + nl] == '=')
			return 1;
	return 0;
}

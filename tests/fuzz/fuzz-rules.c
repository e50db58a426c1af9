/* fuzz-rules.c: libFuzzer target: rules_parse against a model of tcprules 0.88, then rules_lookup against a model of tcpserver's order. */
/*
 * For every input:
 *  - the records rules_parse emits obey bounds any tcprules output obeys
 *    (keys and data no longer than the input, no newline, data made of
 *    NUL-terminated "D" and "+NAME=VALUE" items, ':' only in IPv6 keys);
 *  - a small independent model of tcprules 0.88 parses the same input: if
 *    it accepts, roaming must emit exactly its records; if it rejects line
 *    L, roaming must emit the same records before L and reject L too,
 *    unless L is one of the IPv6 lines roaming accepts on purpose;
 *  - rules_lookup over the records (in memory, first record of a key
 *    wins) finds what tcpserver's documented order finds.
 * Any violation aborts, which libFuzzer reports with the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) fail(#c, __LINE__); } while (0)

static void fail(const char *what, int line)
{
	fprintf(stderr, "fuzz-rules: invariant broken at line %d: %s\n", line, what);
	abort();
}

/* Records as emitted: all bytes in one buffer, offsets beside. */
struct rec {
	size_t koff, klen, doff, dlen;
	unsigned long line;
};

struct recs {
	struct buf bytes;
	struct rec *r;
	size_t n, cap;
	size_t input;          /* input size, for the bounds */
	unsigned long line;    /* model only: line being parsed */
};

static int recs_add(struct recs *l, const char *k, size_t kl, const char *d, size_t dl)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct rec *r = realloc(l->r, cap * sizeof *r);
		if (!r)
			return -1;
		l->r = r;
		l->cap = cap;
	}
	l->r[l->n].koff = l->bytes.len;
	l->r[l->n].klen = kl;
	if (buf_put(&l->bytes, k, kl) == -1)
		return -1;
	l->r[l->n].doff = l->bytes.len;
	l->r[l->n].dlen = dl;
	l->r[l->n].line = l->line;
	if (buf_put(&l->bytes, d, dl) == -1)
		return -1;
	++l->n;
	return 0;
}

static void recs_free(struct recs *l)
{
	buf_free(&l->bytes);
	free(l->r);
}

static int addrish(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; ++i)
		if (!memchr("0123456789abcdefABCDEF:.", s[i], 24))
			return 0;
	return n > 0;
}

/* The emitter: checks each record, then keeps it. */
static int emit(void *ctx, const char *k, size_t kl, const char *d, size_t dl)
{
	struct recs *l = ctx;
	const char *colon, *at;

	CHECK(kl <= l->input);
	CHECK(dl <= l->input);
	/* Empty data may come as a null pointer: no memchr on it. */
	CHECK(!kl || !memchr(k, '\n', kl));
	CHECK(!dl || !memchr(d, '\n', dl));
	/* "D\0" for deny, then "+NAME=VALUE\0" items (NAME and VALUE may
	   hold NUL bytes, so the items cannot be checked one by one). */
	CHECK(dl == 0 || d[dl - 1] == 0);
	CHECK(dl == 0 || d[0] == '+' || (dl >= 2 && d[0] == 'D' && d[1] == 0));
	CHECK(dl < 2 || d[0] != 'D' || dl == 2 || d[2] == '+');
	colon = memchr(k, ':', kl);
	if (colon) {
		/* Only an IPv6 rule puts ':' in a key: [info@]address, the
		   address all hex digits, ':' and '.' (a v4-mapped one is
		   stored dotted). The info part is free, ':' included, as
		   ucspi-tcp-ipv6 splits "a:b@::1:allow" the same way. */
		at = memchr(k, '@', kl);
		at = at ? at + 1 : k;
		CHECK(addrish(at, kl - (size_t)(at - k)));
	}
	return 0;
}

static int emit_keep(void *ctx, const char *k, size_t kl, const char *d, size_t dl)
{
	emit(ctx, k, kl, d, dl);
	return recs_add(ctx, k, kl, d, dl);
}

/* ---- model of tcprules 0.88, written from its documented behaviour ---- */

static int starts(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);

	return n >= wl && memcmp(s, w, wl) == 0;
}

/* djb's scan_ulong (wrapping) on a C-string copy: digits, then the end of
   the field or a NUL. */
static int model_num(const char *s, size_t n, unsigned long *u)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; ++i)
		v = v * 10 + (unsigned long)(s[i] - '0');
	*u = v;
	return i == n || s[i] == 0;
}

/* 1 = line fine, 0 = tcprules rejects it, -1 = out of memory. */
static int model_line(struct recs *l, const char *x, size_t n, struct buf *data, struct buf *key)
{
	const char *colon, *a, *r, *eq, *end, *dash;
	size_t alen, rl;

	if (x[0] == '#' || x[0] == '\n')
		return 1;
	while (n && (x[n - 1] == '\n' || x[n - 1] == ' ' || x[n - 1] == '\t'))
		--n;
	if (!(colon = memchr(x, ':', n)))
		return 1;
	a = x;
	alen = (size_t)(colon - x);
	r = colon + 1;
	rl = n - alen - 1;
	data->len = 0;
	if (starts(r, rl, "deny")) {
		if (buf_put(data, "D", 2) == -1)
			return -1;
		r += 4, rl -= 4;
	} else if (starts(r, rl, "allow")) {
		r += 5, rl -= 5;
	} else {
		return 0;
	}
	while (rl) {
		char q;
		if (*r != ',' || !(eq = memchr(r, '=', rl)))
			return 0;
		if (buf_putc(data, '+') == -1 || buf_put(data, r + 1, (size_t)(eq - r)) == -1)
			return -1;
		rl -= (size_t)(eq + 1 - r);
		r = eq + 1;
		if (!rl)
			return 0;
		q = *r++;
		--rl;
		if (!(end = memchr(r, q, rl)))
			return 0;
		if (buf_put(data, r, (size_t)(end - r)) == -1 || buf_putc(data, 0) == -1)
			return -1;
		rl -= (size_t)(end + 1 - r);
		r = end + 1;
	}
	if (!memchr(a, '=', alen) && !memchr(a, '@', alen) && (dash = memchr(a, '-', alen))) {
		size_t d = (size_t)(dash - a), left = d, right;
		unsigned long bot, top;
		while (left > 0 && a[left - 1] != '.')
			--left;
		end = memchr(dash + 1, '.', alen - d - 1);
		right = end ? (size_t)(end - a) : alen;
		if (!model_num(a + left, d - left, &bot) || !model_num(dash + 1, right - d - 1, &top))
			return 0;
		if (top > 255)
			top = 255;
		while (bot <= top) {
			key->len = 0;
			if (buf_put(key, a, left) == -1 || buf_putulong(key, bot) == -1
			    || buf_put(key, a + right, alen - right) == -1
			    || recs_add(l, key->s, key->len, data->s, data->len) == -1)
				return -1;
			++bot;
		}
		return 1;
	}
	return recs_add(l, a, alen, data->s, data->len) == -1 ? -1 : 1;
}

/* 0 accepted; 1 rejected (*bad = line); -1 out of memory. */
static int model_parse(const char *t, size_t len, struct recs *l, unsigned long *bad)
{
	struct buf data = BUF_INIT, key = BUF_INIT;
	const char *x = t, *end = t + len, *nl;
	int r = 0;

	l->line = 0;
	while (x < end) {
		nl = memchr(x, '\n', (size_t)(end - x));
		nl = nl ? nl + 1 : end;
		++l->line;
		r = model_line(l, x, (size_t)(nl - x), &data, &key);
		if (r != 1) {
			*bad = l->line;
			r = r == 0 ? 1 : -1;
			break;
		}
		r = 0;
		x = nl;
	}
	buf_free(&data);
	buf_free(&key);
	return r;
}

/* The bytes of line n (1-based), without its newline. */
static const char *line_of(const char *t, size_t len, unsigned long n, size_t *ll)
{
	const char *x = t, *end = t + len, *nl;

	while (--n) {
		nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			return 0;
		x = nl + 1;
	}
	nl = memchr(x, '\n', (size_t)(end - x));
	*ll = nl ? (size_t)(nl - x) : (size_t)(end - x);
	return x;
}

/* 1 if roaming may take this line as an IPv6 rule that tcprules rejects:
   the first ':' not followed by allow/deny, a later one that is. */
static int v6_line(const char *x, size_t n)
{
	const char *c;

	while (n && (x[n - 1] == ' ' || x[n - 1] == '\t'))
		--n;
	c = memchr(x, ':', n);
	if (!c || starts(c + 1, n - (size_t)(c + 1 - x), "allow") || starts(c + 1, n - (size_t)(c + 1 - x), "deny"))
		return 0;
	while ((c = memchr(c + 1, ':', n - (size_t)(c + 1 - x))))
		if (starts(c + 1, n - (size_t)(c + 1 - x), "allow") || starts(c + 1, n - (size_t)(c + 1 - x), "deny"))
			return 1;
	return 0;
}

static int same_rec(const struct recs *a, size_t i, const struct recs *b, size_t j)
{
	const struct rec *x = &a->r[i], *y = &b->r[j];

	return x->klen == y->klen && x->dlen == y->dlen
	       && (!x->klen || memcmp(a->bytes.s + x->koff, b->bytes.s + y->koff, x->klen) == 0)
	       && (!x->dlen || memcmp(a->bytes.s + x->doff, b->bytes.s + y->doff, x->dlen) == 0);
}

/* ---- lookup ---- */

static int find(void *ctx, const char *key, size_t klen, const char **d, size_t *dl)
{
	const struct recs *l = ctx;
	size_t i;

	for (i = 0; i < l->n; ++i)
		if (l->r[i].klen == klen && (!klen || memcmp(l->bytes.s + l->r[i].koff, key, klen) == 0)) {
			*d = l->bytes.s + l->r[i].doff;
			*dl = l->r[i].dlen;
			return 1;
		}
	return 0;
}

/* tcpserver's order, spelled out independently of rules_lookup: the first
   candidate present in the records, as key text; -1 if none. */
static int model_lookup(const struct recs *l, const char *ip, const char *host, const char *info,
                        struct buf *out)
{
	struct buf k = BUF_INIT;
	const char *d;
	size_t dl, n, iplen = strlen(ip);
	int v6 = strchr(ip, ':') != 0, hit = 0, step;

	for (step = 0; !hit && step < 8; ++step) {
		k.len = 0;
		switch (step) {
		case 0: if (!info) continue;
			buf_puts(&k, info), buf_puts(&k, "@"), buf_puts(&k, ip); break;
		case 1: if (!info || !host) continue;
			buf_puts(&k, info), buf_puts(&k, "@="), buf_puts(&k, host); break;
		case 2: buf_puts(&k, ip); break;
		case 3: if (!host) continue;
			buf_puts(&k, "="), buf_puts(&k, host); break;
		case 4:
			for (n = iplen; !hit && n > 0; --n)
				if (ip[n - 1] == '.' || (v6 && ip[n - 1] == ':')) {
					k.len = 0;
					buf_put(&k, ip, n);
					hit = find((void *)l, k.s, k.len, &d, &dl);
				}
			continue;
		case 5: if (!host) continue;
			for (n = 0; !hit && host[n]; ++n)
				if (host[n] == '.') {
					k.len = 0;
					buf_puts(&k, "="), buf_puts(&k, host + n);
					hit = find((void *)l, k.s, k.len, &d, &dl);
				}
			continue;
		case 6: if (!host) continue;
			buf_puts(&k, "="); break;
		case 7: break;
		}
		hit = find((void *)l, k.s ? k.s : "", k.len, &d, &dl);
	}
	out->len = 0;
	if (hit)
		buf_put(out, k.s ? k.s : "", k.len);
	buf_free(&k);
	return hit ? 0 : -1;
}

/* tcpserver denies if any NUL-terminated item starts with 'D' (a NUL in a
   value can start such an item). */
static int naive_denies(const char *d, size_t dl)
{
	size_t i;

	for (i = 0; i < dl; ++i)
		if ((i == 0 || d[i - 1] == 0) && d[i] == 'D' && memchr(d + i, 0, dl - i))
			return 1;
	return 0;
}

static void lookup(const struct recs *l, const char *ip, const char *host, const char *info)
{
	struct rules_match m = { 0, BUF_INIT, 0, 0 };
	struct buf want = BUF_INIT;
	int r = rules_lookup(find, (void *)l, ip, host, info, &m);

	if (r == -1 && errno == ENOMEM)
		goto done;
	CHECK(r == 0);
	if (model_lookup(l, ip, host, info, &want) == 0) {
		const char *d;
		size_t dl;
		CHECK(m.found);
		CHECK(m.key.len == want.len && memcmp(m.key.s, want.s, want.len) == 0);
		/* The first record of the key, not a later duplicate. */
		CHECK(find((void *)l, m.key.s, m.key.len, &d, &dl) == 1 && d == m.data && dl == m.dlen);
		CHECK(rules_data_denies(m.data, m.dlen) == naive_denies(m.data, m.dlen));
	} else {
		CHECK(!m.found);
	}
done:
	rules_match_free(&m);
	buf_free(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct recs got = { BUF_INIT, 0, 0, 0, size, 0 }, ref = { BUF_INIT, 0, 0, 0, size, 0 };
	unsigned long bad = 0, refbad = 0;
	int r, rr, e;
	size_t i;

	r = rules_parse(t, size, emit_keep, &got, &bad);
	e = errno;
	if (r == -1 && e == ENOMEM)
		goto done;
	rr = model_parse(t, size, &ref, &refbad);
	if (rr == -1)
		goto done;
	if (r == -1) {
		size_t ll = 0;
		const char *ln = line_of(t, size, bad, &ll);
		CHECK(e == EINVAL);
		CHECK(bad >= 1 && ln);
		(void)ln;
	}
	if (rr == 0) {
		/* tcprules accepts: roaming writes the very same records. */
		CHECK(r == 0);
		CHECK(got.n == ref.n);
		for (i = 0; i < ref.n; ++i)
			CHECK(same_rec(&got, i, &ref, i));
	} else {
		size_t ll = 0;
		const char *ln = line_of(t, size, refbad, &ll);
		CHECK(ln);
		/* Everything before the bad line agrees. */
		CHECK(got.n >= ref.n);
		for (i = 0; i < ref.n; ++i)
			CHECK(same_rec(&got, i, &ref, i));
		if (!v6_line(ln, ll)) {
			CHECK(r == -1 && bad == refbad && got.n == ref.n);
		} else if (r == -1) {
			CHECK(bad >= refbad);
		}
	}

	/* Lookups: a fixed client, and clients made from the first keys. */
	lookup(&got, "1.2.3.4", "h.sub.example.com", "joe");
	lookup(&got, "1.2.3.4", 0, 0);
	lookup(&got, "2001:db8::1", 0, "joe");
	for (i = 0; i < got.n && i < 4; ++i) {
		char k[64];
		size_t kl = got.r[i].klen;
		if (kl >= sizeof k || memchr(got.bytes.s + got.r[i].koff, 0, kl))
			continue;
		memcpy(k, got.bytes.s + got.r[i].koff, kl);
		k[kl] = 0;
		lookup(&got, k, 0, 0);
		lookup(&got, "1.2.3.4", k[0] == '=' ? k + 1 : k, "joe");
		if (strchr(k, '@')) {
			*strchr(k, '@') = 0;
			lookup(&got, "1.2.3.4", "h.example.com", k);
		}
	}
done:
	recs_free(&got);
	recs_free(&ref);
	return 0;
}

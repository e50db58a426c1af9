/* rules_parse.c: the tcprules 0.88 grammar, byte for byte, plus IPv6
   addresses the way ucspi-tcp-ipv6 splits them (without its hang). */
#include <errno.h>
#include <string.h>
#include "addr.h"
#include "rules.h"

struct parser {
	struct buf data;
	struct buf key;
	rules_emit_fn emit;
	void *ctx;
};

static int bad(void)
{
	errno = EINVAL;
	return -1;
}

static int starts(const char *x, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(x, word, n) == 0;
}

int rules_parse_env(const char *x, size_t len, struct buf *data)
{
	const char *eq, *end;
	char q;

	while (len) {
		if (*x != ',')
			return bad();
		eq = memchr(x, '=', len);
		if (!eq)
			return bad();
		/* "+NAME=": the bytes after the comma up to and with '=' */
		if (buf_putc(data, '+') == -1 || buf_put(data, x + 1, (size_t)(eq - x)) == -1)
			return -1;
		len -= (size_t)(eq - x) + 1;
		x = eq + 1;
		if (!len)
			return bad();
		q = *x++;
		--len;
		end = memchr(x, q, len);
		if (!end)
			return bad();
		if (buf_put(data, x, (size_t)(end - x)) == -1 || buf_putc(data, 0) == -1)
			return -1;
		len -= (size_t)(end - x) + 1;
		x = end + 1;
	}
	return 0;
}

/* djb's scan_ulong, wrapping as it does; then tcprules' getnum check: the
   number must run to the end of the field (or to a NUL, as its C string
   copy stops there). */
static int getnum(const char *s, size_t len, unsigned long *u)
{
	unsigned long r = 0;
	size_t i = 0;

	while (i < len && (unsigned char)(s[i] - '0') < 10) {
		r = r * 10 + (unsigned long)(unsigned char)(s[i] - '0');
		++i;
	}
	*u = r;
	return i == len || s[i] == 0 ? 0 : bad();
}

static int emit_ranges(struct parser *p, const char *a, size_t alen, const char *dash)
{
	size_t i = (size_t)(dash - a), left, right;
	unsigned long bot, top;
	const char *dot;

	left = 0;
	for (size_t j = i; j > 0; --j)
		if (a[j - 1] == '.') {
			left = j;
			break;
		}
	dot = memchr(a + i + 1, '.', alen - i - 1);
	right = dot ? (size_t)(dot - a) : alen;
	if (getnum(a + left, i - left, &bot) == -1 || getnum(a + i + 1, right - i - 1, &top) == -1)
		return -1;
	if (top > 255)
		top = 255;
	for (; bot <= top; ++bot) {
		p->key.len = 0;
		if (buf_put(&p->key, a, left) == -1 || buf_putulong(&p->key, bot) == -1
		    || buf_put(&p->key, a + right, alen - right) == -1)
			return -1;
		if (p->emit(p->ctx, p->key.s, p->key.len, p->data.s, p->data.len) == -1)
			return -1;
	}
	return 0;
}

static int emit_address(struct parser *p, const char *a, size_t alen)
{
	const char *dash;

	if (!memchr(a, '=', alen) && !memchr(a, '@', alen)
	    && (dash = memchr(a, '-', alen)))
		return emit_ranges(p, a, alen, dash);
	return p->emit(p->ctx, a, alen, p->data.s, p->data.len);
}

static int hexish(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; ++i) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
		      || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return 0;
	}
	return n > 0 && memchr(s, ':', n) != 0;
}

/* An IPv6 rule address, optionally info@: a complete address is stored as
   tcpserver-ipv6 formats TCPREMOTEIP (any other spelling could never match);
   a prefix ending in ':' or '.' is stored as written. 0 if not IPv6. */
static int v6_key(struct parser *p, const char *a, size_t alen)
{
	const char *at = memchr(a, '@', alen);
	size_t off = at ? (size_t)(at - a) + 1 : 0;
	const char *ip = a + off;
	size_t iplen = alen - off;
	struct addr ad;
	char txt[ADDR_TEXT_MAX];

	/* tcprules ends info@ at the first ':'; so must an IPv6 line's info */
	if (!hexish(ip, iplen) || (at && memchr(a, ':', off)))
		return 0;
	p->key.len = 0;
	if (buf_put(&p->key, a, off) == -1)
		return -1;
	if (addr_parse(ip, iplen, &ad) == 0) {
		if (buf_put(&p->key, txt, addr_fmt_tcpserver(&ad, txt)) == -1)
			return -1;
	} else if (ip[iplen - 1] == ':' || ip[iplen - 1] == '.') {
		if (buf_put(&p->key, ip, iplen) == -1)
			return -1;
	} else {
		return 0;
	}
	return 1;
}

/* Returns 0 (line done) or -1 with errno. */
static int parse_line(struct parser *p, const char *x, size_t len)
{
	const char *colon, *rest;
	size_t rlen, alen;
	int v6 = 0;

	if (x[0] == '#' || x[0] == '\n')
		return 0;
	while (len && (x[len - 1] == '\n' || x[len - 1] == ' ' || x[len - 1] == '\t'))
		--len;
	colon = memchr(x, ':', len);
	if (!colon)
		return 0;
	alen = (size_t)(colon - x);
	rest = colon + 1;
	rlen = len - alen - 1;
	if (!starts(rest, rlen, "allow") && !starts(rest, rlen, "deny")) {
		/* tcprules rejects this; ucspi-tcp-ipv6 ends the address at the
		   first ':' followed by allow or deny. Accept only IPv6 there. */
		const char *c = colon;
		for (;;) {
			c = memchr(c + 1, ':', len - (size_t)(c + 1 - x));
			if (!c)
				return bad();
			rlen = len - (size_t)(c + 1 - x);
			if (starts(c + 1, rlen, "allow") || starts(c + 1, rlen, "deny"))
				break;
		}
		alen = (size_t)(c - x);
		rest = c + 1;
		switch (v6_key(p, x, alen)) {
		case -1: return -1;
		case 0: return bad();
		}
		v6 = 1;
	}
	p->data.len = 0;
	if (buf_ready(&p->data, 0) == -1) /* never hand tinycdb a null pointer */
		return -1;
	if (starts(rest, rlen, "allow")) {
		rest += 5;
		rlen -= 5;
	} else {
		if (buf_put(&p->data, "D", 2) == -1)
			return -1;
		rest += 4;
		rlen -= 4;
	}
	if (rules_parse_env(rest, rlen, &p->data) == -1)
		return -1;
	if (v6) {
		/* p->key holds the normalized address; hand the emitter a copy-free view. */
		return p->emit(p->ctx, p->key.s, p->key.len, p->data.s, p->data.len);
	}
	return emit_address(p, x, alen);
}

int rules_parse(const char *text, size_t len, rules_emit_fn emit, void *ctx,
                unsigned long *badline)
{
	struct parser p = { BUF_INIT, BUF_INIT, emit, ctx };
	const char *x = text, *end = text + len, *nl;
	unsigned long line = 0;
	int r = 0;

	while (x < end) {
		nl = memchr(x, '\n', (size_t)(end - x));
		nl = nl ? nl + 1 : end;
		++line;
		if (parse_line(&p, x, (size_t)(nl - x)) == -1) {
			if (badline)
				*badline = line;
			r = -1;
			break;
		}
		x = nl;
	}
	buf_free(&p.data);
	buf_free(&p.key);
	return r;
}

/* buf.c: growable, binary-safe byte buffers with overflow-checked growth. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

int buf_ready(struct buf *b, size_t extra)
{
	size_t want, cap;
	char *s;

	if (extra > (size_t)-1 - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	want = b->len + extra + 1; /* room for buf_terminate */
	if (want <= b->cap)
		return 0;
	/* double (amortized appends), or jump straight to a larger request */
	cap = b->cap ? b->cap : 64;
	cap = cap > (size_t)-1 / 2 ? want : cap * 2;
	if (cap < want)
		cap = want;
	s = realloc(b->s, cap);
	if (!s)
		return -1;
	b->s = s;
	b->cap = cap;
	return 0;
}

int buf_put(struct buf *b, const void *p, size_t n)
{
	if (buf_ready(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_put(b, &c, 1);
}

size_t fmt_ulong(char *out, unsigned long long n)
{
	char tmp[20];
	size_t i = sizeof tmp, len;

	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	len = sizeof tmp - i;
	memcpy(out, tmp + i, len);
	return len;
}

int scan_ulong(const char *s, size_t n, size_t max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > max || max > 19)
		return -1;
	for (i = 0; i < n; ++i) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int array_room(void *pp, size_t *cap, size_t n, size_t size, size_t first)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : first;
	if (c < *cap || size == 0 || c > (size_t)-1 / size) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(&p, pp, sizeof p);
	p = realloc(p, c * size);
	if (!p)
		return -1;
	memcpy(pp, &p, sizeof p);
	*cap = c;
	return 0;
}

int buf_putulong(struct buf *b, unsigned long long n)
{
	char tmp[20];

	return buf_put(b, tmp, fmt_ulong(tmp, n));
}

int buf_terminate(struct buf *b)
{
	if (buf_ready(b, 0) == -1)
		return -1;
	b->s[b->len] = 0;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->s);
	b->s = 0;
	b->len = b->cap = 0;
}

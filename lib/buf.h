/* buf.h: growable, binary-safe byte buffers with overflow-checked growth. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char *s;
	size_t len;
	size_t cap;
};

#define BUF_INIT { 0, 0, 0 }

/* All return 0, or -1 with errno ENOMEM; on failure the buffer is unchanged. */
int buf_ready(struct buf *b, size_t extra);
int buf_put(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_putulong(struct buf *b, unsigned long long n);
/* Appends a NUL that is not counted in len, so s may be used as a C string. */
int buf_terminate(struct buf *b);
void buf_free(struct buf *b);

/* Formats n in decimal into out (at least 20 bytes); returns the length. */
size_t fmt_ulong(char *out, unsigned long long n);
/* Reads s[0..n) as 1 to max decimal digits, nothing else (max at most 19,
   so the value always fits). Returns 0 with *out, or -1. */
int scan_ulong(const char *s, size_t n, size_t max, unsigned long long *out);

/* Makes room for one more element in a growable array: *pp (a pointer to
   the array's pointer) holds n of *cap elements of size bytes; when full it
   grows to twice (or first) elements. Returns 0, or -1 with errno ENOMEM
   and the array unchanged. */
int array_room(void *pp, size_t *cap, size_t n, size_t size, size_t first);

#endif

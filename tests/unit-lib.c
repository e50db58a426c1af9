/* unit-lib.c: unit tests for lib/ (buf, addr, hmap, atomic) and the tcprules lookup and data helpers; prints ok/not ok lines. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "hmap.h"
#include "rules.h"

static int failures;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	fputs(cond ? "ok - " : "not ok - ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		++failures;
}

/* Bytes as C escapes, for messages about binary data. */
static const char *show(const char *s, size_t n)
{
	static char out[4][512];
	static int k;
	char *o = out[k = (k + 1) % 4];
	size_t i, j = 0;

	for (i = 0; i < n && j + 5 < sizeof out[0]; ++i) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 32 && c < 127 && c != '\\')
			o[j++] = (char)c;
		else
			j += (size_t)snprintf(o + j, sizeof out[0] - j, "\\%03o", c);
	}
	o[j] = 0;
	return o;
}

static int same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* ---------------------------------------------------------------- buf */

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	char num[20];
	size_t i;
	int r;

	check(buf_put(&b, "a\0b", 3) == 0 && same(b.s, b.len, "a\0b", 3), "buf_put keeps NUL bytes");
	check(buf_puts(&b, "cd") == 0 && buf_putc(&b, 0) == 0 && same(b.s, b.len, "a\0bcd\0", 6),
	      "buf_puts and buf_putc append");
	b.len = 0;
	check(buf_putulong(&b, 0) == 0 && buf_putc(&b, ' ') == 0
	      && buf_putulong(&b, 18446744073709551615ull) == 0
	      && same(b.s, b.len, "0 18446744073709551615", 22), "buf_putulong: 0 and the largest value");
	check(fmt_ulong(num, 4294967296ull) == 10 && memcmp(num, "4294967296", 10) == 0, "fmt_ulong");
	{
		unsigned long long v = 7;
		int *arr = 0;
		size_t cap = 0, n;

		check(scan_ulong("1700000000", 10, 18, &v) == 0 && v == 1700000000ull, "scan_ulong reads digits");
		check(scan_ulong("9999999999999999999", 19, 19, &v) == 0 && v == 9999999999999999999ull,
		      "scan_ulong: 19 digits fit");
		v = 7;
		check(scan_ulong("", 0, 18, &v) == -1 && scan_ulong("12", 2, 1, &v) == -1
		      && scan_ulong("1x", 2, 18, &v) == -1 && scan_ulong("-1", 2, 18, &v) == -1
		      && scan_ulong(" 1", 2, 18, &v) == -1 && scan_ulong("1", 1, 20, &v) == -1 && v == 7,
		      "scan_ulong refuses empty, too long, signs, spaces, non-digits; leaves *out");
		for (n = 0; n < 1000; ++n) {
			if (array_room(&arr, &cap, n, sizeof *arr, 4) == -1)
				break;
			arr[n] = (int)n;
		}
		check(n == 1000 && cap >= 1000 && arr[999] == 999 && arr[0] == 0, "array_room grows and keeps elements");
		check(array_room(&arr, &cap, 10, sizeof *arr, 4) == 0, "array_room: room already there");
		n = cap;
		check(array_room(&arr, &n, n, (size_t)-1 / 2, 4) == -1 && errno == ENOMEM && arr[999] == 999,
		      "array_room: overflow is ENOMEM, the array unchanged");
		free(arr);
	}
	b.len = 3;
	check(buf_terminate(&b) == 0 && b.len == 3 && b.s[3] == 0, "buf_terminate adds an uncounted NUL");
	b.len = 0;
	for (i = 0, r = 0; i < 100000 && r == 0; ++i)
		r = buf_putc(&b, (char)('a' + i % 26));
	for (i = 0; r == 0 && i < 100000; ++i)
		if (b.s[i] != (char)('a' + i % 26))
			r = -1;
	check(r == 0 && b.len == 100000 && b.cap > b.len, "100000 appends grow the buffer and keep every byte");
	{
		size_t len = b.len, cap = b.cap;
		char *s = b.s;
		errno = 0;
		r = buf_ready(&b, (size_t)-1 - 2);
		check(r == -1 && errno == ENOMEM && b.s == s && b.len == len && b.cap == cap,
		      "buf_ready refuses a size that overflows and leaves the buffer unchanged");
		errno = 0;
		check(buf_put(&b, "x", (size_t)-1) == -1 && errno == ENOMEM && b.len == len,
		      "buf_put of an impossible length is ENOMEM");
	}
	buf_free(&b);
	check(b.s == 0 && b.len == 0 && b.cap == 0, "buf_free empties the buffer");
	check(buf_put(&b, "", 0) == 0 && b.len == 0, "an empty put on a fresh buffer works");
	buf_free(&b);
}

/* ---------------------------------------------------------------- addr */

static void addr_ok(const char *s, int family, const char *bytes, size_t nbytes)
{
	struct addr a;
	int r = addr_parse(s, strlen(s), &a);

	check(r == 0 && a.family == family && memcmp(a.a, bytes, nbytes) == 0,
	      "addr_parse accepts %s", show(s, strlen(s)));
}

static void addr_bad(const char *s, size_t len, const char *why)
{
	struct addr a;

	errno = 0;
	check(addr_parse(s, len, &a) == -1 && errno == EINVAL, "addr_parse refuses %s (%s)", show(s, len), why);
}

static void addr_fmt(const char *in, const char *tcpserver, const char *postfix)
{
	struct addr a;
	char t[ADDR_TEXT_MAX], p[ADDR_TEXT_MAX];
	size_t tl = 0, pl = 0;

	if (addr_parse(in, strlen(in), &a) == 0) {
		tl = addr_fmt_tcpserver(&a, t);
		pl = addr_fmt_postfix(&a, p);
	} else {
		t[0] = p[0] = 0;
	}
	check(tl == strlen(tcpserver) && strcmp(t, tcpserver) == 0,
	      "addr_fmt_tcpserver(%s) is %s (got %s)", in, tcpserver, t);
	check(pl == strlen(postfix) && strcmp(p, postfix) == 0,
	      "addr_fmt_postfix(%s) is %s (got %s)", in, postfix, p);
}

static void test_addr(void)
{
	static const char long_ok[] = "0001:0002:0003:0004:0005:0006:0007:0008";
	char over[ADDR_TEXT_MAX + 8];
	struct addr a;

	addr_ok("1.2.3.4", AF_INET, "\1\2\3\4", 4);
	{
		struct addr v4, v6, m;
		char k4[ADDR_KEY_LEN], k6[ADDR_KEY_LEN], km[ADDR_KEY_LEN];

		check(addr_parse("1.2.3.4", 7, &v4) == 0 && addr_parse("102:304::", 9, &v6) == 0
		      && addr_parse("::ffff:1.2.3.4", 14, &m) == 0, "addr_key: the addresses parse");
		addr_key(&v4, k4);
		addr_key(&v6, k6);
		addr_key(&m, km);
		check(memcmp(k4, k6, ADDR_KEY_LEN) != 0, "addr_key: 1.2.3.4 and 102:304:: differ");
		check(memcmp(k4, km, ADDR_KEY_LEN) == 0, "addr_key: ::ffff:1.2.3.4 is 1.2.3.4");
	}
	addr_ok("255.255.255.255", AF_INET, "\377\377\377\377", 4);
	addr_ok("::1", AF_INET6, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	addr_ok("2001:DB8::1", AF_INET6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	addr_ok("::ffff:1.2.3.4", AF_INET, "\1\2\3\4\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	addr_ok("::FFFF:10.0.0.1", AF_INET, "\12\0\0\1", 4);
	addr_ok(long_ok, AF_INET6, "\0\1\0\2\0\3\0\4\0\5\0\6\0\7\0\10", 16);
	check(addr_parse("1.2.3.4junk", 7, &a) == 0 && a.family == AF_INET && memcmp(a.a, "\1\2\3\4", 4) == 0,
	      "addr_parse reads only the given length");

	addr_bad("", 0, "empty");
	addr_bad("1.2.3.", 6, "a prefix");
	addr_bad("1.2.3", 5, "three parts");
	addr_bad("1.2.3.256", 9, "octet over 255");
	addr_bad(":", 1, "a lone colon");
	addr_bad("::", 2, "unspecified IPv6");
	addr_bad("0.0.0.0", 7, "unspecified IPv4");
	addr_bad("::ffff:0.0.0.0", 14, "v4-mapped unspecified");
	addr_bad("2001:db8:", 9, "an IPv6 prefix");
	addr_bad("fe80::1%eth0", 12, "scope id");
	addr_bad("fe80::1%1", 9, "numeric scope id");
	addr_bad(" 1.2.3.4", 8, "leading space");
	addr_bad("1.2.3.4 ", 8, "trailing space");
	addr_bad("1.2.3.4\t", 8, "tab");
	addr_bad("\"1.2.3.4\"", 9, "quotes");
	addr_bad("1.2.3.4,5.6.7.8", 15, "comma");
	addr_bad("1.2.3.4\0", 8, "NUL inside the length");
	addr_bad("1.2\0.3.4", 8, "NUL in the middle");
	addr_bad("1.2.3.4\n", 8, "newline");
	addr_bad("1.2.3.4\r", 8, "carriage return");
	addr_bad("1.2.3.4:25", 10, "a port");
	addr_bad("[::1]", 5, "brackets");
	addr_bad("localhost", 9, "a name");
	addr_bad("g::1", 4, "not hex");
	addr_bad("1:2:3:4:5:6:7:8:9", 17, "nine groups");
	addr_bad("1::2::3", 7, "two ::");
	memset(over, '0', sizeof over);
	memcpy(over + sizeof over - 4, "::1", 3);
	addr_bad(over, sizeof over - 1, "overlong");
	addr_bad(over, ADDR_TEXT_MAX, "exactly ADDR_TEXT_MAX bytes");

	/* tcpserver-ipv6 compresses a single zero group and prints
	   IPv4-compatible addresses in hex; inet_ntop does neither. */
	addr_fmt("1.2.3.4", "1.2.3.4", "1.2.3.4");
	addr_fmt("::ffff:1.2.3.4", "1.2.3.4", "1.2.3.4");
	addr_fmt("::1", "::1", "::1");
	addr_fmt("1::", "1::", "1::");
	addr_fmt("2001:DB8:0:0:0:0:0:1", "2001:db8::1", "2001:db8::1");
	addr_fmt("2001:db8:0:1:1:1:1:1", "2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	addr_fmt("::1.2.3.4", "::102:304", "::1.2.3.4");
	addr_fmt("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1", "2001:db8::1:0:0:1");
	addr_fmt("1:0:0:2:0:0:0:3", "1:0:0:2::3", "1:0:0:2::3");
	addr_fmt("fe80::abcd:ef01", "fe80::abcd:ef01", "fe80::abcd:ef01");
	addr_fmt(long_ok, "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
}

/* ---------------------------------------------------------------- hmap */

static void test_hmap(void)
{
	struct hmap m = HMAP_INIT;
	char k[32];
	size_t i, *v;
	int r = 0, bad = 0;

	check(hmap_get(&m, "x", 1) == 0, "hmap_get on an empty map finds nothing");
	for (i = 0; i < 20000 && r != -1; ++i) {
		int n = snprintf(k, sizeof k, "key-%zu", i);
		r = hmap_put(&m, k, (size_t)n, i * 3, 0);
		if (r != 1)
			bad = 1;
	}
	check(!bad && m.n == 20000, "20000 distinct keys are all inserted");
	for (i = 0, bad = 0; i < 20000; ++i) {
		int n = snprintf(k, sizeof k, "key-%zu", i);
		v = hmap_get(&m, k, (size_t)n);
		if (!v || *v != i * 3)
			bad = 1;
	}
	check(!bad, "each of the 20000 keys finds its value after growth");
	check(hmap_get(&m, "key-20000", 9) == 0 && hmap_get(&m, "key-1", 4) == 0,
	      "absent keys and prefixes of keys are not found");
	v = 0;
	r = hmap_put(&m, "key-7", 5, 999, &v);
	check(r == 0 && v && *v == 21 && m.n == 20000, "a duplicate is not inserted and points to the first value");
	*v = 5;
	v = hmap_get(&m, "key-7", 5);
	check(v && *v == 5, "the value can be changed through the pointer");
	hmap_free(&m);
	check(m.n == 0 && hmap_get(&m, "key-7", 5) == 0, "hmap_free empties the map");

	/* Binary keys: NUL bytes and the empty key are keys like any other. */
	check(hmap_put(&m, "a\0b", 3, 1, 0) == 1 && hmap_put(&m, "a\0c", 3, 2, 0) == 1
	      && hmap_put(&m, "a", 1, 3, 0) == 1 && hmap_put(&m, "", 0, 4, 0) == 1
	      && hmap_put(&m, "\xff\xfe", 2, 5, 0) == 1,
	      "binary keys that share a C-string prefix are distinct");
	check((v = hmap_get(&m, "a\0b", 3)) && *v == 1 && (v = hmap_get(&m, "a\0c", 3)) && *v == 2
	      && (v = hmap_get(&m, "a", 1)) && *v == 3 && (v = hmap_get(&m, "", 0)) && *v == 4
	      && (v = hmap_get(&m, "\xff\xfe", 2)) && *v == 5 && hmap_get(&m, "a\0", 2) == 0,
	      "binary keys find their own values");
	check(hmap_put(&m, "", 0, 9, &v) == 0 && *v == 4, "the empty key is a duplicate the second time");
	hmap_free(&m);
}

/* ---------------------------------------------------------------- atomic */

static int read_all(const char *path, struct buf *b)
{
	b->len = 0;
	return file_read(path, b);
}

static int has(const char *path, const char *want)
{
	struct buf b = BUF_INIT;
	int r = read_all(path, &b) == 0 && same(b.s, b.len, want, strlen(want));

	buf_free(&b);
	return r;
}

/* Number of directory entries other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			++n;
	closedir(d);
	return n;
}

static void test_atomic(const char *dir)
{
	struct atomic at;
	struct buf b = BUF_INIT;
	struct stat st;
	char path[4096], tmp[4096], sub[4096];
	mode_t old;

	if (snprintf(path, sizeof path, "%s/file", dir) >= (int)sizeof path
	    || snprintf(tmp, sizeof tmp, "%s/file.tmp", dir) >= (int)sizeof tmp
	    || snprintf(sub, sizeof sub, "%s/sub", dir) >= (int)sizeof sub) {
		check(0, "temp directory name too long: %s", dir);
		return;
	}

	check(atomic_replace(path, "old\n", 4, 0644) == 0 && has(path, "old\n") && entries(dir) == 1,
	      "atomic_replace creates the file and leaves no temp");
	check(atomic_begin(&at, path, 0, 0644) == 0 && atomic_write(&at, "new\n", 4) == 0
	      && has(path, "old\n") && entries(dir) == 2,
	      "while writing, readers still see the old file beside one temp");
	check(atomic_commit(&at) == 0 && has(path, "new\n") && entries(dir) == 1,
	      "commit replaces the file and the temp is gone");

	check(atomic_begin(&at, path, 0, 0644) == 0 && atomic_write(&at, "half", 4) == 0, "begin again");
	atomic_abort(&at);
	check(has(path, "new\n") && entries(dir) == 1, "abort leaves the file alone and removes the temp");

	/* A commit that cannot rename (the target is a non-empty directory). */
	if (mkdir(sub, 0755) == 0) {
		char subfile[4200];
		snprintf(subfile, sizeof subfile, "%s/x", sub);
		atomic_replace(subfile, "x", 1, 0644);
	}
	errno = 0;
	check(atomic_begin(&at, sub, 0, 0644) == 0 && atomic_write(&at, "y", 1) == 0
	      && atomic_commit(&at) == -1 && errno != 0 && entries(dir) == 2 && entries(sub) == 1,
	      "a failed commit returns -1 with errno and removes its temp");
	errno = 0;
	check(atomic_begin(&at, "/nonexistent-dir/x/file", 0, 0644) == -1 && errno == ENOENT,
	      "begin in a missing directory fails with ENOENT");

	/* Given temp name: truncated, as tcprules opens it. */
	check(atomic_replace(tmp, "a much longer leftover\n", 23, 0644) == 0, "a leftover temp file exists");
	check(atomic_begin(&at, path, tmp, 0644) == 0 && atomic_write(&at, "short\n", 6) == 0
	      && atomic_commit(&at) == 0 && has(path, "short\n") && access(tmp, F_OK) == -1,
	      "a given temp is truncated, then renamed over the file");
	check(atomic_begin(&at, path, tmp, 0644) == 0, "begin with a given temp");
	atomic_abort(&at);
	check(access(tmp, F_OK) == -1 && has(path, "short\n"), "abort removes a given temp too");

	old = umask(027);
	check(atomic_replace(path, "m", 1, 0666) == 0 && stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
	      "the mode passes through the umask");
	umask(old);

	b.len = 0;
	errno = 0;
	check(file_read(tmp, &b) == -1 && errno == ENOENT, "file_read of a missing file is ENOENT");
	buf_free(&b);
	/* Leave the directory empty for the caller's rmdir. */
	{
		char subfile[4200];
		snprintf(subfile, sizeof subfile, "%s/x", sub);
		unlink(subfile);
		rmdir(sub);
		unlink(path);
	}
}

/* ---------------------------------------------------------------- rules */

struct rec {
	const char *k;
	size_t kl;
	const char *d;
	size_t dl;
};

/* An in-memory rules store that also logs every key asked for. */
struct store {
	const struct rec *r;
	size_t n;
	struct buf log;   /* keys asked for, each followed by '|' */
	int fail_at;      /* return -1 at this call (1-based), 0 = never */
	int calls;
};

static int store_find(void *ctx, const char *key, size_t klen, const char **data, size_t *dlen)
{
	struct store *s = ctx;
	size_t i;

	++s->calls;
	if (buf_put(&s->log, key, klen) == -1 || buf_putc(&s->log, '|') == -1)
		return -1;
	if (s->fail_at && s->calls == s->fail_at) {
		errno = EIO;
		return -1;
	}
	for (i = 0; i < s->n; ++i)
		if (same(s->r[i].k, s->r[i].kl, key, klen)) {
			*data = s->r[i].d;
			*dlen = s->r[i].dl;
			return 1;
		}
	return 0;
}

/* The keys asked for, in order, when nothing matches. */
static void probes(const char *ip, const char *host, const char *info, const char *want)
{
	struct store s = { 0, 0, BUF_INIT, 0, 0 };
	struct rules_match m = { 0, BUF_INIT, 0, 0 };
	int r = rules_lookup(store_find, &s, ip, host, info, &m);

	check(r == 0 && !m.found && same(s.log.s, s.log.len, want, strlen(want)),
	      "lookup order for ip %s host %s info %s: %s (got %s)", ip, host ? host : "(none)",
	      info ? info : "(none)", want, show(s.log.s, s.log.len));
	rules_match_free(&m);
	buf_free(&s.log);
}

#define R(k, d) { k, sizeof k - 1, d, sizeof d - 1 }

static void test_lookup(void)
{
	/* Every key tcpserver may ask for 1.2.3.4 / h.sub.example.com / joe,
	   each with its own data; removing the winner exposes the next one. */
	static const struct rec all[] = {
		R("joe@1.2.3.4", "+K=1\0"), R("joe@=h.sub.example.com", "+K=2\0"),
		R("1.2.3.4", "+K=3\0"), R("=h.sub.example.com", "+K=4\0"),
		R("1.2.3.", "+K=5\0"), R("1.2.", "+K=6\0"), R("1.", "+K=7\0"),
		R("=.sub.example.com", "+K=8\0"), R("=.example.com", "+K=9\0"), R("=.com", "+K=10\0"),
		R("=", "+K=11\0"), R("", "D\0"),
	};
	static const char *const order[] = {
		"joe@1.2.3.4", "joe@=h.sub.example.com", "1.2.3.4", "=h.sub.example.com", "1.2.3.", "1.2.",
		"1.", "=.sub.example.com", "=.example.com", "=.com", "=", "",
	};
	size_t n = sizeof all / sizeof *all, i;
	int bad = 0;
	struct store s = { 0, 0, BUF_INIT, 0, 0 };
	struct rules_match m = { 0, BUF_INIT, 0, 0 };

	for (i = 0; i < n; ++i) {
		s.r = all + i;
		s.n = n - i;
		if (rules_lookup(store_find, &s, "1.2.3.4", "h.sub.example.com", "joe", &m) != 0 || !m.found
		    || !same(m.key.s, m.key.len, order[i], strlen(order[i]))
		    || m.data != all[i].d || m.dlen != all[i].dl) {
			printf("# step %zu: found %d key %s\n", i, m.found, show(m.key.s, m.key.len));
			bad = 1;
		}
	}
	check(!bad, "removing the winner each time walks tcpserver's order: info@ip, info@=host, ip, =host, "
	      "prefixes, =suffixes, =, empty");

	/* Without host (tcpserver -H) the '=' forms are never used. */
	s.r = all;
	s.n = n;
	check(rules_lookup(store_find, &s, "1.2.3.4", 0, "joe", &m) == 0 && m.found
	      && same(m.key.s, m.key.len, "joe@1.2.3.4", 11), "info@ip wins without host");
	s.r = all + 2;
	s.n = n - 2;
	check(rules_lookup(store_find, &s, "1.2.3.4", 0, 0, &m) == 0 && m.found
	      && same(m.key.s, m.key.len, "1.2.3.4", 7), "ip wins without host and info");
	s.r = all + 4;
	s.n = n - 4;
	check(rules_lookup(store_find, &s, "9.9.9.9", 0, 0, &m) == 0 && m.found && m.key.len == 0
	      && rules_data_denies(m.data, m.dlen), "with host absent, '=' rules are skipped and '' matches");
	s.r = all + 4;
	s.n = n - 5; /* no empty key */
	check(rules_lookup(store_find, &s, "9.9.9.9", 0, 0, &m) == 0 && !m.found,
	      "nothing found when only '=' rules could match and host is absent");
	check(rules_lookup(store_find, &s, "9.9.9.9", "other.net", 0, &m) == 0 && m.found
	      && same(m.key.s, m.key.len, "=", 1), "'=' matches any client with a host");
	s.n = 0;
	check(rules_lookup(store_find, &s, "1.2.3.4", "h.sub.example.com", "joe", &m) == 0 && !m.found
	      && m.data == 0 && m.dlen == 0, "an empty store finds nothing");

	/* The first record of a key wins (tcprules writes duplicates). */
	{
		static const struct rec dup[] = { R("1.2.3.4", "D\0"), R("1.2.3.4", "+A=1\0") };
		s.r = dup;
		s.n = 2;
		check(rules_lookup(store_find, &s, "1.2.3.4", 0, 0, &m) == 0 && m.found && m.data == dup[0].d,
		      "the first of duplicate keys is used");
	}
	/* An error from the store is passed on, whatever has been looked at. */
	s.r = all + n - 1;
	s.n = 1;
	s.fail_at = 3;
	s.calls = 0;
	errno = 0;
	check(rules_lookup(store_find, &s, "1.2.3.4", "h.sub.example.com", "joe", &m) == -1 && errno == EIO,
	      "a find error makes the lookup fail with its errno");
	s.fail_at = 0;
	rules_match_free(&m);
	buf_free(&s.log);

	probes("1.2.3.4", "h.sub.example.com", "joe",
	       "joe@1.2.3.4|joe@=h.sub.example.com|1.2.3.4|=h.sub.example.com|1.2.3.|1.2.|1.|"
	       "=.sub.example.com|=.example.com|=.com|=||");
	probes("1.2.3.4", 0, 0, "1.2.3.4|1.2.3.|1.2.|1.||");
	probes("1.2.3.4", "h.example.com", 0, "1.2.3.4|=h.example.com|1.2.3.|1.2.|1.|=.example.com|=.com|=||");
	probes("1.2.3.4", 0, "joe", "joe@1.2.3.4|1.2.3.4|1.2.3.|1.2.|1.||");
	probes("1.2.3.4", "", 0, "1.2.3.4|=|1.2.3.|1.2.|1.|=||");
	probes("1.2.3.4", "Mixed.Case", 0, "1.2.3.4|=Mixed.Case|1.2.3.|1.2.|1.|=.Case|=||");
	/* IPv6 clients: prefixes cut after ':' as well as '.'. */
	probes("2001:db8::1", 0, 0, "2001:db8::1|2001:db8::|2001:db8:|2001:||");
	probes("::ffff:1.2.3.4", 0, 0, "::ffff:1.2.3.4|::ffff:1.2.3.|::ffff:1.2.|::ffff:1.|::ffff:|::|:||");
}

static void test_data(void)
{
	const char *d, *it;
	size_t dl, il;
	int n;

	check(rules_data_denies("D", 2), "\"D\\0\" denies");
	check(!rules_data_denies("", 0), "empty data allows");
	check(rules_data_denies("+A=1\0D", 7), "a D item after a variable denies");
	check(rules_data_denies("Dx", 3), "any item starting with D denies, as in tcpserver");
	check(!rules_data_denies("+D=1", 5), "a variable named D does not deny");
	check(!rules_data_denies("D", 1), "an unterminated D is ignored, as tcpserver ignores it");

	check(rules_data_sets("+RELAYCLIENT=", 14, "RELAYCLIENT"), "+RELAYCLIENT= sets RELAYCLIENT");
	check(rules_data_sets("D\0+X=1\0+RELAYCLIENT=yes", 24, "RELAYCLIENT"), "found after other items");
	check(!rules_data_sets("+RELAYCLIENTX=", 15, "RELAYCLIENT"), "a longer name does not count");
	check(!rules_data_sets("+RELAYCLIENT=", 14, "RELAY"), "a shorter name does not count");
	check(!rules_data_sets("+RELAYCLIENT", 13, "RELAYCLIENT"), "an item without '=' does not set");
	check(!rules_data_sets("RELAYCLIENT=", 13, "RELAYCLIENT"), "an item without '+' does not set");
	check(!rules_data_sets("+RELAYCLIENT=", 13, "RELAYCLIENT"), "an unterminated item does not set");
	check(rules_data_sets("+=", 3, ""), "the empty name");

	d = "D\0+A=1\0\0+B=\0tail";
	dl = 16;
	n = 0;
	{
		static const char *const want[] = { "D", "+A=1", "", "+B=" };
		int bad = 0;
		while (rules_data_next(&d, &dl, &it, &il)) {
			if (n >= 4 || !same(it, il, want[n], strlen(want[n])))
				bad = 1;
			++n;
		}
		check(!bad && n == 4 && dl == 4, "rules_data_next yields each NUL-terminated item and stops at the fragment");
	}
	d = "";
	dl = 0;
	check(!rules_data_next(&d, &dl, &it, &il), "rules_data_next on empty data yields nothing");
}

static int collect(void *ctx, const char *key, size_t klen, const char *data, size_t dlen)
{
	struct buf *b = ctx;

	if (buf_put(b, key, klen) == -1 || buf_putc(b, '=') == -1 || buf_put(b, data, dlen) == -1
	    || buf_putc(b, '|') == -1)
		return -1;
	return 0;
}

static int fail_emit(void *ctx, const char *key, size_t klen, const char *data, size_t dlen)
{
	(void)ctx, (void)key, (void)klen, (void)data, (void)dlen;
	errno = ENOSPC;
	return -1;
}

static void parse(const char *in, size_t len, int want_r, unsigned long want_line, const char *want, size_t wl)
{
	struct buf b = BUF_INIT;
	unsigned long line = 0;
	int r = rules_parse(in, len, collect, &b, &line);

	check(r == want_r && (r == 0 || (errno == EINVAL && line == want_line)) && same(b.s, b.len, want, wl),
	      "rules_parse %s -> %s (got %d line %lu %s)", show(in, len), show(want, wl), r, line,
	      show(b.s, b.len));
	buf_free(&b);
}
#define PARSE(in, r, line, want) parse(in, sizeof in - 1, r, line, want, sizeof want - 1)

static void test_parse(void)
{
	struct buf d = BUF_INIT;
	unsigned long line = 0;

	PARSE("", 0, 0, "");
	PARSE("1.2.3.4:allow\n", 0, 0, "1.2.3.4=|");
	PARSE("1.2.3.4:deny,A=\"1\",B=/2/\n", 0, 0, "1.2.3.4=D\0+A=1\0+B=2\0|");
	PARSE("1.2.3.4-6:allow\n", 0, 0, "1.2.3.4=|1.2.3.5=|1.2.3.6=|");
	PARSE("10.0-1.:deny\n", 0, 0, "10.0.=D\0|10.1.=D\0|");
	PARSE("1.2.3.7-4:allow\n", 0, 0, "");
	PARSE("1.2.3.254-999:allow\n", 0, 0, "1.2.3.254=|1.2.3.255=|");
	PARSE("#c\n\n  \nno colon\n:allow\n", 0, 0, "=|");
	PARSE("a:allow\nb:allow\r\nc:allow\n", -1, 2, "a=|");
	PARSE("1.2.3.4:allow,A=\"x\n", -1, 1, "");
	PARSE("ok:allow\n1.2.3.a-5:allow\n", -1, 2, "ok=|");
	PARSE("::1:allow\n", 0, 0, "::1=|");
	PARSE("x:y:allow\n", -1, 1, "");

	check(rules_parse("1:allow\n", 8, fail_emit, 0, &line) == -1 && errno == ENOSPC,
	      "an emitter error stops the parse with its errno");
	check(rules_parse_env(",A=\"x\",=''", 10, &d) == 0 && same(d.s, d.len, "+A=x\0+=\0", 8),
	      "rules_parse_env: a variable and the empty name");
	d.len = 0;
	errno = 0;
	check(rules_parse_env(",A=", 3, &d) == -1 && errno == EINVAL, "rules_parse_env: no quote is EINVAL");
	buf_free(&d);
}

int main(void)
{
	char dir[] = "/tmp/unit-lib.XXXXXX";
	const char *tmpdir = getenv("T");
	char path[4096];

	/* Under tests/run, T is the scenario's temp dir; else /tmp. */
	if (tmpdir && *tmpdir) {
		snprintf(path, sizeof path, "%s/unit-lib.XXXXXX", tmpdir);
	} else {
		snprintf(path, sizeof path, "%s", dir);
	}
	if (!mkdtemp(path)) {
		perror("unit-lib: mkdtemp");
		return 111;
	}
	test_buf();
	test_addr();
	test_hmap();
	test_atomic(path);
	test_lookup();
	test_data();
	test_parse();
	check(rmdir(path) == 0, "the atomic tests left nothing behind");
	printf("# %d failed\n", failures);
	return failures ? 1 : 0;
}

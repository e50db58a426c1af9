/* gen-rules.c: deterministic generator of random tcprules input for the differential tests and the benchmark. */
/*
 * gen-rules MODE SEED COUNT: writes COUNT lines to stdout.
 *   valid    only lines ucspi-tcp 0.88 tcprules accepts (rules, comments,
 *            blank lines, lines without ':', ranges, =host, info@ip, odd
 *            quote bytes, NUL bytes inside keys and values, duplicates)
 *   mixed    valid lines with bad or suspicious ones in between; never a
 *            line that roaming reads as an IPv6 rule (those tcprules
 *            rejects on purpose, see v6ish)
 *   bench    the benchmark file: COUNT*10/11 distinct exact IPv4 addresses
 *            with two variables, the rest a.b.c. and a.b. prefixes, then
 *            ":allow"; COUNT 110000 gives 100,000 + 10,000 + 1 lines
 *   clients  "ip<TAB>host<TAB>info" lines ("-" for absent) drawn from the
 *            same small address and name pools, so lookups hit
 * The same arguments always give the same bytes (own PRNG, no locale).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 8192

static uint64_t rng;

/* splitmix64: tiny, well mixed, identical on every platform. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static int chance(unsigned num, unsigned den)
{
	return below(den) < num;
}

static const char *pick(const char *const *v, size_t n)
{
	return v[below((unsigned)n)];
}
#define PICK(v) pick(v, sizeof v / sizeof *v)

struct line {
	char s[LINE_MAX_BYTES];
	size_t len;
};

static void fail(const char *what)
{
	fprintf(stderr, "gen-rules: fatal: %s\n", what);
	exit(111);
}

static void put(struct line *l, const void *p, size_t n)
{
	/* Lines are bounded by construction; truncating one would silently
	   change what a "valid" file means, so stop instead. */
	if (n > sizeof l->s - l->len)
		fail("line too long");
	memcpy(l->s + l->len, p, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void putc_(struct line *l, char c)
{
	put(l, &c, 1);
}

static void putnum(struct line *l, unsigned long n)
{
	char tmp[24];

	snprintf(tmp, sizeof tmp, "%lu", n);
	puts_(l, tmp);
}

/* Small pools, so that rules and clients meet. */
static const char *const octets[] = { "0", "1", "2", "3", "4", "10", "127", "168", "192", "255" };
static const char *const labels[] = { "a", "b", "mail", "www", "example", "sub", "com", "net", "Host", "x-y" };
static const char *const infos[] = { "joe", "ann", "root", "x", "j.o-e" };
static const char *const names[] = { "RELAYCLIENT", "RBLSMTPD", "QMAILQUEUE", "TCPREMOTEHOST", "X", "" };
static const char *const values[] = { "", "1", "yes", "rblsmtpd: 451 go away", "a b", "x=y", "\"" };

static void octet(struct line *l)
{
	if (chance(6, 10))
		puts_(l, PICK(octets));
	else if (chance(1, 20))
		putc_(l, '0'), putnum(l, below(100)); /* leading zero: a key nobody looks up */
	else
		putnum(l, below(256));
}

static void ipv4(struct line *l)
{
	octet(l), putc_(l, '.'), octet(l), putc_(l, '.'), octet(l), putc_(l, '.'), octet(l);
}

static void host(struct line *l)
{
	unsigned i, n = 1 + below(4);

	for (i = 0; i < n; ++i) {
		if (i)
			putc_(l, '.');
		puts_(l, PICK(labels));
	}
}

/* Random bytes from a set that never contains any byte of avoid. */
static void bytes(struct line *l, size_t n, const char *avoid, size_t navoid)
{
	while (n) {
		char c = (char)below(256);
		if (memchr(avoid, c, navoid))
			continue;
		putc_(l, c);
		--n;
	}
}

/* A range field number: usually small, sometimes past 255, empty, padded,
   or one that wraps an unsigned long the way djb's scan_ulong does. */
static void rangenum(struct line *l)
{
	static const char *const odd[] = { "", "007", "256", "99999", "18446744073709551616",
	                                   "18446744073709551617", "99999999999999999999" };

	if (chance(1, 8))
		puts_(l, PICK(odd));
	else if (chance(1, 2))
		putnum(l, below(8));
	else
		putnum(l, below(300));
}

static void range(struct line *l)
{
	unsigned k = below(6);

	if (k == 0) { /* a.b.c.L-H */
		octet(l), putc_(l, '.'), octet(l), putc_(l, '.'), octet(l), putc_(l, '.');
		rangenum(l), putc_(l, '-'), rangenum(l);
	} else if (k == 1) { /* a.b.L-H. */
		octet(l), putc_(l, '.'), octet(l), putc_(l, '.');
		rangenum(l), putc_(l, '-'), rangenum(l), putc_(l, '.');
	} else if (k == 2) { /* L-H. */
		rangenum(l), putc_(l, '-'), rangenum(l), putc_(l, '.');
	} else if (k == 3) { /* a.L-H.c.d: the part after the range is copied */
		octet(l), putc_(l, '.'), rangenum(l), putc_(l, '-'), rangenum(l);
		putc_(l, '.'), octet(l), putc_(l, '.'), octet(l);
	} else if (k == 4) { /* only the first '-' is a range: 1-2.3-4 */
		putnum(l, below(4)), putc_(l, '-'), putnum(l, below(4));
		puts_(l, ".3-4");
	} else { /* non-numeric text left of the number is copied verbatim */
		puts_(l, chance(1, 2) ? "x.y." : " 10.");
		rangenum(l), putc_(l, '-'), rangenum(l);
	}
	if (chance(1, 30))
		putc_(l, 0); /* getnum stops at a NUL, as tcprules' C string copy does */
}

/* An address tcprules takes: no ':' (it ends the address), no '\n', not
   starting with '#', and a '-' only where it makes a well-formed range. */
static void address(struct line *l)
{
	switch (below(16)) {
	case 0: case 1: case 2: ipv4(l); break;
	case 3: octet(l), putc_(l, '.'), octet(l), putc_(l, '.'), octet(l), putc_(l, '.'); break;
	case 4: octet(l), putc_(l, '.'), octet(l), putc_(l, '.'); break;
	case 5: octet(l), putc_(l, '.'); break;
	case 6: range(l); break;
	case 7: putc_(l, '='), host(l); break;
	case 8: puts_(l, "=."), host(l); break;
	case 9: puts_(l, chance(1, 2) ? "=" : ""); break;
	case 10: puts_(l, PICK(infos)), putc_(l, '@'), ipv4(l); break;
	case 11: puts_(l, PICK(infos)), puts_(l, "@="), host(l); break;
	case 12: /* '@' turns ranges off too */
		puts_(l, PICK(infos)), putc_(l, '@');
		if (chance(1, 2))
			octet(l), putc_(l, '-'), octet(l);
		break;
	case 13: putc_(l, '='), host(l), puts_(l, "-1"); break; /* '=' turns ranges off */
	case 14: {
		/* Anything else is a key, byte for byte: spaces, \r, NUL, 8-bit. */
		static const char avoid[] = ":\n-";
		size_t start = l->len;
		bytes(l, 1 + below(12), avoid, sizeof avoid - 1);
		if (l->s[start] == '#')
			l->s[start] = '%';
		break;
	}
	default: putc_(l, ' '), ipv4(l); break;
	}
}

static void settings(struct line *l, int last_may_be_space)
{
	static const char quotes[] = "\"'/|x,=\0\r\x7f\xff:#@ \t";
	unsigned i, n = chance(4, 10) ? 0 : 1 + below(3);

	for (i = 0; i < n; ++i) {
		char q = quotes[below(sizeof quotes - 1)];
		char avoid[2] = { '\n', 0 };
		putc_(l, ',');
		if (chance(4, 5)) {
			puts_(l, PICK(names));
		} else {
			/* The name runs to the first '=': anything else may be in it. */
			static const char navoid[] = "=\n";
			bytes(l, below(6), navoid, sizeof navoid - 1);
		}
		putc_(l, '=');
		/* A closing quote of ' ' or '\t' at the line's end is stripped
		   as trailing space, which tcprules then rejects. */
		if (i == n - 1 && !last_may_be_space && (q == ' ' || q == '\t'))
			q = '"';
		putc_(l, q);
		avoid[1] = q;
		if (chance(1, 40)) {
			bytes(l, 200 + below(1800), avoid, 2);
		} else if (chance(1, 4)) {
			bytes(l, below(8), avoid, 2);
		} else {
			const char *v = PICK(values);
			if (!memchr(v, q, strlen(v)))
				puts_(l, v);
		}
		putc_(l, q);
	}
}

/* A line tcprules skips without looking further. */
static void ignored(struct line *l)
{
	switch (below(6)) {
	case 0: putc_(l, '#'); bytes(l, below(30), "\n", 1); break;
	case 1: break; /* blank */
	case 2: { /* spaces and tabs only */
		size_t n = 1 + below(5);
		while (n--)
			putc_(l, below(2) ? ' ' : '\t');
		break;
	}
	case 3: bytes(l, 1 + below(30), ":\n", 2); break; /* no colon: skipped */
	case 4: puts_(l, "\r"); break;
	default: puts_(l, "# 1.2.3.4:allow,RELAYCLIENT=\"\""); break;
	}
}

static void rule(struct line *l)
{
	address(l);
	putc_(l, ':');
	puts_(l, chance(3, 4) ? "allow" : "deny");
	settings(l, 0);
	if (chance(3, 20)) { /* trailing spaces and tabs are stripped */
		size_t n = 1 + below(3);
		while (n--) putc_(l, below(2) ? ' ' : '\t');
	}
}

/* Recent rules, repeated now and then: all duplicates are written. */
static struct line seen[16];
static size_t nseen;

static void valid_line(struct line *l)
{
	if (nseen && chance(1, 10)) {
		*l = seen[below(nseen < 16 ? (unsigned)nseen : 16)];
		return;
	}
	if (chance(1, 6)) {
		ignored(l);
		return;
	}
	rule(l);
	seen[nseen++ % 16] = *l;
}

/* Lines that are wrong, or look wrong and are not. */
static void suspicious_line(struct line *l)
{
	static const char *const actions[] = { "", "allowed", "Allow", "DENY", "permit", "den", "allo",
	                                       " allow", "allow x", "deny\t,A=\"\"", "allow;", "alloW" };
	static const char *const envs[] = { ",", ",A", ",A=", ",A=\"x", ",A=\"x\"y", "A=\"x\"", ",A=\"x\",",
	                                    ",=", " ,A=\"\"", ",A=\"x\"\"", ",A=''',B=''" };
	static const char *const ranges[] = { "1.2.3.a-5", "1.2.3.4-5x", "1.2.3.4-5-6", "1.2.3.+4-5", "x-y",
	                                      "1.2.3.4 -5", "1.2.3.4- 5", "1.2.3.4-5.6-7", "-", "1.2.3.-",
	                                      "99999999999999999999-3.", "1.2.3.4-300", "1.2.3.7-4", " 1-2",
	                                      "1.2.3.\x80-1", "1.2.3.4-\r" };
	static const char nasty[] = ":,=\" \t\r\0#-@.\xff";
	size_t at;

	switch (below(9)) {
	case 0: rule(l); putc_(l, '\r'); break;                     /* CRLF */
	case 1: address(l); putc_(l, ':'); puts_(l, PICK(actions)); break;
	case 2: address(l); puts_(l, chance(1, 2) ? ":allow" : ":deny"); puts_(l, PICK(envs)); break;
	case 3: puts_(l, PICK(ranges)); puts_(l, ":allow"); settings(l, 0); break;
	case 4: bytes(l, 1 + below(40), "\n", 1); break;            /* garbage */
	case 5: /* a NUL somewhere: in a key it is kept, elsewhere it breaks */
		rule(l);
		at = below((unsigned)l->len + 1);
		memmove(l->s + at + 1, l->s + at, l->len - at);
		l->s[at] = 0;
		++l->len;
		break;
	case 6: /* one byte replaced by a delimiter */
		rule(l);
		l->s[below((unsigned)l->len)] = nasty[below(sizeof nasty - 1)];
		break;
	case 7: /* cut short */
		rule(l);
		l->len = below((unsigned)l->len);
		break;
	default: rule(l); settings(l, 1); break;                    /* quote stripped at the end */
	}
}

static int hexish(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; ++i)
		if (!strchr("0123456789abcdefABCDEF:.", s[i]) || !s[i])
			return 0;
	return n > 0 && memchr(s, ':', n) != 0;
}

static int word(const char *s, size_t n)
{
	return (n >= 5 && memcmp(s, "allow", 5) == 0) || (n >= 4 && memcmp(s, "deny", 4) == 0);
}

/* 1 if roaming would read the line as an IPv6 rule: the first ':' not
   followed by allow/deny, a later one that is, and [info@]hex:colon:dot
   before it. tcprules rejects such lines; roaming may accept them. */
static int v6ish(const char *x, size_t len)
{
	const char *colon, *c, *at;
	size_t alen;

	if (!len || x[0] == '#')
		return 0;
	while (len && (x[len - 1] == ' ' || x[len - 1] == '\t'))
		--len;
	colon = memchr(x, ':', len);
	if (!colon || word(colon + 1, len - (size_t)(colon + 1 - x)))
		return 0;
	for (c = colon + 1; (c = memchr(c, ':', len - (size_t)(c - x))) != 0; ++c) {
		if (!word(c + 1, len - (size_t)(c + 1 - x)))
			continue;
		alen = (size_t)(c - x);
		at = memchr(x, '@', alen);
		if (at)
			return hexish(at + 1, alen - (size_t)(at + 1 - x));
		return hexish(x, alen);
	}
	return 0;
}

static void out(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		fail("unable to write output");
}

static void gen_text(int mixed, unsigned long count)
{
	/* How often a mixed file gets a suspicious line: some files stay
	   clean, so the whole output is compared, others fail early. */
	static const unsigned rates[] = { 0, 1, 3, 10, 30 };
	unsigned rate = mixed ? rates[below(5)] : 0;
	struct line l;
	unsigned long i;

	for (i = 0; i < count; ++i) {
		l.len = 0;
		if (rate && chance(rate, 100))
			suspicious_line(&l);
		else
			valid_line(&l);
		if (v6ish(l.s, l.len)) {
			size_t k;
			char *first = memchr(l.s, ':', l.len);
			if (!mixed)
				fail("valid line read as IPv6"); /* a bug in this generator */
			for (k = (size_t)(first - l.s) + 1; k < l.len; ++k)
				if (l.s[k] == ':')
					l.s[k] = ';';
		}
		out(l.s, l.len);
		/* The last line sometimes lacks its newline. */
		if (i + 1 < count || !chance(1, 10))
			out("\n", 1);
	}
}

static void gen_bench(unsigned long count)
{
	unsigned long exact = count / 11 * 10 + count % 11 * 10 / 11, prefixes = count - exact, i;
	uint32_t off = (uint32_t)rnd();
	char tmp[128];
	int n;

	for (i = 0; i < exact; ++i) {
		/* An odd multiplier is a bijection mod 2^32: all distinct. */
		uint32_t v = (uint32_t)i * 2654435761u + off;
		n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\n",
		             v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
		out(tmp, (size_t)n);
	}
	for (i = 0; i < prefixes; ++i) {
		const char *act = chance(1, 3) ? "deny" : "allow";
		if (i % 2 == 0) {
			uint32_t v = ((uint32_t)(i / 2) * 2654435761u + off) & 0xffffff;
			n = snprintf(tmp, sizeof tmp, "%u.%u.%u.:%s\n", v >> 16, (v >> 8) & 255, v & 255, act);
		} else {
			uint32_t v = ((uint32_t)(i / 2) * 40503u + off) & 0xffff;
			n = snprintf(tmp, sizeof tmp, "%u.%u.:%s\n", v >> 8, v & 255, act);
		}
		out(tmp, (size_t)n);
	}
	out(":allow\n", 7);
}

static void gen_clients(unsigned long count)
{
	struct line l;
	unsigned long i;

	for (i = 0; i < count; ++i) {
		l.len = 0;
		if (chance(9, 10))
			ipv4(&l);
		else
			putnum(&l, below(256)), puts_(&l, ".0.0."), putnum(&l, below(256));
		putc_(&l, '\t');
		if (chance(3, 4))
			host(&l);
		else
			putc_(&l, '-');
		putc_(&l, '\t');
		puts_(&l, chance(1, 2) ? PICK(infos) : "-");
		putc_(&l, '\n');
		out(l.s, l.len);
	}
}

int main(int argc, char **argv)
{
	static char obuf[1 << 16];
	unsigned long long seed;
	unsigned long count;
	char *end;

	if (argc != 4)
		goto usage;
	seed = strtoull(argv[2], &end, 10);
	if (!*argv[2] || *end)
		goto usage;
	count = strtoul(argv[3], &end, 10);
	if (!*argv[3] || *end)
		goto usage;
	/* The mode is part of the seed: "valid 5" and "mixed 5" differ. */
	rng = seed ^ (unsigned long long)argv[1][0] << 56;
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	if (strcmp(argv[1], "valid") == 0)
		gen_text(0, count);
	else if (strcmp(argv[1], "mixed") == 0)
		gen_text(1, count);
	else if (strcmp(argv[1], "bench") == 0)
		gen_bench(count);
	else if (strcmp(argv[1], "clients") == 0)
		gen_clients(count);
	else
		goto usage;
	if (fflush(stdout) == EOF || ferror(stdout))
		fail("unable to write output");
	return 0;
usage:
	fputs("usage: gen-rules valid|mixed|bench|clients SEED COUNT\n", stderr);
	return 100;
}

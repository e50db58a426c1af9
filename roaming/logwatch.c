/* logwatch.c: recognises successful POP3/IMAP logins in syslog lines.

   Formats are data: the table below pairs program tags with a message
   pattern in a small language of its own, compiled once:

     text    itself ("%%" is a '%')
     %u      the user: up to the literal that follows, which must then occur
             nowhere else in the rest of the line (see "Spoofing")
     %U      the user, without spaces
     %a      the address: hex digits, '.' and ':' (then inet_pton decides)
     %h      a host name: letters, digits, '.', '-', '_', ':'
     %H      a host name and a space, or nothing
     %w      a word: letters, digits, '.', '-', '_', '+', '/'
     %d      digits
     %{x|y}  one of the literal texts x, y, ...
     %.      the end of a field: the line ends, or a space or a comma
             follows and the rest of the line is not looked at
     %*      anything up to the end of the line
   A pattern matches the whole message after the tag: it is anchored at
   both ends (only %. and %* end it early, and only at the end).

   Spoofing. The tag comes from the syslog header, which the sender of a
   message (the POP/IMAP server) sets and its clients cannot; a login line
   of another program, or a client-chosen text quoted inside one, never has
   the tag. Within a line, only the user field holds text a client chose.
   It is matched up to the literal that follows it, and that literal must
   not occur again in the rest of the line: a user name that contains it
   makes the line ambiguous, and an ambiguous line never matches, so no
   user name can move the fields that follow it (a name such as
   "joe host=[6.6.6.6]" or "x>, method=PLAIN, rip=6.6.6.6"). This holds only
   if that literal is the separator every real line has after the user:
   variants of a line differ after it (%H, not a second pattern whose
   literal is " host=["), and logwatch_init refuses a table where two
   patterns of one tag that can start alike end the user differently. The user field
   is at most LOGWATCH_USER_MAX bytes, so a client cannot push the real end
   of a line past a syslog daemon's line length limit (1024 bytes and
   more) and leave a forged end in its place. Fields after the user
   (address, host names, words) take only their own characters, so the
   literals around them cannot be forged either. Control characters never
   reach a log file raw (rsyslog writes them as "#012" and the like; the
   syslog daemon must keep that default), so a line cannot be split.
   What this cannot stop: a local user who writes to /dev/log with a
   forged tag (logger -t dovecot ...). The log watcher trusts the log. */
#include <errno.h>
#include <string.h>
#include "logwatch.h"

/* Where each format comes from (read in the servers' sources):
   dovecot: src/login-common/client-common.c, login_log_format_elements
     default "user=<%u> method=%m rip=%r lip=%l mpid=%e %c session=<%{session}>",
     joined by ", " after "Login: "; the user is str_sanitize()d to 80 bytes.
     Through syslog the tag is "dovecot" and the message starts with the
     login process ("pop3-login: "); in Dovecot's own log_path files the
     line has no host and the process is the tag, then "Info: ".
   courier: courier-imap imap/imapd.c and imap/pop3dserver.c,
     "LOGIN, user=%s, ip=[%s], port=[%s], protocol=%s" on stderr, which
     courierlogger passes to syslog as imapd, imapd-ssl, pop3d, pop3d-ssl
     (older releases: courierpop3login, imaplogin; no port/protocol).
   uw: UW IMAP toolkit ipopd/ipop3d.c and imapd/imapd.c,
     "Login user=%.80s host=%.80s" (ipop3d adds " nmsgs=%ld/%ld" or
     " no mailbox"), also "Auth", "APOP", "Authenticated" user=...; the host
     is c-client's tcp_clienthost(): "name [address]" or "[address]".
   vm-pop3d: vm-pop3d 1.1.7f (as packaged by DirectAdmin):
     "User '%s' logged in from %s, nmsgs=%d" (older releases log no
     address on that line and are not supported).
   qpopper: popper/pop_init.c p->pLog_login default
     "(v%0) POP login by user \"%1\" at (%2) %3", tags popper, qpopper,
     in.qpopper; some builds append " [pop_log.c:244]".
   cyrus: cyrus-imapd imap/pop3d.c and imap/imapd.c,
     syslog(LOG_NOTICE, "login: %s %s%s %s%s %s", clienthost, userid,
     magicplus, authtype, starttls ? "+TLS" : "", "User logged in" [...]),
     clienthost being "name [address]" or "[address]"; the tag is the
     service name from cyrus.conf (pop3, imap, pop3s, imaps, ...), with a
     "cyrus/" prefix on Debian.
   vchkpw: vpopmail vchkpw.c, openlog(LOG_NAME = "vpopmail"),
     "%s: (%s) login success %s@%s:%s" (VchkpwLogName, AuthType, user,
     domain, IpAddr; older releases without "(%s) "), and
     "%s: system password login success %s:%s"; VchkpwLogName says the
     port: vchkpw-pop3, -pop3s, -imap, -imaps open the relay, vchkpw-smtp
     and the others (SMTP AUTH, webmail, unknown ports) do not, as in
     vpopmail's own open_smtp_relay(). */
static const struct logwatch_format table[] = {
	{ "dovecot", "dovecot",
	  "%{pop3|imap}-login: Login: user=<%u>, method=%w, rip=%a%." },
	{ "dovecot", "pop3-login imap-login",
	  "Info: Login: user=<%u>, method=%w, rip=%a%." },
	{ "courier", "pop3d pop3d-ssl imapd imapd-ssl courierpop3login courierpop3d imaplogin",
	  "LOGIN, user=%u, ip=[%a]%." },
	{ "uw", "ipop3d ipop3sd imapd imapsd",
	  "%{Login|Authenticated|Auth|APOP} user=%u host=%H[%a]%." },
	{ "vm-pop3d", "vm-pop3d",
	  "User '%u' logged in from %a%." },
	{ "qpopper", "popper qpopper in.qpopper",
	  "(%w) POP login by user \"%u\" at (%h) %a%." },
	{ "cyrus", "pop3 pop3d pop3s imap imapd imaps cyrus/pop3 cyrus/pop3s cyrus/imap cyrus/imaps",
	  "login: %H[%a] %U %w User logged in%." },
	{ "vchkpw", "vpopmail vchkpw",
	  "vchkpw-%{pop3s|pop3|imaps|imap}: (%w) login success %u:%a" },
	{ "vchkpw", "vpopmail vchkpw",
	  "vchkpw-%{pop3s|pop3|imaps|imap}: login success %u:%a" },
	{ "vchkpw", "vpopmail vchkpw",
	  "vchkpw-%{pop3s|pop3|imaps|imap}: system password login success %u:%a" },
};
#define NFORMATS (sizeof table / sizeof table[0])

/* ---- the compiled table ---- */

enum { E_LIT, E_ALT, E_USER, E_USERW, E_ADDR, E_HOST, E_OPTHOST, E_WORD, E_DIGITS, E_END, E_ANY };

#define MAX_ELS 16
#define MAX_ALTS 6
#define ADDR_FIELD_MAX (ADDR_TEXT_MAX - 1)
#define HOST_FIELD_MAX 255
#define WORD_FIELD_MAX 64
#define DIGITS_FIELD_MAX 20
#define MAX_TAGS 64
#define MAX_PER_TAG 8

struct el {
	unsigned char type;
	unsigned char nalt;
	const char *lit[MAX_ALTS];  /* into pool */
	unsigned short len[MAX_ALTS];
};

struct pat {
	struct el el[MAX_ELS];
	unsigned n;
};

struct tagent {
	char name[LOGWATCH_TAG_MAX + 1];
	size_t len;
	unsigned char pats[MAX_PER_TAG];
	unsigned npats;
	int next;                   /* next tag with the same first byte, or -1 */
};

static struct pat pats[NFORMATS];
static struct tagent tags[MAX_TAGS];
static unsigned ntags;
static int bucket[256];         /* first tag starting with that byte, or -1 */
static char pool[4096];
static size_t pooled;
static int compiled;            /* 1 compiled, -1 failed */

enum { C_ADDR = 1, C_HOST = 2, C_WORD = 4, C_DIGIT = 8, C_USERW = 16, C_SPACE = 32 };
static unsigned char cls[256];

static void init_classes(void)
{
	int c;

	for (c = 0; c < 256; ++c) {
		unsigned char m = 0;
		int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
		    || c == '.' || c == ':')
			m |= C_ADDR;
		if (alnum || c == '.' || c == '-' || c == '_' || c == ':')
			m |= C_HOST;
		if (alnum || c == '.' || c == '-' || c == '_' || c == '+' || c == '/')
			m |= C_WORD;
		if (c >= '0' && c <= '9')
			m |= C_DIGIT;
		if (c > ' ' && c != 127)
			m |= C_USERW;
		if (c == ' ')
			m |= C_SPACE;
		cls[c] = m;
	}
}

static const char *keep(const char *s, size_t n)
{
	char *p;

	if (n > sizeof pool - pooled)
		return 0;
	p = pool + pooled;
	memcpy(p, s, n);
	pooled += n;
	return p;
}

static unsigned field_class(int type)
{
	switch (type) {
	case E_USERW: return C_USERW;
	case E_ADDR: return C_ADDR;
	case E_HOST: return C_HOST;
	case E_OPTHOST: return C_HOST | C_SPACE;
	case E_WORD: return C_WORD;
	case E_DIGITS: return C_DIGIT;
	}
	return 0;
}

/* A field that scans its own characters must be followed by something that
   starts with a byte outside them, so the scan needs no backtracking. */
static int follows_ok(const struct pat *p, unsigned i)
{
	unsigned c = field_class(p->el[i].type), k;
	const struct el *nx;

	if (i + 1 == p->n)
		return p->el[i].type != E_USER;
	nx = &p->el[i + 1];
	if (p->el[i].type == E_USER)
		return nx->type == E_LIT && nx->len[0] > 0;
	if (nx->type == E_END || nx->type == E_ANY)
		return 1;
	if (nx->type != E_LIT && nx->type != E_ALT)
		return 0;
	for (k = 0; k < nx->nalt; ++k)
		if (nx->len[k] == 0 || (cls[(unsigned char)nx->lit[k][0]] & c))
			return 0;
	return 1;
}

static int compile_one(const char *s, struct pat *p)
{
	char lit[256];
	size_t ln = 0;
	unsigned i;
	struct el *e;

	p->n = 0;
	for (;;) {
		if (*s && !(s[0] == '%' && s[1] != '%')) {
			if (s[0] == '%')
				++s;
			if (ln == sizeof lit)
				return -1;
			lit[ln++] = *s++;
			continue;
		}
		if (ln) {
			if (p->n == MAX_ELS)
				return -1;
			e = &p->el[p->n++];
			e->type = E_LIT;
			e->nalt = 1;
			if (!(e->lit[0] = keep(lit, ln)))
				return -1;
			e->len[0] = (unsigned short)ln;
			ln = 0;
		}
		if (!*s)
			break;
		if (p->n == MAX_ELS)
			return -1;
		e = &p->el[p->n++];
		e->nalt = 0;
		switch (s[1]) {
		case 'u': e->type = E_USER; break;
		case 'U': e->type = E_USERW; break;
		case 'a': e->type = E_ADDR; break;
		case 'h': e->type = E_HOST; break;
		case 'H': e->type = E_OPTHOST; break;
		case 'w': e->type = E_WORD; break;
		case 'd': e->type = E_DIGITS; break;
		case '.': e->type = E_END; break;
		case '*': e->type = E_ANY; break;
		case '{': {
			const char *x = s + 2, *bar;

			e->type = E_ALT;
			for (;;) {
				bar = x + strcspn(x, "|}%");
				if (!*bar || *bar == '%' || e->nalt == MAX_ALTS || bar == x)
					return -1;
				e->lit[e->nalt] = keep(x, (size_t)(bar - x));
				e->len[e->nalt] = (unsigned short)(bar - x);
				if (!e->lit[e->nalt++])
					return -1;
				x = bar + 1;
				if (*bar == '}')
					break;
			}
			s = x;
			continue;
		}
		default:
			return -1;
		}
		s += 2;
	}
	for (i = 0; i < p->n; ++i) {
		int t = p->el[i].type;

		if ((t == E_END || t == E_ANY) && i + 1 != p->n)
			return -1;
		if (t != E_LIT && t != E_ALT && t != E_END && t != E_ANY && !follows_ok(p, i))
			return -1;
	}
	return p->n ? 0 : -1;
}

static int add_tag(const char *name, size_t len, unsigned pat)
{
	int t;
	struct tagent *te;

	if (len == 0 || len > LOGWATCH_TAG_MAX)
		return -1;
	for (t = bucket[(unsigned char)name[0]]; t >= 0; t = tags[t].next)
		if (tags[t].len == len && memcmp(tags[t].name, name, len) == 0)
			break;
	if (t < 0) {
		if (ntags == MAX_TAGS)
			return -1;
		t = (int)ntags++;
		te = &tags[t];
		memcpy(te->name, name, len);
		te->name[len] = 0;
		te->len = len;
		te->npats = 0;
		te->next = bucket[(unsigned char)name[0]];
		bucket[(unsigned char)name[0]] = t;
	}
	te = &tags[t];
	if (te->npats == MAX_PER_TAG)
		return -1;
	te->pats[te->npats++] = (unsigned char)pat;
	return 0;
}

/* Can the first elements of a and b match the same text? (Conservative:
   yes unless both are literals, or choices of literals, that differ.) */
static int may_start_alike(const struct pat *a, const struct pat *b)
{
	const struct el *x = &a->el[0], *y = &b->el[0];
	unsigned i, k;
	size_t n;

	if ((x->type != E_LIT && x->type != E_ALT) || (y->type != E_LIT && y->type != E_ALT))
		return 1;
	for (i = 0; i < x->nalt; ++i)
		for (k = 0; k < y->nalt; ++k) {
			n = x->len[i] < y->len[k] ? x->len[i] : y->len[k];
			if (memcmp(x->lit[i], y->lit[k], n) == 0)
				return 1;
		}
	return 0;
}

/* The literal that ends the %u field of p, or 0 if p has none. */
static const struct el *user_end(const struct pat *p)
{
	unsigned i;

	for (i = 0; i + 1 < p->n; ++i)
		if (p->el[i].type == E_USER)
			return &p->el[i + 1];
	return 0;
}

/* See "Spoofing": patterns of one tag that may start alike must end the
   user field with the same literal. */
static int consistent(void)
{
	const struct el *ea, *eb;
	unsigned t, i, k;

	for (t = 0; t < ntags; ++t)
		for (i = 0; i < tags[t].npats; ++i)
			for (k = i + 1; k < tags[t].npats; ++k) {
				const struct pat *a = &pats[tags[t].pats[i]], *b = &pats[tags[t].pats[k]];

				ea = user_end(a);
				eb = user_end(b);
				if (!ea || !eb || !may_start_alike(a, b))
					continue;
				if (ea->len[0] != eb->len[0] || memcmp(ea->lit[0], eb->lit[0], ea->len[0]) != 0)
					return -1;
			}
	return 0;
}

int logwatch_init(void)
{
	size_t i, n;
	const char *t;

	if (compiled) {
		if (compiled < 0)
			errno = EINVAL;
		return compiled > 0 ? 0 : -1;
	}
	compiled = -1;
	init_classes();
	for (i = 0; i < 256; ++i)
		bucket[i] = -1;
	for (i = 0; i < NFORMATS; ++i) {
		if (compile_one(table[i].pattern, &pats[i]) == -1)
			goto bad;
		for (t = table[i].tags; *t; t += n) {
			t += strspn(t, " ");
			n = strcspn(t, " ");
			if (n && add_tag(t, n, (unsigned)i) == -1)
				goto bad;
		}
	}
	if (consistent() == -1)
		goto bad;
	compiled = 1;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

const struct logwatch_format *logwatch_format(size_t i)
{
	return i < NFORMATS ? &table[i] : 0;
}

/* ---- the syslog header ---- */

static int dig(int c)
{
	return c >= '0' && c <= '9';
}

/* "Mmm dd hh:mm:ss" (the day space-padded or zero-padded). */
static const char *classic_ts(const char *p, const char *e)
{
	if (e - p < 15 || !(p[0] >= 'A' && p[0] <= 'Z') || !(p[1] >= 'a' && p[1] <= 'z')
	    || !(p[2] >= 'a' && p[2] <= 'z') || p[3] != ' ' || !(p[4] == ' ' || dig(p[4]))
	    || !dig(p[5]) || p[6] != ' ' || !dig(p[7]) || !dig(p[8]) || p[9] != ':'
	    || !dig(p[10]) || !dig(p[11]) || p[12] != ':' || !dig(p[13]) || !dig(p[14]))
		return 0;
	return p + 15;
}

/* "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm)" up to the next space. */
static const char *iso_ts(const char *p, const char *e)
{
	const char *q;

	if (e - p < 19 || !dig(p[0]) || !dig(p[1]) || !dig(p[2]) || !dig(p[3]) || p[4] != '-'
	    || !dig(p[5]) || !dig(p[6]) || p[7] != '-' || !dig(p[8]) || !dig(p[9]) || p[10] != 'T')
		return 0;
	for (q = p + 11; q < e && *q != ' '; ++q)
		if (!dig(*q) && *q != ':' && *q != '.' && *q != '+' && *q != '-' && *q != 'Z')
			return 0;
	return q;
}

/* One space-delimited token at p: its end, or 0 if there is none. */
static const char *token(const char *p, const char *e)
{
	const char *sp = p < e ? memchr(p, ' ', (size_t)(e - p)) : 0;

	return sp && sp > p ? sp : 0;
}

/* RFC 5424 after "1 ": TIMESTAMP HOST APP PROCID MSGID SD [MSG]. */
static int rfc5424(const char *p, const char *e, const char **tag, size_t *taglen,
                   const char **msg, size_t *msglen)
{
	const char *q, *app = 0;
	int i, quoted;

	for (i = 0; i < 5; ++i) {
		if (!(q = token(p, e)))
			return 0;
		if (i == 2) {
			app = p;
			*taglen = (size_t)(q - p);
		}
		p = q + 1;
	}
	if (p >= e)
		return 0;
	if (*p == '-') {
		++p;
	} else {
		while (p < e && *p == '[') {
			for (quoted = 0, ++p; p < e; ++p) {
				if (*p == '\\' && p + 1 < e)
					++p;
				else if (*p == '"')
					quoted = !quoted;
				else if (*p == ']' && !quoted)
					break;
			}
			if (p >= e)
				return 0;
			++p;
		}
	}
	if (p < e && *p++ != ' ')
		return 0;
	if (e - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (*taglen == 1 && app[0] == '-')
		return 0;
	*tag = app;
	*msg = p;
	*msglen = (size_t)(e - p);
	return 1;
}

int logwatch_header(const char *line, size_t len, const char **tag, size_t *taglen,
                    const char **msg, size_t *msglen)
{
	const char *p = line, *e = line + len, *q, *sp, *te, *br;

	if (p < e && *p == '<') {
		for (q = p + 1; q < e && dig(*q) && q - p <= 3; ++q)
			;
		if (q == p + 1 || q >= e || *q != '>')
			return 0;
		p = q + 1;
	}
	if (e - p >= 2 && p[0] == '1' && p[1] == ' ')
		return rfc5424(p + 2, e, tag, taglen, msg, msglen);
	if (!(q = classic_ts(p, e)) && !(q = iso_ts(p, e)))
		return 0;
	if (q >= e || *q != ' ')
		return 0;
	p = q + 1;
	/* A token ending in ':' is the tag (no host, as in Dovecot's own log
	   files); host names never end in ':'. */
	if (!(sp = token(p, e)))
		return 0;
	if (sp[-1] != ':') {
		p = sp + 1;
		if (!(sp = token(p, e)) || sp[-1] != ':')
			return 0;
	}
	te = sp - 1; /* the ':' */
	if (te > p && te[-1] == ']') {
		br = memchr(p, '[', (size_t)(te - p));
		if (!br || br + 1 >= te - 1)
			return 0;
		for (q = br + 1; q < te - 1; ++q)
			if (!dig(*q))
				return 0;
		te = br;
	}
	if (te == p || (size_t)(te - p) > LOGWATCH_TAG_MAX || memchr(p, ':', (size_t)(te - p))
	    || memchr(p, '[', (size_t)(te - p)))
		return 0;
	*tag = p;
	*taglen = (size_t)(te - p);
	*msg = sp + 1;
	*msglen = (size_t)(e - *msg);
	return 1;
}

/* ---- matching ---- */

struct cap {
	const char *user, *addr;
	size_t ulen, alen;
};

/* The first occurrence of n[0..nl) in [p, e), or 0; memchr on the first byte. */
static const char *find(const char *p, const char *e, const char *n, size_t nl)
{
	const char *q;

	while ((size_t)(e - p) >= nl) {
		q = memchr(p, n[0], (size_t)(e - p) - nl + 1);
		if (!q)
			return 0;
		if (memcmp(q, n, nl) == 0)
			return q;
		p = q + 1;
	}
	return 0;
}

static const char *scan(const char *p, const char *e, unsigned c, size_t max)
{
	const char *q = p;

	while (q < e && (cls[(unsigned char)*q] & c) && (size_t)(q - p) <= max)
		++q;
	return q > p && (size_t)(q - p) <= max ? q : 0;
}

static int run(const struct pat *pt, unsigned i, const char *p, const char *e, struct cap *cap)
{
	const struct el *el, *nx;
	const char *q;
	unsigned k;

	for (; i < pt->n; ++i) {
		el = &pt->el[i];
		switch (el->type) {
		case E_LIT:
			if ((size_t)(e - p) < el->len[0] || memcmp(p, el->lit[0], el->len[0]) != 0)
				return 0;
			p += el->len[0];
			break;
		case E_ALT:
			for (k = 0; k < el->nalt; ++k)
				if ((size_t)(e - p) >= el->len[k] && memcmp(p, el->lit[k], el->len[k]) == 0
				    && run(pt, i + 1, p + el->len[k], e, cap))
					return 1;
			return 0;
		case E_USER:
			nx = &pt->el[i + 1];
			q = find(p, e, nx->lit[0], nx->len[0]);
			if (!q || q == p || (size_t)(q - p) > LOGWATCH_USER_MAX
			    || find(q + nx->len[0], e, nx->lit[0], nx->len[0]))
				return 0;
			cap->user = p;
			cap->ulen = (size_t)(q - p);
			p = q;
			break;
		case E_USERW:
			if (!(q = scan(p, e, C_USERW, LOGWATCH_USER_MAX)))
				return 0;
			cap->user = p;
			cap->ulen = (size_t)(q - p);
			p = q;
			break;
		case E_ADDR:
			if (!(q = scan(p, e, C_ADDR, ADDR_FIELD_MAX)))
				return 0;
			cap->addr = p;
			cap->alen = (size_t)(q - p);
			p = q;
			break;
		case E_HOST:
			if (!(p = scan(p, e, C_HOST, HOST_FIELD_MAX)))
				return 0;
			break;
		case E_OPTHOST:
			q = scan(p, e, C_HOST, HOST_FIELD_MAX);
			if (q && q < e && *q == ' ')
				p = q + 1;
			break;
		case E_WORD:
			if (!(p = scan(p, e, C_WORD, WORD_FIELD_MAX)))
				return 0;
			break;
		case E_DIGITS:
			if (!(p = scan(p, e, C_DIGIT, DIGITS_FIELD_MAX)))
				return 0;
			break;
		case E_END:
			return p == e || *p == ' ' || *p == ',';
		case E_ANY:
			return 1;
		}
	}
	return p == e;
}

int logwatch_parse(const char *line, size_t len, struct logwatch_hit *hit)
{
	const char *tag, *msg;
	size_t taglen, msglen;
	struct cap cap;
	struct addr a;
	unsigned k;
	int t;

	if (compiled <= 0 && logwatch_init() == -1)
		return -1;
	if (!logwatch_header(line, len, &tag, &taglen, &msg, &msglen))
		return LOGWATCH_NONE;
	for (t = bucket[(unsigned char)tag[0]]; t >= 0; t = tags[t].next)
		if (tags[t].len == taglen && memcmp(tags[t].name, tag, taglen) == 0)
			break;
	if (t < 0)
		return LOGWATCH_NONE;
	for (k = 0; k < tags[t].npats; ++k) {
		unsigned f = tags[t].pats[k];

		memset(&cap, 0, sizeof cap);
		if (!run(&pats[f], 0, msg, msg + msglen, &cap) || !cap.addr || !cap.user)
			continue;
		hit->format = table[f].name;
		memcpy(hit->tag, tag, taglen);
		hit->tag[taglen] = 0;
		memcpy(hit->addr, cap.addr, cap.alen);
		hit->addr[cap.alen] = 0;
		memcpy(hit->user, cap.user, cap.ulen);
		hit->user[cap.ulen] = 0;
		return addr_parse(cap.addr, cap.alen, &a) == 0 ? LOGWATCH_LOGIN : LOGWATCH_BADADDR;
	}
	return LOGWATCH_NONE;
}

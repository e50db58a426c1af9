/* cfg.c: roaming's settings: configure's defaults, then the config file
   ($ROAMING_CONF or $sysconfdir/roaming.conf), then the environment. A bad
   value is an error naming its key, never a silent fallback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "atomic.h"
#include "cfg.h"
#include "errmsg.h"
#include "rules.h"

enum { K_RULES, K_DB, K_CLEAR, K_ENV, K_PFMAP, K_PFACTION, K_LOGFILE, K_N };
static const char *const keys[K_N] = {
	"ROAMING_TCP_RULES", "ROAMING_DB", "ROAMING_CLEAR_MINUTES",
	"ROAMING_RELAY_ENV", "ROAMING_POSTFIX_MAP", "ROAMING_POSTFIX_ACTION",
	"ROAMING_LOGFILE",
};

/* Keeps a copy of s[0..n) for the life of the cfg. */
static const char *keep(struct cfg *c, const char *s, size_t n)
{
	char *p, **strs;

	strs = realloc(c->strs, (c->nstr + 1) * sizeof *strs);
	if (!strs)
		return 0;
	c->strs = strs;
	p = malloc(n + 1);
	if (!p)
		return 0;
	memcpy(p, s, n);
	p[n] = 0;
	c->strs[c->nstr++] = p;
	return p;
}

static const char *keep2(struct cfg *c, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *t = malloc(la + lb + 1);
	const char *r;

	if (!t)
		return 0;
	memcpy(t, a, la);
	memcpy(t + la, b, lb + 1);
	r = keep(c, t, la + lb);
	free(t);
	return r;
}

static int is_path(const char *v)
{
	return v[0] == '/' && !strpbrk(v, "\n\r\t");
}

static int set(struct cfg *c, int k, const char *v, const char *where, char *err, size_t errlen)
{
	const char *key = keys[k];
	char *end;

	switch (k) {
	case K_RULES:
		if (!is_path(v))
			return err_set(err, errlen, EINVAL, "%s%s: not an absolute path: %s", where, key, v);
		c->tcp_rules = v;
		break;
	case K_DB:
		if (strncmp(v, "file:", 5) == 0 && is_path(v + 5)) {
			c->db_kind = CFG_DB_FILE;
			c->db_path = v + 5;
		} else if (strncmp(v, "mysql:", 6) == 0 && is_path(v + 6)) {
			if (!ROAMING_HAVE_MYSQL)
				return err_set(err, errlen, EINVAL, "%s%s: this roaming was built without MySQL: %s", where, key, v);
			c->db_kind = CFG_DB_MYSQL;
			c->db_path = v + 6;
		} else {
			return err_set(err, errlen, EINVAL, "%s%s: want file:/PATH or mysql:/PATH, not: %s", where, key, v);
		}
		break;
	case K_CLEAR:
		errno = 0;
		if (!v[0] || strspn(v, "0123456789") != strlen(v))
			return err_set(err, errlen, EINVAL, "%s%s: not a whole number of minutes: %s", where, key, v);
		c->clear_minutes = strtoul(v, &end, 10);
		/* at most ten years, so minutes * 60 never overflows a time */
		if (errno || c->clear_minutes == 0 || c->clear_minutes > 5256000)
			return err_set(err, errlen, EINVAL, "%s%s: out of range (1 to 5256000): %s", where, key, v);
		break;
	case K_ENV: {
		struct buf d = BUF_INIT, comma = BUF_INIT;
		int r;

		/* bounded so an open-smtp line always fits the store's line buffer */
		if (!v[0] || strlen(v) > 1024 || strpbrk(v, "\n\r\t")
		    || buf_putc(&comma, ',') == -1 || buf_puts(&comma, v) == -1) {
			buf_free(&comma);
			return err_set(err, errlen, EINVAL, "%s%s: want NAME=\"VALUE\"[,NAME=\"VALUE\"...], not: %s", where, key, v);
		}
		r = rules_parse_env(comma.s, comma.len, &d);
		buf_free(&comma);
		if (r == -1) {
			buf_free(&d);
			return err_set(err, errlen, EINVAL, "%s%s: want NAME=\"VALUE\"[,NAME=\"VALUE\"...], not: %s", where, key, v);
		}
		buf_free(&c->relay_data);
		c->relay_data = d;
		c->relay_env = v;
		break;
	}
	case K_PFMAP:
		if (v[0] && !is_path(v))
			return err_set(err, errlen, EINVAL, "%s%s: not an absolute path: %s", where, key, v);
		c->postfix_map = v;
		break;
	case K_PFACTION:
		if (!v[0] || strlen(v) > 200 || strpbrk(v, " \t\r\n"))
			return err_set(err, errlen, EINVAL, "%s%s: want one word such as OK, not: %s", where, key, v);
		c->postfix_action = v;
		break;
	case K_LOGFILE:
		if (!is_path(v))
			return err_set(err, errlen, EINVAL, "%s%s: not an absolute path: %s", where, key, v);
		c->logfile = v;
		break;
	}
	return 0;
}

static int lookup_key(const char *s, size_t n)
{
	int k;

	for (k = 0; k < K_N; ++k)
		if (strlen(keys[k]) == n && memcmp(keys[k], s, n) == 0)
			return k;
	return -1;
}

static int read_file(struct cfg *c, const char *path, int must, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	const char *x, *end, *nl, *eq, *v;
	unsigned long line = 0;
	char where[300];
	size_t n;
	int k;

	if (file_read(path, &b) == -1) {
		int e = errno;
		buf_free(&b);
		if (e == ENOENT && !must)
			return 0;
		return err_set(err, errlen, e, "unable to read %s: %s", path, strerror(e));
	}
	c->conf_path = keep(c, path, strlen(path));
	for (x = b.s, end = b.s + b.len; x < end; x = nl + 1) {
		nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			nl = end;
		++line;
		n = (size_t)(nl - x);
		while (n && (x[n - 1] == ' ' || x[n - 1] == '\t' || x[n - 1] == '\r'))
			--n;
		if (!n || x[0] == '#')
			continue;
		snprintf(where, sizeof where, "%s line %lu: ", path, line);
		eq = memchr(x, '=', n);
		if (!eq || memchr(x, 0, n)) {
			buf_free(&b);
			return err_set(err, errlen, EINVAL, "%swant KEY=value", where);
		}
		k = lookup_key(x, (size_t)(eq - x));
		if (k < 0) {
			int kl = (int)(eq - x);
			/* the message quotes the buffer: format it before freeing */
			err_set(err, errlen, EINVAL, "%sunknown key %.*s", where, kl > 60 ? 60 : kl, x);
			buf_free(&b);
			errno = EINVAL;
			return -1;
		}
		v = keep(c, eq + 1, n - (size_t)(eq + 1 - x));
		if (!v || set(c, k, v, where, err, errlen) == -1) {
			int e = errno;
			buf_free(&b);
			if (!v)
				return err_set(err, errlen, e, "out of memory");
			errno = e;
			return -1;
		}
	}
	buf_free(&b);
	return 0;
}

int cfg_load(struct cfg *c, char *err, size_t errlen)
{
	const char *conf, *v;
	char defmin[32];
	int k;

	memset(c, 0, sizeof *c);
	snprintf(defmin, sizeof defmin, "%d", ROAMING_CLEAR_MINUTES_DEFAULT);
	if (set(c, K_RULES, ROAMING_TCP_RULES_DEFAULT, "default ", err, errlen) == -1
	    || set(c, K_DB, "file:" ROAMING_OPEN_SMTP_DEFAULT, "default ", err, errlen) == -1
	    || set(c, K_CLEAR, defmin, "default ", err, errlen) == -1
	    || set(c, K_ENV, "RELAYCLIENT=\"\",RBLSMTPD=\"\"", "default ", err, errlen) == -1
	    || set(c, K_PFMAP, "", "", err, errlen) == -1
	    || set(c, K_PFACTION, "OK", "", err, errlen) == -1
	    || set(c, K_LOGFILE, "/var/log/mail.log", "", err, errlen) == -1)
		goto bad;
	conf = getenv("ROAMING_CONF");
	if (conf && conf[0] != '/') {
		err_set(err, errlen, EINVAL, "ROAMING_CONF: not an absolute path: %s", conf);
		goto bad;
	}
	if (read_file(c, conf ? conf : ROAMING_CONF_DEFAULT, conf != 0, err, errlen) == -1)
		goto bad;
	for (k = 0; k < K_N; ++k) {
		if (!(v = getenv(keys[k])))
			continue;
		v = keep(c, v, strlen(v));
		if (!v) {
			err_set(err, errlen, ENOMEM, "out of memory");
			goto bad;
		}
		if (set(c, k, v, "", err, errlen) == -1)
			goto bad;
	}
	if (!c->conf_path)
		c->conf_path = "";
	if (!(c->cdb = keep2(c, c->tcp_rules, ".cdb"))
	    || !(c->rules_lock = keep2(c, c->tcp_rules, ".lock"))
	    || !(c->state = keep2(c, c->tcp_rules, ".state"))
	    || !(c->live = keep2(c, c->tcp_rules, ".live"))
	    || !(c->spool = keep2(c, c->tcp_rules, ".spool"))
	    || !(c->postfix_map_cdb = keep2(c, c->postfix_map, ".cdb"))) {
		err_set(err, errlen, ENOMEM, "out of memory");
		goto bad;
	}
	return 0;
bad:
	{
		int e = errno;
		cfg_free(c);
		errno = e;
	}
	return -1;
}

void cfg_free(struct cfg *c)
{
	size_t i;

	for (i = 0; i < c->nstr; ++i)
		free(c->strs[i]);
	free(c->strs);
	c->strs = 0;
	c->nstr = 0;
	buf_free(&c->relay_data);
}

unsigned long long cfg_fingerprint(const struct cfg *c)
{
	unsigned long long h = 14695981039346656037ull;
	const char *parts[4];
	char num[32];
	size_t i;
	const char *p;

	snprintf(num, sizeof num, "%lu", c->clear_minutes);
	parts[0] = c->relay_env;
	parts[1] = num;
	parts[2] = c->postfix_map;
	parts[3] = c->postfix_action;
	for (i = 0; i < 4; ++i) {
		for (p = parts[i]; *p; ++p) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ull;
		}
		h ^= 0xff; /* separator */
		h *= 1099511628211ull;
	}
	return h;
}

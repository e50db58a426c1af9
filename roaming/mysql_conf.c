/* mysql_conf.c: roaming's own settings in the MySQL option file.

   The file is read twice, by two readers that each take what is theirs:
   the client library (MYSQL_READ_DEFAULT_FILE, group "roaming") takes the
   standard keys of [client] and [roaming] (host, port, socket, user,
   password, database, ssl-*), and this parser takes the keys of [roaming]
   that start with "roaming-". MariaDB Connector/C (and libmysqlclient)
   skip option names they do not know, so roaming's keys can live in the
   same group as the connection settings; the prefix keeps them clear of any
   option a client library has or may add. An unknown "roaming-" key is an
   error here, so a misspelt setting is never silently ignored. This parser
   does not follow !include: roaming's keys belong in the file itself.

   [roaming]
   roaming-table = relay
   roaming-servers = /run/mysqld/mysqld.sock, db1.example.com:3306, [2001:db8::5]
   roaming-connect-timeout = 1     (seconds, per server)
   roaming-read-timeout = 1        (seconds, per network read)
   roaming-write-timeout = 1
   roaming-failover-timeout = 2    (no further server is tried after this)
   roaming-refresh-delay = 5       (seconds a known address's refresh may
                                    wait in the spool, to be written with
                                    others in one transaction; refresh.c) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic.h"
#include "errmsg.h"
#include "buf.h"
#include "mysql_conf.h"

int mysqlconf_identifier(const char *s)
{
	size_t i;

	/* letters, digits and '_', not starting with a digit: such a name
	   needs no escaping inside backticks and cannot be read as a number */
	if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i]; ++i) {
		char c = s[i];
		if (i >= MYSQLCONF_TABLE_MAX
		    || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int parse_uint(const char *s, size_t n, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long long v;

	if (scan_ulong(s, n, 9, &v) == -1 || v < lo || v > hi)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
	    || c == '.' || c == '-' || c == '_';
}

/* One entry of roaming-servers: /socket, host, host:port, [v6], [v6]:port. */
static int parse_server(const char *s, size_t n, struct mysqlconf_server *sv)
{
	const char *port = 0;
	size_t hl, i;
	unsigned long p;
	unsigned char a6[16];

	memset(sv, 0, sizeof *sv);
	if (s[0] == '/') {
		if (n >= sizeof sv->socket)
			return -1;
		memcpy(sv->socket, s, n);
		return 0;
	}
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || (size_t)(close - s - 1) >= sizeof sv->host)
			return -1;
		hl = (size_t)(close - s - 1);
		memcpy(sv->host, s + 1, hl);
		if (inet_pton(AF_INET6, sv->host, a6) != 1)
			return -1;
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
		if (hl == 0 || hl >= sizeof sv->host)
			return -1;
		for (i = 0; i < hl; ++i)
			if (!host_char(s[i]))
				return -1; /* includes a second ':': IPv6 goes in brackets */
		memcpy(sv->host, s, hl);
		if (colon)
			port = colon + 1;
	}
	if (port) {
		if (parse_uint(port, (size_t)(s + n - port), 1, 65535, &p) == -1)
			return -1;
		sv->port = (unsigned)p;
	}
	return 0;
}

static int parse_servers(struct mysqlconf *o, const char *v, size_t n)
{
	const char *x = v, *end = v + n, *t;

	o->nservers = 0;
	while (x < end) {
		while (x < end && (*x == ',' || *x == ' ' || *x == '\t'))
			++x;
		if (x == end)
			break;
		for (t = x; t < end && *t != ',' && *t != ' ' && *t != '\t'; ++t)
			;
		if (o->nservers == MYSQLCONF_SERVERS_MAX
		    || parse_server(x, (size_t)(t - x), &o->servers[o->nservers]) == -1)
			return -1;
		++o->nservers;
		x = t;
	}
	return o->nservers ? 0 : -1;
}

/* key (already '_' -> '-') = value, both trimmed. */
static int set_key(struct mysqlconf *o, const char *k, const char *v, size_t vn,
                   const char *where, char *err, size_t errlen)
{
	unsigned long u;
	unsigned *slot = 0;

	if (strcmp(k, "roaming-table") == 0) {
		char t[MYSQLCONF_TABLE_MAX + 2];
		if (vn >= sizeof t)
			return err_set(err, errlen, EINVAL, "%sroaming-table: not a plain table name (letters, digits, _)", where);
		memcpy(t, v, vn);
		t[vn] = 0;
		if (!mysqlconf_identifier(t))
			return err_set(err, errlen, EINVAL, "%sroaming-table: not a plain table name (letters, digits, _): %.64s", where, t);
		memcpy(o->table, t, vn + 1);
		return 0;
	}
	if (strcmp(k, "roaming-servers") == 0) {
		if (parse_servers(o, v, vn) == -1)
			return err_set(err, errlen, EINVAL, "%sroaming-servers: want up to %d of /SOCKET, HOST[:PORT] or [IPV6][:PORT], not: %.200s",
			            where, MYSQLCONF_SERVERS_MAX, v);
		return 0;
	}
	if (strcmp(k, "roaming-refresh-delay") == 0) {
		if (parse_uint(v, vn, 0, 3600, &u) == -1)
			return err_set(err, errlen, EINVAL, "%s%s: want whole seconds from 0 to 3600, not: %.40s", where, k, v);
		o->refresh_delay = (unsigned)u;
		return 0;
	}
	if (strcmp(k, "roaming-connect-timeout") == 0)
		slot = &o->connect_timeout;
	else if (strcmp(k, "roaming-read-timeout") == 0)
		slot = &o->read_timeout;
	else if (strcmp(k, "roaming-write-timeout") == 0)
		slot = &o->write_timeout;
	else if (strcmp(k, "roaming-failover-timeout") == 0)
		slot = &o->failover_timeout;
	if (!slot)
		return err_set(err, errlen, EINVAL, "%sunknown key %.60s", where, k);
	if (parse_uint(v, vn, 1, 3600, &u) == -1)
		return err_set(err, errlen, EINVAL, "%s%s: want whole seconds from 1 to 3600, not: %.40s", where, k, v);
	*slot = (unsigned)u;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int mysqlconf_load(const char *path, struct mysqlconf *o, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	struct stat st;
	const char *x, *end, *nl, *p, *q, *eq;
	char key[80], where[300];
	unsigned long line = 0;
	int fd, ours = 0, r = -1;
	size_t n, i;

	memset(o, 0, sizeof *o);
	memcpy(o->table, "relay", 6);
	o->connect_timeout = 1;
	o->read_timeout = 1;
	o->write_timeout = 1;
	o->failover_timeout = 2;
	o->refresh_delay = 5;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return err_set(err, errlen, errno, "unable to read the MySQL option file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, errlen, EINVAL, "the MySQL option file %s is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return err_set(err, errlen, EPERM, "the MySQL option file %s holds a password but has mode %04o:"
		            " make it readable by its owner only (chmod 600)", path, (unsigned)(st.st_mode & 07777));
	}
	if (file_read_fd(fd, &b) == -1) {
		int e = errno;
		close(fd);
		buf_free(&b);
		return err_set(err, errlen, e, "unable to read the MySQL option file %s: %s", path, strerror(e));
	}
	close(fd);
	for (x = b.s, end = b.s + b.len; x < end; x = nl + 1) {
		nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			nl = end;
		++line;
		p = x;
		q = nl;
		while (p < q && is_space(*p))
			++p;
		while (q > p && is_space(q[-1]))
			--q;
		if (p == q || *p == '#' || *p == ';' || *p == '!')
			continue;
		if (*p == '[') {
			const char *g = p + 1, *ge = memchr(p, ']', (size_t)(q - p));
			if (!ge) {
				ours = 0;
				continue; /* the client library will complain about it */
			}
			while (g < ge && is_space(*g))
				++g;
			while (ge > g && is_space(ge[-1]))
				--ge;
			ours = ge - g == 7 && strncasecmp(g, "roaming", 7) == 0;
			continue;
		}
		if (!ours)
			continue;
		eq = memchr(p, '=', (size_t)(q - p));
		n = (size_t)((eq ? eq : q) - p);
		while (n && is_space(p[n - 1]))
			--n;
		if (n < 8 || n >= sizeof key)
			continue;
		for (i = 0; i < n; ++i) {
			char c = p[i];
			key[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		key[n] = 0;
		if (strncmp(key, "roaming-", 8) != 0)
			continue; /* the client library's */
		snprintf(where, sizeof where, "%s line %lu: ", path, line);
		if (!eq) {
			err_set(err, errlen, EINVAL, "%s%s needs a value", where, key);
			goto done;
		}
		p = eq + 1;
		while (p < q && is_space(*p))
			++p;
		if (p < q && (*p == '"' || *p == '\'')) {
			const char *cq = memchr(p + 1, *p, (size_t)(q - p - 1));
			if (!cq) {
				err_set(err, errlen, EINVAL, "%s%s: unbalanced quote", where, key);
				goto done;
			}
			++p;
			q = cq;
		} else {
			/* an unquoted value ends at a comment */
			const char *h = memchr(p, '#', (size_t)(q - p));
			if (h)
				q = h;
			while (q > p && is_space(q[-1]))
				--q;
		}
		{
			char val[2048];
			size_t vn = (size_t)(q - p);
			if (vn >= sizeof val) {
				err_set(err, errlen, EINVAL, "%s%s: value too long", where, key);
				goto done;
			}
			memcpy(val, p, vn);
			val[vn] = 0;
			if (memchr(val, 0, vn)) {
				err_set(err, errlen, EINVAL, "%s%s: NUL in the value", where, key);
				goto done;
			}
			if (set_key(o, key, val, vn, where, err, errlen) == -1)
				goto done;
		}
	}
	r = 0;
done:
	buf_free(&b);
	if (r == -1 && errno == 0)
		errno = EINVAL;
	return r;
}

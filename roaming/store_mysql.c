/* store_mysql.c: the MySQL relay table store, vpopmail's schema, shared by
   every POP/IMAP and SMTP host of a site.

   Table (roamingctl create-table; vpopmail's columns, so vpopmail keeps
   working on the same table):
     CREATE TABLE IF NOT EXISTS relay (
       ip_addr VARCHAR(39) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
       timestamp INT, PRIMARY KEY (ip_addr)) ENGINE=InnoDB
   ip_addr holds the address as tcpserver writes it (39 characters is the
   longest IPv6 form); timestamp is the login time, 0 (or NULL, which
   vpopmail's expiry never deletes either) for a persistent entry.

   Every statement is prepared with ? parameters: no address ever enters
   SQL text. The table name cannot be a parameter: it is checked to be a
   plain identifier (mysql_conf.c) and quoted with backticks.

   record: one statement decides new versus known atomically in the
   database, so of two hosts recording the same new address at once
   exactly one sees it inserted (affected rows 1) and rebuilds; the other
   waits on the row lock, finds the row and refreshes it (when a third
   session held the key, InnoDB may roll one of them back as a deadlock:
   that statement did nothing, and it is run again):
     INSERT ... VALUES (ip, now) ON DUPLICATE KEY UPDATE timestamp =
       IF(LAST_INSERT_ID(<1 persistent | 2 stale | 3 live>) = 1, timestamp, now)
   LAST_INSERT_ID(expr) reports what the row was in the same reply (the
   OK packet's insert id), so a known-address login is one round trip
   after prepare, with no transaction and no second query.

   token: a fingerprint of what a build would write now: the number of
   rows (so deleting even stale rows, as clearopensmtp does, counts as a
   change and every host rebuilds once), the number of live rows, and an
   XOR over the live rows of a mixed CRC32 of "address" or "address/p"
   (persistent). Refreshing a live row changes none of these, so logins of
   known addresses never make the hosts rebuild; a new, revived, removed,
   expired or aged-out row does. rebuild.c drops stale rows at build time,
   so the live set is exactly what the cdb holds (an address going stale
   leaves the cdb at the next sync, not only at the next clearopensmtp).
   The CRC32 is multiplied before the XOR because CRC32 is affine: a plain
   XOR of CRC32s cancels out for sets of similar addresses. The token is a
   table scan, so the store says so (token_costly) and the login path does
   not ask for it on every known-address login.

   load: the token and the rows are read in one REPEATABLE READ snapshot,
   so the token names exactly the rows the build saw. (Its stale cutoff is
   taken a moment after rebuild.c's: a row that goes stale within that
   moment stays in the cdb until the next change, at the latest the next
   clearopensmtp, whose deletion changes the row count.)

   Connections: the option file is read by the client library; the servers
   of roaming-servers are tried in turn (a unix socket or TCP each), each
   with a short connect timeout and short read/write timeouts, until one
   answers or roaming-failover-timeout has passed. One connection serves
   the whole process, so a rebuild after a login reads what the login just
   wrote, on the same server; point roaming-servers at the primary (or
   Galera nodes), never at a replica. After a client-side error (server
   gone, timeout) the next operation connects afresh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "mysql_store.h"
#include "store.h"

#if ROAMING_HAVE_MYSQL

#include <time.h>
#include <unistd.h>
#include "mysql_api.h"
#include <mysqld_error.h>
#include "mysql_conf.h"

enum { Q_RECORD, Q_TOKEN, Q_LOAD, Q_EXPIRE, Q_SET, Q_REMOVE, Q_CREATE, Q_ISOLATION, Q_BEGIN,
       Q_COMMIT, Q_REFRESH, Q_BEGIN_RW, Q_ROLLBACK, Q_N };

/* "@T" is the table name; LIVE takes the stale cutoff as its parameter. */
#define LIVE "(timestamp IS NULL OR timestamp = 0 OR timestamp > ?)"
static const char *const templates[Q_N] = {
	"INSERT INTO `@T` (ip_addr, timestamp) VALUES (?, ?) ON DUPLICATE KEY UPDATE timestamp ="
	" IF(LAST_INSERT_ID(IF(IFNULL(timestamp, 0) = 0, 1, IF(timestamp <= ?, 2, 3))) = 1, timestamp, ?)",
	"SELECT COUNT(*), COALESCE(SUM(" LIVE "), 0), COALESCE(BIT_XOR(IF(" LIVE ","
	" CRC32(CONCAT(ip_addr, IF(IFNULL(timestamp, 0) = 0, '/p', ''))) * 1103515245 + 12345, 0)), 0)"
	" FROM `@T`",
	"SELECT ip_addr, timestamp FROM `@T`",
	"DELETE FROM `@T` WHERE timestamp <> 0 AND timestamp < ?",
	"INSERT INTO `@T` (ip_addr, timestamp) VALUES (?, ?) ON DUPLICATE KEY UPDATE timestamp = ?",
	"DELETE FROM `@T` WHERE ip_addr = ?",
	"CREATE TABLE IF NOT EXISTS `@T` (ip_addr VARCHAR(39) CHARACTER SET ascii COLLATE ascii_bin"
	" NOT NULL, timestamp INT, PRIMARY KEY (ip_addr)) ENGINE=InnoDB",
	"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
	"COMMIT",
	"UPDATE `@T` SET timestamp = ? WHERE ip_addr = ? AND timestamp > 0 AND timestamp < ?",
	"START TRANSACTION",
	"ROLLBACK",
};

/* What the record statement's LAST_INSERT_ID() says the row was. */
enum { WAS_PERSISTENT = 1, WAS_STALE = 2, WAS_LIVE = 3 };

struct mstore {
	struct store base;
	struct mysqlconf conf;
	const char *path;      /* the option file */
	MYSQL *db;             /* 0 until connected, and after a client error */
	pid_t pid;             /* the process that opened db */
	int broken;            /* drop db before the next operation */
	char server[300];      /* which server db talks to, for messages */
	char sql[Q_N][512];
};

static int oom(struct mstore *m)
{
	errno = ENOMEM;
	return store_fail(&m->base, "out of memory");
}

/* Records a database error in the store. Client-side errors (2000-2999:
   server gone, lost, timed out) leave the connection unusable. */
static int dberr(struct mstore *m, MYSQL_STMT *st, const char *what)
{
	unsigned e = st ? mysql_stmt_errno(st) : mysql_errno(m->db);
	const char *msg = st ? mysql_stmt_error(st) : mysql_error(m->db);

	if (e >= 2000 && e < 3000)
		m->broken = 1;
	errno = 0;
	store_fail(&m->base, "MySQL %s on %s: %s (error %u)", what, m->server, msg, e);
	errno = EIO;
	return -1;
}

static void describe(const struct mysqlconf_server *sv, char *out, size_t n)
{
	if (!sv)
		snprintf(out, n, "the server of the option file");
	else if (sv->socket[0])
		snprintf(out, n, "%s", sv->socket);
	else if (strchr(sv->host, ':'))
		snprintf(out, n, "[%s]:%u", sv->host, sv->port ? sv->port : 3306);
	else
		snprintf(out, n, "%s:%u", sv->host, sv->port ? sv->port : 3306);
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Tries the servers in order until one answers. */
static int connect_db(struct mstore *m)
{
	size_t n = m->conf.nservers ? m->conf.nservers : 1, i, wl = 0;
	char why[400], desc[300];
	struct timespec t0;
	unsigned int zero = 0;

	why[0] = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; ++i) {
		const struct mysqlconf_server *sv = m->conf.nservers ? &m->conf.servers[i] : 0;
		const char *host = 0, *sock = 0;
		unsigned port = 0;
		enum mysql_protocol_type proto;
		MYSQL *db;

		if (i > 0 && elapsed(&t0) >= (double)m->conf.failover_timeout) {
			snprintf(why + wl, sizeof why - wl, "; no time left (roaming-failover-timeout) for %zu more", n - i);
			break;
		}
		describe(sv, desc, sizeof desc);
		db = mysql_init(0);
		if (!db)
			return oom(m);
		/* the file's [client] and [roaming] groups: user, password, ... */
		mysql_options(db, MYSQL_READ_DEFAULT_FILE, m->path);
		mysql_options(db, MYSQL_READ_DEFAULT_GROUP, "roaming");
		mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &m->conf.connect_timeout);
		mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &m->conf.read_timeout);
		mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &m->conf.write_timeout);
		/* a server must never be able to read our files */
		mysql_options(db, MYSQL_OPT_LOCAL_INFILE, &zero);
		if (sv) {
			proto = sv->socket[0] ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
			mysql_options(db, MYSQL_OPT_PROTOCOL, &proto);
			host = sv->socket[0] ? "localhost" : sv->host;
			sock = sv->socket[0] ? sv->socket : 0;
			port = sv->port;
		}
		/* arguments given here win over the file's host, port and socket */
		if (mysql_real_connect(db, host, 0, 0, 0, port, sock, 0)) {
			m->db = db;
			m->pid = getpid();
			m->broken = 0;
			memcpy(m->server, desc, sizeof m->server);
			return 0;
		}
		if (wl < sizeof why)
			wl += (size_t)snprintf(why + wl, sizeof why - wl, "%s%s: %s", wl ? "; " : "", desc, mysql_error(db));
		if (wl >= sizeof why)
			wl = sizeof why - 1;
		mysql_close(db);
	}
	errno = 0;
	store_fail(&m->base, "no MySQL server answered (%s): %s", m->path, why);
	errno = EIO;
	return -1;
}

static int ensure(struct mstore *m)
{
	/* A child forked after the connection was made (a login hands the
	   rebuild to a detached process) must not speak on its parent's
	   connection: the two would interleave on one session, the parent's
	   close would end it, and the child may have closed or reused its
	   descriptor. It leaves the handle alone (no I/O, not even a close)
	   and connects on its own; the row its parent committed is there. */
	if (m->db && m->pid != getpid()) {
		m->db = 0;
		m->broken = 0;
	}
	if (m->db && m->broken) {
		mysql_close(m->db);
		m->db = 0;
	}
	return m->db ? 0 : connect_db(m);
}

/* Prepares query q and binds params (may be 0). Returns the statement,
   which the caller executes and closes, or 0 with the error set. */
static MYSQL_STMT *prepare(struct mstore *m, int q, MYSQL_BIND *params, const char *what)
{
	MYSQL_STMT *st;

	if (ensure(m) == -1)
		return 0;
	st = mysql_stmt_init(m->db);
	if (!st) {
		dberr(m, 0, what);
		return 0;
	}
	if (mysql_stmt_prepare(st, m->sql[q], (unsigned long)strlen(m->sql[q])) != 0
	    || (params && mysql_stmt_bind_param(st, params))) {
		dberr(m, st, what);
		mysql_stmt_close(st);
		return 0;
	}
	return st;
}

/* Prepares query q, binds params (may be 0) and executes it. Returns the
   statement, which the caller reads and closes, or 0 with the error set. */
static MYSQL_STMT *run(struct mstore *m, int q, MYSQL_BIND *params, const char *what)
{
	MYSQL_STMT *st = prepare(m, q, params, what);
	int tries = 0;

	if (!st)
		return 0;
	while (mysql_stmt_execute(st) != 0) {
		/* InnoDB resolves some lock waits by rolling one statement back
		   (two hosts inserting a key a third session just released):
		   nothing of it was done, so it is run again */
		if (mysql_stmt_errno(st) != ER_LOCK_DEADLOCK || ++tries == 3)
			goto bad;
	}
	return st;
bad:
	dberr(m, st, what);
	mysql_stmt_close(st);
	return 0;
}

/* Runs a statement that returns no rows; *affected may be 0. */
static int run_done(struct mstore *m, int q, MYSQL_BIND *params, const char *what,
                    unsigned long long *affected)
{
	MYSQL_STMT *st = run(m, q, params, what);

	if (!st)
		return -1;
	if (affected)
		*affected = (unsigned long long)mysql_stmt_affected_rows(st);
	mysql_stmt_close(st);
	return 0;
}

static void bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	memset(b, 0, sizeof *b);
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)s;
	b->buffer_length = *len;
	b->length = len;
}

static void bind_ll(MYSQL_BIND *b, long long *v)
{
	memset(b, 0, sizeof *b);
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
}

static long long stale_cutoff(const struct store *s, long long now)
{
	return now - (long long)s->cfg->clear_minutes * 60;
}

static int put_dash(struct buf *t)
{
	if (!t)
		return 0;
	t->len = 0;
	return buf_putc(t, '-');
}

static int my_record(struct store *s, const struct addr *a, long long now,
                     int *what, struct buf *before, struct buf *after)
{
	struct mstore *m = (struct mstore *)s;
	char key[ADDR_TEXT_MAX];
	unsigned long klen = (unsigned long)addr_fmt_tcpserver(a, key);
	long long ts = now, cutoff = stale_cutoff(s, now);
	unsigned long long rows, id;
	MYSQL_BIND p[4];
	MYSQL_STMT *st;

	bind_str(&p[0], key, &klen);
	bind_ll(&p[1], &ts);
	bind_ll(&p[2], &cutoff);
	bind_ll(&p[3], &ts);
	st = run(m, Q_RECORD, p, "record");
	if (!st)
		return -1;
	rows = (unsigned long long)mysql_stmt_affected_rows(st);
	id = (unsigned long long)mysql_stmt_insert_id(st);
	mysql_stmt_close(st);
	if (rows == 1)
		*what = STORE_NEW;
	else if (id == WAS_PERSISTENT)
		*what = STORE_PERSISTENT;
	else if (id == WAS_LIVE)
		*what = STORE_REFRESHED;
	else
		*what = STORE_REVIVED; /* stale, or unknown: a rebuild is the safe side */
	/* The tokens around the change would cost two table scans; without
	   them rebuild.c cannot settle a new address by the state alone and
	   simply rebuilds (once, for a new address only). */
	if (put_dash(before) == -1 || put_dash(after) == -1)
		return oom(m);
	return 0;
}

static int token_query(struct mstore *m, long long cutoff, struct buf *token)
{
	MYSQL_BIND p[2], r[3];
	MYSQL_STMT *st;
	char v[3][32];
	unsigned long len[3];
	my_bool nul[3], trunc[3];
	int i, f;

	bind_ll(&p[0], &cutoff);
	bind_ll(&p[1], &cutoff);
	st = run(m, Q_TOKEN, p, "token");
	if (!st)
		return -1;
	memset(r, 0, sizeof r);
	for (i = 0; i < 3; ++i) {
		r[i].buffer_type = MYSQL_TYPE_STRING;
		r[i].buffer = v[i];
		r[i].buffer_length = sizeof v[i];
		r[i].length = &len[i];
		r[i].is_null = &nul[i];
		r[i].error = &trunc[i];
	}
	if (mysql_stmt_bind_result(st, r)) {
		dberr(m, st, "token");
		mysql_stmt_close(st);
		return -1;
	}
	f = mysql_stmt_fetch(st);
	if (f != 0) {
		if (f == 1)
			dberr(m, st, "token");
		else
			store_fail(&m->base, "MySQL token on %s: no answer row", m->server);
		mysql_stmt_close(st);
		return -1;
	}
	token->len = 0;
	if (buf_puts(token, "mysql") == -1) {
		mysql_stmt_close(st);
		return oom(m);
	}
	for (i = 0; i < 3; ++i) {
		unsigned long k;

		if (nul[i]) {
			len[i] = 1;
			v[i][0] = '0';
		}
		if (trunc[i] || len[i] == 0 || len[i] >= sizeof v[i])
			goto bad;
		for (k = 0; k < len[i]; ++k)
			if (v[i][k] < '0' || v[i][k] > '9')
				goto bad;
		if (buf_putc(token, ':') == -1 || buf_put(token, v[i], len[i]) == -1) {
			mysql_stmt_close(st);
			return oom(m);
		}
	}
	mysql_stmt_close(st);
	return 0;
bad:
	mysql_stmt_close(st);
	errno = 0;
	store_fail(&m->base, "MySQL token on %s: not a number", m->server);
	errno = EIO;
	return -1;
}

static int my_token(struct store *s, struct buf *token)
{
	return token_query((struct mstore *)s, stale_cutoff(s, (long long)time(0)), token);
}

static int my_load(struct store *s, store_each_fn fn, void *ctx, struct buf *token)
{
	struct mstore *m = (struct mstore *)s;
	struct buf scratch = BUF_INIT;
	MYSQL_BIND r[2];
	MYSQL_STMT *st;
	char ip[64];
	unsigned long iplen = 0;
	long long ts = 0;
	my_bool ipnul = 0, tsnul = 0, iperr = 0, tserr = 0;
	struct addr a;
	int f, rc = -1;

	if (!token)
		token = &scratch;
	/* the token and the rows from one snapshot */
	if (run_done(m, Q_ISOLATION, 0, "load", 0) == -1 || run_done(m, Q_BEGIN, 0, "load", 0) == -1)
		goto out;
	if (token_query(m, stale_cutoff(s, (long long)time(0)), token) == -1)
		goto out;
	st = run(m, Q_LOAD, 0, "load");
	if (!st)
		goto out;
	memset(r, 0, sizeof r);
	r[0].buffer_type = MYSQL_TYPE_STRING;
	r[0].buffer = ip;
	r[0].buffer_length = sizeof ip;
	r[0].length = &iplen;
	r[0].is_null = &ipnul;
	r[0].error = &iperr;
	r[1].buffer_type = MYSQL_TYPE_LONGLONG;
	r[1].buffer = &ts;
	r[1].is_null = &tsnul;
	r[1].error = &tserr;
	if (mysql_stmt_bind_result(st, r)) {
		dberr(m, st, "load");
		mysql_stmt_close(st);
		goto out;
	}
	while ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED) {
		/* rows that are not an address (vpopmail wrote junk on bad
		   input, '' for ::1) are not roaming entries */
		if (f == MYSQL_DATA_TRUNCATED || ipnul || iperr || tserr
		    || addr_parse(ip, iplen, &a) == -1)
			continue;
		if (fn(ctx, &a, ip, iplen, tsnul ? 0 : ts) == -1) {
			int e = errno;
			mysql_stmt_close(st);
			m->broken = 1; /* leave no half-read transaction behind */
			errno = e;
			store_fail(s, "MySQL load: unable to keep the rows");
			goto out;
		}
	}
	if (f != MYSQL_NO_DATA) {
		dberr(m, st, "load");
		mysql_stmt_close(st);
		goto out;
	}
	mysql_stmt_close(st);
	if (run_done(m, Q_COMMIT, 0, "load", 0) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && m->db)
		m->broken = 1; /* a transaction may still be open */
	buf_free(&scratch);
	return rc;
}

static int my_expire(struct store *s, long long cutoff, unsigned long *removed)
{
	struct mstore *m = (struct mstore *)s;
	unsigned long long n = 0;
	MYSQL_BIND p[1];

	*removed = 0;
	bind_ll(&p[0], &cutoff);
	if (run_done(m, Q_EXPIRE, p, "expire", &n) == -1)
		return -1;
	*removed = (unsigned long)n;
	return 0;
}

static int my_set(struct store *s, const struct addr *a, long long ts)
{
	struct mstore *m = (struct mstore *)s;
	char key[ADDR_TEXT_MAX];
	unsigned long klen = (unsigned long)addr_fmt_tcpserver(a, key);
	MYSQL_BIND p[3];

	bind_str(&p[0], key, &klen);
	bind_ll(&p[1], &ts);
	bind_ll(&p[2], &ts);
	return run_done(m, Q_SET, p, "set", 0);
}

static int my_remove(struct store *s, const struct addr *a, int *found)
{
	struct mstore *m = (struct mstore *)s;
	char key[ADDR_TEXT_MAX];
	unsigned long klen = (unsigned long)addr_fmt_tcpserver(a, key);
	unsigned long long n = 0;
	MYSQL_BIND p[1];

	*found = 0;
	bind_str(&p[0], key, &klen);
	if (run_done(m, Q_REMOVE, p, "remove", &n) == -1)
		return -1;
	*found = n > 0;
	return 0;
}

/* One transaction of up to REFRESH_CHUNK rows, run again if InnoDB picks
   it to break a deadlock (which undid all of it). */
#define REFRESH_CHUNK 500
static int refresh_chunk(struct mstore *m, const struct store_refresh *r, size_t n,
                         unsigned long *updated)
{
	char key[ADDR_TEXT_MAX];
	unsigned long klen = 0, done;
	long long ts;
	MYSQL_BIND p[3];
	MYSQL_STMT *st;
	size_t i;
	int tries, deadlock;

	/* SET timestamp = ? WHERE ip_addr = ? AND ... timestamp < ?; the
	   bindings point at key and ts, set per row below */
	bind_ll(&p[0], &ts);
	bind_str(&p[1], key, &klen);
	p[1].buffer_length = sizeof key;
	bind_ll(&p[2], &ts);
	for (tries = 0; tries < 3; ++tries) {
		done = 0;
		if (run_done(m, Q_BEGIN_RW, 0, "refresh", 0) == -1)
			return -1;
		st = prepare(m, Q_REFRESH, p, "refresh");
		if (!st)
			break;
		for (i = 0; i < n; ++i) {
			klen = (unsigned long)addr_fmt_tcpserver(&r[i].a, key);
			ts = r[i].ts;
			if (mysql_stmt_execute(st) != 0)
				break;
			done += (unsigned long)mysql_stmt_affected_rows(st);
		}
		if (i < n) {
			deadlock = mysql_stmt_errno(st) == ER_LOCK_DEADLOCK;
			dberr(m, st, "refresh");
			mysql_stmt_close(st);
			if (m->broken || run_done(m, Q_ROLLBACK, 0, "refresh", 0) == -1 || !deadlock)
				break;
			continue;
		}
		mysql_stmt_close(st);
		if (run_done(m, Q_COMMIT, 0, "refresh", 0) == -1)
			break;
		*updated += done;
		return 0;
	}
	if (m->db)
		m->broken = 1; /* a transaction may still be open */
	return -1;
}

static int my_refresh(struct store *s, const struct store_refresh *r, size_t n,
                      unsigned long *updated)
{
	struct mstore *m = (struct mstore *)s;
	size_t i, k;

	*updated = 0;
	for (i = 0; i < n; i += k) {
		k = n - i < REFRESH_CHUNK ? n - i : REFRESH_CHUNK;
		if (refresh_chunk(m, r + i, k, updated) == -1)
			return -1;
	}
	return 0;
}

static void my_close(struct store *s)
{
	struct mstore *m = (struct mstore *)s;

	if (m->db && m->pid == getpid())
		mysql_close(m->db);
	free(m);
	mysql_library_end();
}

static const struct store_ops mysql_ops = {
	my_record, my_load, my_token, my_expire, my_set, my_remove, my_close, 0, my_refresh,
};

int store_mysql_create_table(struct store *s, int *existed, char *sql, size_t sqllen)
{
	struct mstore *m = (struct mstore *)s;
	MYSQL_STMT *st;
	struct buf tok = BUF_INIT;
	int r;

	if (s->ops != &mysql_ops) {
		errno = EINVAL;
		return store_fail(s, "not a MySQL store");
	}
	snprintf(sql, sqllen, "%s", m->sql[Q_CREATE]);
	st = run(m, Q_CREATE, 0, "create-table");
	if (!st)
		return -1;
	/* IF NOT EXISTS turns an existing table into a note */
	*existed = mysql_stmt_warning_count(st) > 0;
	mysql_stmt_close(st);
	/* prove the columns are the ones roaming reads */
	r = my_token(s, &tok);
	buf_free(&tok);
	return r;
}

/* Copies templ into out with each "@T" replaced by table. */
static int fill(char *out, size_t n, const char *templ, const char *table)
{
	size_t o = 0, tl = strlen(table);
	const char *p;

	for (p = templ; *p; ++p) {
		if (p[0] == '@' && p[1] == 'T') {
			if (o + tl >= n)
				return -1;
			memcpy(out + o, table, tl);
			o += tl;
			++p;
		} else {
			if (o + 1 >= n)
				return -1;
			out[o++] = *p;
		}
	}
	out[o] = 0;
	return 0;
}

int store_mysql_open(const struct cfg *c, struct store **out, char *err, size_t errlen)
{
	struct mstore *m;
	int i;

	if (mysql_api_load(err, errlen) == -1) {
		errno = ENOSYS;
		return -1;
	}
	m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	m->base.ops = &mysql_ops;
	m->base.cfg = c;
	m->base.token_costly = 1;
	m->path = c->db_path;
	if (mysqlconf_load(c->db_path, &m->conf, err, errlen) == -1) {
		int e = errno;
		free(m);
		errno = e;
		return -1;
	}
	for (i = 0; i < Q_N; ++i) {
		/* the name was checked to be a plain identifier */
		if (fill(m->sql[i], sizeof m->sql[i], templates[i], m->conf.table) == -1) {
			snprintf(err, errlen, "roaming-table: name too long");
			free(m);
			errno = EINVAL;
			return -1;
		}
	}
	if (connect_db(m) == -1) {
		snprintf(err, errlen, "%s", m->base.err);
		my_close(&m->base);
		errno = EIO;
		return -1;
	}
	*out = &m->base;
	return 0;
}

#else /* !ROAMING_HAVE_MYSQL */

int store_mysql_open(const struct cfg *c, struct store **out, char *err, size_t errlen)
{
	(void)c;
	(void)out;
	snprintf(err, errlen, "this roaming was built without MySQL (./configure --with-mysql)");
	errno = ENOSYS;
	return -1;
}

int store_mysql_create_table(struct store *s, int *existed, char *sql, size_t sqllen)
{
	(void)existed;
	if (sqllen)
		sql[0] = 0;
	errno = ENOSYS;
	return store_fail(s, "this roaming was built without MySQL");
}

#endif

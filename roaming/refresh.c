/* refresh.c: deferred refreshes of known addresses, for the MySQL store.

   A login of an address the table already holds changes nothing anyone
   reads but the row's time, yet writing it costs the login the client
   library, a connection and a commit. So when the last build saw the
   address live (the live index, tcp.smtp.live, a cdb from address to the
   row's time, written with tcp.smtp.cdb), the login only appends
   "ADDRESS TIME" to a local spool (tcp.smtp.spool) and goes on; the relay
   is already open for it. A flusher writes the spool to the table: started
   detached by the login that found the spool empty (after
   roaming-refresh-delay seconds, 5 by default), and run by roamingctl sync
   and clearopensmtp before they read the table.

   Why no refresh is lost:
   - The spool is locked (flock) for every append and every take; a writer
     that waited on a spool a flusher has since replaced sees another inode
     at the path and opens the new one.
   - A flusher removes only the bytes it wrote to the table, and only after
     the commit; a failed flush keeps them (one line per address) for the
     next. Writing a refresh twice is harmless: the time only moves forward.
   - A login is spooled only while its row has margin seconds to live
     (the delay, the failover time and REFRESH_SLACK), so its refresh
     reaches the table before any host's clearopensmtp could delete the
     row. Nearer the end the login writes the row itself.
   - The spool's first line is "#T", the time a flush was last arranged. A
     login that finds it older than the margin (a flusher that was killed,
     or a database that was down) arranges another.
   - A refresh never adds or revives a row: an address removed meanwhile
     (roamingctl remove) stays removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cdb.h>
#include "atomic.h"
#include "errmsg.h"
#include "hmap.h"
#include "lock.h"
#include "own.h"
#include "rebuild.h"
#include "refresh.h"

#define HDR_LEN 21 /* "#" 19 digits "\n" */

static void put_header(char h[HDR_LEN + 1], long long t)
{
	snprintf(h, HDR_LEN + 1, "#%019lld\n", t < 0 ? 0 : t);
}

/* The time in a header, or -1 if it is not one. */
static long long get_header(const char *h, size_t n)
{
	unsigned long long t;

	if (n < HDR_LEN || h[0] != '#' || h[HDR_LEN - 1] != '\n'
	    || scan_ulong(h + 1, HDR_LEN - 2, 19, &t) == -1)
		return -1;
	return (long long)t;
}

/* A time: at most 18 digits, so it is a positive long long. */
static int get_time(const char *s, size_t n, long long *t)
{
	unsigned long long v;

	if (scan_ulong(s, n, 18, &v) == -1)
		return -1;
	*t = (long long)v;
	return 0;
}

/* The live index's time for key: 1 found, 0 absent (or no index, or one
   written for another store), -1 on error. */
static int live_lookup(const struct cfg *c, const char *key, size_t klen, long long *ts)
{
	struct cdb db;
	int fd, r = 0;
	size_t idlen = strlen(c->db_path);

	fd = open(c->live, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (cdb_init(&db, fd) == -1) {
		close(fd);
		return -1;
	}
	if (cdb_find(&db, REFRESH_LIVE_ID_KEY, 0) > 0 && cdb_datalen(&db) == idlen
	    && memcmp(cdb_getdata(&db), c->db_path, idlen) == 0
	    && cdb_find(&db, key, (unsigned)klen) > 0
	    && get_time(cdb_getdata(&db), cdb_datalen(&db), ts) == 0)
		r = 1;
	cdb_free(&db);
	close(fd);
	return r;
}

/* Opens the spool and locks it: the fd, with *st, once the path still
   names what was locked. Without create, -1 with ENOENT if there is none. */
static int spool_lock(const char *path, int create, struct stat *st)
{
	struct stat ps;
	int fd, r, tries;

	for (tries = 0; tries < 8; ++tries) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0), 0600);
		if (fd == -1)
			return -1;
		while ((r = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
			;
		if (r == -1 || fstat(fd, st) == -1) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!S_ISREG(st->st_mode)) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		if (stat(path, &ps) == 0 && ps.st_dev == st->st_dev && ps.st_ino == st->st_ino)
			return fd;
		close(fd); /* replaced or removed by a flusher meanwhile */
	}
	errno = EAGAIN;
	return -1;
}

int refresh_spool(const struct cfg *c, const struct addr *a, long long now,
                  long long margin, long delay, long *flush_in)
{
	char key[ADDR_TEXT_MAX], line[HDR_LEN + ADDR_TEXT_MAX + 24], hdr[HDR_LEN];
	long long ts, t;
	struct stat st;
	size_t klen, n, off;
	ssize_t w;
	int fd, e;

	*flush_in = -1;
	klen = addr_fmt_tcpserver(a, key);
	if (live_lookup(c, key, klen, &ts) != 1)
		return REFRESH_STORE;
	if (ts == 0)
		return REFRESH_PERSISTENT;
	if (ts - (now - (long long)c->clear_minutes * 60) < margin)
		return REFRESH_STORE; /* near its end: the row itself, now */
	fd = spool_lock(c->spool, 1, &st);
	if (fd == -1)
		return REFRESH_STORE;
	if (st.st_size >= REFRESH_SPOOL_MAX) {
		close(fd);
		errno = EFBIG;
		return REFRESH_STORE;
	}
	off = (size_t)st.st_size;
	n = 0;
	if (off >= HDR_LEN && pread(fd, hdr, HDR_LEN, 0) == HDR_LEN && (t = get_header(hdr, HDR_LEN)) >= 0) {
		if (t < now - margin || t > now + 3600) {
			/* no flush came: arrange one, and say so for the next login */
			put_header(line, now);
			if (pwrite(fd, line, HDR_LEN, 0) != HDR_LEN)
				goto bad;
			*flush_in = 0;
		}
	} else {
		/* empty (or not a spool: begin it again) */
		if (off && ftruncate(fd, 0) == -1)
			goto bad;
		off = 0;
		put_header(line, now);
		n = HDR_LEN;
		*flush_in = st.st_size ? 0 : delay;
		own_like_dir(fd, c->spool);
	}
	n += (size_t)snprintf(line + n, sizeof line - n, "%s %lld\n", key, now);
	w = pwrite(fd, line, n, (off_t)off);
	if (w != (ssize_t)n) {
		if (w >= 0)
			errno = ENOSPC;
		goto bad;
	}
	close(fd);
	return REFRESH_SPOOLED;
bad:
	e = errno;
	if (ftruncate(fd, (off_t)off) == -1) {
		/* a partial line is skipped by the flush */
	}
	close(fd);
	*flush_in = -1;
	errno = e;
	return REFRESH_STORE;
}

/* ---- the flush ---- */

struct pending {
	struct hmap seen;             /* family byte + 16 address bytes -> index */
	struct store_refresh *r;
	size_t n, cap;
	unsigned long bad;            /* lines that are not "ADDRESS TIME" */
};

static void pending_free(struct pending *p)
{
	hmap_free(&p->seen);
	free(p->r);
	memset(p, 0, sizeof *p);
}

/* Adds the lines of text (a spool, or its tail) to p, the newest time of
   each address. */
static int pending_add(struct pending *p, const char *s, size_t len)
{
	const char *end = s + len, *nl, *sp;
	struct store_refresh x;
	char k[ADDR_KEY_LEN];
	size_t *slot;
	int r;

	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			break; /* a partial line: a writer that failed halfway */
		if (*s == '#')
			continue;
		sp = memchr(s, ' ', (size_t)(nl - s));
		if (!sp || addr_parse(s, (size_t)(sp - s), &x.a) == -1
		    || get_time(sp + 1, (size_t)(nl - sp - 1), &x.ts) == -1 || x.ts == 0) {
			++p->bad;
			continue;
		}
		addr_key(&x.a, k);
		r = hmap_put(&p->seen, k, sizeof k, p->n, &slot);
		if (r == -1)
			return -1;
		if (r == 0) {
			if (x.ts > p->r[*slot].ts)
				p->r[*slot].ts = x.ts;
			continue;
		}
		if (array_room(&p->r, &p->cap, p->n, sizeof *p->r, 256) == -1)
			return -1;
		p->r[p->n++] = x;
	}
	return 0;
}

/* One order for every host, so two flushes lock rows in the same order. */
static int cmp_refresh(const void *x, const void *y)
{
	const struct store_refresh *a = x, *b = y;

	if (a->a.family != b->a.family)
		return a->a.family < b->a.family ? -1 : 1;
	return memcmp(a->a.a, b->a.a, 16);
}

/* Replaces the spool (locked by the caller) with a header and body. */
static int spool_replace(const char *path, long long t, const char *body, size_t blen)
{
	struct atomic at;
	char hdr[HDR_LEN + 1];

	if (atomic_begin(&at, path, 0, 0600) == -1)
		return -1;
	own_like_dir(at.fd, path);
	put_header(hdr, t);
	if (atomic_write(&at, hdr, HDR_LEN) == -1 || atomic_write(&at, body, blen) == -1) {
		atomic_abort(&at);
		return -1;
	}
	return atomic_commit(&at);
}

/* After a failed flush: the spool as one line per address. */
static int spool_compact(const char *path, int fd, long long now)
{
	struct pending p;
	struct buf text = BUF_INIT, out = BUF_INIT;
	char key[ADDR_TEXT_MAX], num[24];
	size_t i;
	int r = -1;

	memset(&p, 0, sizeof p);
	if (lseek(fd, 0, SEEK_SET) == -1 || file_read_fd(fd, &text) == -1
	    || pending_add(&p, text.s, text.len) == -1)
		goto done;
	for (i = 0; i < p.n; ++i) {
		addr_fmt_tcpserver(&p.r[i].a, key);
		snprintf(num, sizeof num, " %lld\n", p.r[i].ts);
		if (buf_puts(&out, key) == -1 || buf_puts(&out, num) == -1)
			goto done;
	}
	r = spool_replace(path, now, out.s, out.len);
done:
	pending_free(&p);
	buf_free(&text);
	buf_free(&out);
	return r;
}

int refresh_flush(const struct cfg *c, struct store *st, int locked, unsigned long *addrs,
                  unsigned long *updated, char *err, size_t errlen)
{
	struct pending p;
	struct buf text = BUF_INIT;
	struct stat sb, s1, s2;
	unsigned long upd;
	size_t taken;
	int lk, fd, round, r = -1, rc;

	*addrs = *updated = 0;
	memset(&p, 0, sizeof p);
	if (!st->ops->refresh)
		return 0;
	if (lstat(c->spool, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		err_sys(err, errlen, "unable to stat %s", c->spool);
		return -1;
	}
	/* one flusher at a time; the rebuild lock, so clearopensmtp's expiry
	   and a rebuild never run in the middle of one */
	lk = -1;
	if (!locked) {
		lk = rebuild_lock(c, REBUILD_WAIT_MS, err, errlen);
		if (lk == -1)
			return -1;
	}
	for (round = 0; round < 8; ++round) {
		r = -1;
		fd = spool_lock(c->spool, 0, &s1);
		if (fd == -1) {
			if (errno == ENOENT)
				r = 0;
			else
				err_sys(err, errlen, "unable to lock %s", c->spool);
			break;
		}
		text.len = 0;
		rc = file_read_fd(fd, &text);
		close(fd);
		if (rc == -1) {
			err_sys(err, errlen, "unable to read %s", c->spool);
			break;
		}
		taken = text.len;
		hmap_free(&p.seen);
		p.n = 0;
		if (pending_add(&p, text.s, text.len) == -1) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		qsort(p.r, p.n, sizeof *p.r, cmp_refresh);
		upd = 0;
		rc = p.n ? st->ops->refresh(st, p.r, p.n, &upd) : 0;
		fd = spool_lock(c->spool, 0, &s2);
		if (fd == -1) {
			if (errno == ENOENT && rc == 0)
				r = 0; /* removed by hand meanwhile */
			else
				snprintf(err, errlen, "%s", rc == -1 ? st->err : "unable to lock the spool");
			break;
		}
		if (s2.st_dev != s1.st_dev || s2.st_ino != s1.st_ino || (size_t)s2.st_size < taken) {
			close(fd); /* replaced by hand: look again */
			if (rc == -1) {
				snprintf(err, errlen, "%s", st->err);
				break;
			}
			continue;
		}
		if (rc == -1) {
			snprintf(err, errlen, "%s", st->err);
			if (spool_compact(c->spool, fd, (long long)time(0)) == -1) {
				/* the spool stays as it was: nothing is lost */
			}
			close(fd);
			break;
		}
		*addrs += p.n;
		*updated += upd;
		if ((size_t)s2.st_size == taken) {
			rc = unlink(c->spool);
			close(fd);
			if (rc == -1)
				err_sys(err, errlen, "unable to remove %s", c->spool);
			else
				r = 0;
			break;
		}
		/* logins appended meanwhile: keep their lines, flush them next */
		text.len = 0;
		rc = lseek(fd, (off_t)taken, SEEK_SET) == -1 || file_read_fd(fd, &text) == -1
		     || spool_replace(c->spool, (long long)time(0), text.s, text.len) == -1;
		close(fd);
		if (rc) {
			err_sys(err, errlen, "unable to rewrite %s", c->spool);
			break;
		}
		r = 0; /* if the rounds run out, the next login or sync goes on */
	}
	if (lk != -1)
		lock_release(lk);
	pending_free(&p);
	buf_free(&text);
	return r;
}

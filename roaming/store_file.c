/* store_file.c: the open-smtp file store, in vpopmail's format
   "ADDRESS:allow,RELAYCLIENT="",RBLSMTPD=""<TAB>unixtime", one line each.

   vpopmail rewrote the whole file on every login. Here a login touches a few
   bytes: a known address gets its time overwritten in place (same width), a
   new one is appended. An index (open-smtp.index, a cdb from address to line
   offset, stamped with the file's inode and the size it covers) finds a
   known address without reading the file; the short tail appended since the
   index was written is scanned. Every access holds open-smtp.lock (the lock
   file vpopmail uses), so readers never see a half-written time. Rewrites
   (expiry, roamingctl) go through the atomic helper and write a new index. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cdb.h>
#include "atomic.h"
#include "hmap.h"
#include "lock.h"
#include "own.h"
#include "store.h"

#define STORE_LOCK_MS 3000
#define INDEX_SLACK 16384 /* unindexed tail that triggers a new index */

struct fstore {
	struct store base;
	const char *path;
	char *lockpath;
	char *indexpath;
};

int store_parse_line_text(const char *line, size_t len, struct addr *a, long long *ts, size_t *alen)
{
	const char *tab = 0, *p, *c;
	unsigned long long t;
	size_t i;

	for (i = len; i > 0; --i)
		if (line[i - 1] == '\t') {
			tab = line + i - 1;
			break;
		}
	if (!tab)
		return 0;
	p = tab + 1;
	if (scan_ulong(p, (size_t)(line + len - p), 18, &t) == -1)
		return 0;
	/* The address ends at the first ':' followed by "allow", as in
	   ucspi-tcp-ipv6; a deny line is not a roaming entry. */
	for (c = line; c < tab; ++c) {
		c = memchr(c, ':', (size_t)(tab - c));
		if (!c)
			return 0;
		if ((size_t)(tab - c) > 5 && memcmp(c + 1, "allow", 5) == 0
		    && (c + 6 == tab || c[6] == ','))
			break;
	}
	if (c >= tab || addr_parse(line, (size_t)(c - line), a) == -1)
		return 0;
	*ts = (long long)t;
	if (alen)
		*alen = (size_t)(c - line);
	return 1;
}

int store_parse_line(const char *line, size_t len, struct addr *a, long long *ts)
{
	return store_parse_line_text(line, len, a, ts, 0);
}

static int put_line(struct buf *b, const struct cfg *cfg, const struct addr *a, long long ts)
{
	char key[ADDR_TEXT_MAX];

	return buf_put(b, key, addr_fmt_tcpserver(a, key)) == -1
	    || buf_puts(b, ":allow,") == -1 || buf_puts(b, cfg->relay_env) == -1
	    || buf_putc(b, '\t') == -1 || buf_putulong(b, (unsigned long long)ts) == -1
	    || buf_putc(b, '\n') == -1 ? -1 : 0;
}

static int put_token(struct buf *t, const struct stat *st, unsigned long long size)
{
	if (!t)
		return 0;
	t->len = 0;
	if (!st)
		return buf_puts(t, "none") == -1 || buf_terminate(t) == -1 ? -1 : 0;
	return buf_putulong(t, (unsigned long long)st->st_ino) == -1 || buf_putc(t, ':') == -1
	    || buf_putulong(t, size) == -1 || buf_terminate(t) == -1 ? -1 : 0;
}

static int take(struct fstore *f)
{
	int fd = lock_take(f->lockpath, 0600, f->base.lock_ms);

	if (fd == -1)
		return store_fail(&f->base, "unable to lock %s", f->lockpath);
	own_like_dir(fd, f->lockpath);
	return fd;
}

/* Writes the index for content (the whole file, inode ino). */
static int write_index(struct fstore *f, const char *s, size_t len, unsigned long long ino)
{
	struct atomic at;
	struct cdb_make cm;
	struct hmap seen = HMAP_INIT;
	const char *x = s, *end = s + len, *nl;
	char key[ADDR_TEXT_MAX], val[64];
	struct addr a;
	long long ts;
	size_t klen, vlen;
	int r;

	if (atomic_begin(&at, f->indexpath, 0, 0640) == -1)
		return store_fail(&f->base, "unable to create a temp file for %s", f->indexpath);
	own_like_dir(at.fd, f->indexpath);
	if (cdb_make_start(&cm, at.fd) == -1)
		goto bad;
	/* only whole lines are indexed; the covered size ends at the last '\n' */
	while (x < end && (nl = memchr(x, '\n', (size_t)(end - x)))) {
		if (store_parse_line(x, (size_t)(nl - x), &a, &ts)) {
			klen = addr_fmt_tcpserver(&a, key);
			r = hmap_put(&seen, key, klen, 0, 0);
			if (r == -1)
				goto badmake;
			if (r == 1) {
				vlen = fmt_ulong(val, (unsigned long long)(x - s));
				if (cdb_make_add(&cm, key, (unsigned)klen, val, (unsigned)vlen) == -1)
					goto badmake;
			}
		}
		x = nl + 1;
	}
	vlen = fmt_ulong(val, ino);
	val[vlen++] = ' ';
	vlen += fmt_ulong(val + vlen, (unsigned long long)(x - s));
	if (cdb_make_add(&cm, "", 0, val, (unsigned)vlen) == -1)
		goto badmake;
	hmap_free(&seen);
	if (cdb_make_finish(&cm) == -1) {
		atomic_abort(&at);
		return store_fail(&f->base, "unable to write %s", f->indexpath);
	}
	if (atomic_commit(&at) == -1)
		return store_fail(&f->base, "unable to write %s", f->indexpath);
	return 0;
badmake:
	cdb_make_finish(&cm); /* frees tinycdb's lists; the temp file goes next */
bad:
	hmap_free(&seen);
	atomic_abort(&at);
	return store_fail(&f->base, "unable to write %s", f->indexpath);
}

/* What the index covers: 1 with *covered (bytes from the start) when it
   belongs to this inode; 0 when it is missing or stale. If key is given and
   indexed, *off gets its line offset (-1 if absent). */
static int read_index(struct fstore *f, const struct stat *st, const char *key, size_t klen,
                      unsigned long long *covered, long long *off)
{
	struct cdb c;
	char val[64];
	unsigned long long ino = 0, size = 0;
	unsigned n;
	int fd, r = 0;
	char *sp;

	*off = -1;
	fd = open(f->indexpath, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (cdb_init(&c, fd) == -1) {
		close(fd);
		return 0;
	}
	if (cdb_find(&c, "", 0) > 0 && (n = cdb_datalen(&c)) < sizeof val
	    && cdb_read(&c, val, n, cdb_datapos(&c)) == 0) {
		val[n] = 0;
		ino = strtoull(val, &sp, 10);
		if (*sp == ' ')
			size = strtoull(sp + 1, 0, 10);
		if (ino == (unsigned long long)st->st_ino && size <= (unsigned long long)st->st_size) {
			r = 1;
			*covered = size;
			if (key && cdb_find(&c, key, (unsigned)klen) > 0
			    && (n = cdb_datalen(&c)) < sizeof val
			    && cdb_read(&c, val, n, cdb_datapos(&c)) == 0) {
				val[n] = 0;
				*off = (long long)strtoull(val, 0, 10);
			}
		}
	}
	cdb_free(&c);
	close(fd);
	return r;
}

/* 1 if the line at off is a roaming entry for the address key names. */
static int same_addr_at(int fd, long long off, const char *key, size_t klen)
{
	char line[1024], k2[ADDR_TEXT_MAX];
	const char *nl;
	struct addr a;
	long long ts;
	ssize_t n = pread(fd, line, sizeof line, off);

	if (n <= 0 || !(nl = memchr(line, '\n', (size_t)n))
	    || !store_parse_line(line, (size_t)(nl - line), &a, &ts))
		return 0;
	return addr_fmt_tcpserver(&a, k2) == klen && memcmp(k2, key, klen) == 0;
}

/* Finds the line of key in the open file: 1 with *lineoff, 0 if absent. */
static int locate(struct fstore *f, int fd, const struct stat *st, const char *key, size_t klen,
                  long long *lineoff)
{
	unsigned long long covered = 0;
	long long off;
	struct buf tail = BUF_INIT;
	char probe[ADDR_TEXT_MAX + 1];
	const char *x, *end;
	ssize_t r;

	if (read_index(f, st, key, klen, &covered, &off) && off >= 0) {
		/* trust, but verify: the line must start with "key:" */
		if (pread(fd, probe, klen + 1, off) == (ssize_t)(klen + 1)
		    && memcmp(probe, key, klen) == 0 && probe[klen] == ':') {
			*lineoff = off;
			return 1;
		}
		/* or be that address in another form (a vpopmail "::ffff:1.2.3.4"
		   line), which the text scan below would miss */
		if (same_addr_at(fd, off, key, klen)) {
			*lineoff = off;
			return 1;
		}
		covered = 0;
	}
	if ((unsigned long long)st->st_size <= covered)
		return 0;
	if (buf_ready(&tail, (size_t)((unsigned long long)st->st_size - covered)) == -1)
		return store_fail(&f->base, "out of memory");
	r = pread(fd, tail.s, (size_t)((unsigned long long)st->st_size - covered), (off_t)covered);
	if (r == -1) {
		buf_free(&tail);
		return store_fail(&f->base, "unable to read %s", f->path);
	}
	tail.len = (size_t)r;
	x = tail.s;
	end = tail.s + tail.len;
	/* covered always ends at a line start, so x is one */
	while (x < end) {
		const char *nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			break;
		if ((size_t)(nl - x) > klen && memcmp(x, key, klen) == 0 && x[klen] == ':') {
			*lineoff = (long long)covered + (x - tail.s);
			buf_free(&tail);
			return 1;
		}
		x = nl + 1;
	}
	buf_free(&tail);
	return 0;
}

/* Rewrites the whole file through the atomic helper. fn decides for each
   roaming entry (duplicates folded: the newest time, 0 if any is 0):
   returns the time to keep, or -1 to drop it. Other lines stay as written.
   extra, if given, is appended when absent. Caller holds the lock. */
struct rewrite {
	long long (*fn)(void *ctx, const struct addr *a, long long ts);
	void *ctx;
	const struct addr *extra;
	long long extra_ts;
	unsigned long dropped;
	int found;
	int only_if_changed;   /* leave the file (and its inode) alone if nothing changes */
};

struct rw_ent {
	struct addr a;
	long long ts;
	const char *text;      /* the address as written, when it is canonical */
	size_t tlen;
	int written;
};

/* One line of the file: a roaming entry (ent >= 0) or a line kept as is. */
struct rw_line {
	size_t off, len;
	long ent;
};

static int put_line_text(struct buf *b, const struct cfg *cfg, const char *key, size_t klen, long long ts)
{
	return buf_put(b, key, klen) == -1
	    || buf_puts(b, ":allow,") == -1 || buf_puts(b, cfg->relay_env) == -1
	    || buf_putc(b, '\t') == -1 || buf_putulong(b, (unsigned long long)ts) == -1
	    || buf_putc(b, '\n') == -1 ? -1 : 0;
}

static int rewrite(struct fstore *f, struct rewrite *rw)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct hmap seen = HMAP_INIT;
	struct rw_ent *ents = 0;
	struct rw_line *lines = 0;
	size_t nents = 0, entcap = 0, nlines = 0, linecap = 0, *slot, i, alen;
	const char *x, *end, *nl;
	struct stat st, tst;
	struct atomic at;
	struct addr a;
	long long ts;
	mode_t mode = 0640;
	char akey[ADDR_KEY_LEN], key[ADDR_TEXT_MAX];
	int fd, have = 0, r = -1, changed = 0;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT) {
		store_fail(&f->base, "unable to open %s", f->path);
		goto done;
	}
	if (fd != -1) {
		have = fstat(fd, &st) == 0;
		if (have)
			mode = st.st_mode & 07777;
		if (file_read_fd(fd, &in) == -1) {
			close(fd);
			store_fail(&f->base, "unable to read %s", f->path);
			goto done;
		}
		close(fd);
	}
	/* one parse: the lines, and the entries with duplicates folded */
	for (x = in.s, end = in.s + in.len; x < end; x = nl + 1) {
		long ent = -1;

		nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			nl = end;
		if (store_parse_line_text(x, (size_t)(nl - x), &a, &ts, &alen)) {
			addr_key(&a, akey);
			r = hmap_put(&seen, akey, sizeof akey, nents, &slot);
			if (r == -1)
				goto oom;
			if (r == 1) {
				if (array_room(&ents, &entcap, nents, sizeof *ents, 1024) == -1)
					goto oom;
				ents[nents].a = a;
				ents[nents].ts = ts;
				/* inet_pton took a ':'-free address as AF_INET: canonical */
				ents[nents].text = a.family == AF_INET && !memchr(x, ':', alen) ? x : 0;
				ents[nents].tlen = alen;
				ents[nents].written = 0;
				ent = (long)nents++;
			} else {
				changed = 1; /* a duplicate line goes */
				if (ents[*slot].ts != 0 && (ts == 0 || ts > ents[*slot].ts))
					ents[*slot].ts = ts;
				continue;
			}
		} else if (nl == x) {
			continue; /* an empty line goes */
		}
		if (array_room(&lines, &linecap, nlines, sizeof *lines, 1024) == -1)
			goto oom;
		lines[nlines].off = (size_t)(x - in.s);
		lines[nlines].len = (size_t)(nl - x);
		lines[nlines].ent = ent;
		++nlines;
	}
	/* decide every entry's time before writing anything */
	for (i = 0; i < nents; ++i) {
		if (rw->extra && memcmp(&ents[i].a, rw->extra, sizeof a) == 0) {
			rw->found = 1;
			ts = rw->extra_ts;
		} else {
			ts = rw->fn ? rw->fn(rw->ctx, &ents[i].a, ents[i].ts) : ents[i].ts;
		}
		if (ts != ents[i].ts)
			changed = 1;
		if (ts < 0)
			++rw->dropped;
		ents[i].ts = ts;
	}
	if (rw->extra && !rw->found && rw->extra_ts >= 0)
		changed = 1;
	if (rw->extra && !rw->found && rw->extra_ts < 0 && !rw->fn) {
		r = 0; /* removing an address that is not there changes nothing */
		goto done;
	}
	if (rw->only_if_changed && !changed) {
		r = 0; /* an unchanged file keeps its inode, so the outputs stay current */
		goto done;
	}
	if (buf_ready(&out, in.len) == -1)
		goto oom;
	for (i = 0; i < nlines; ++i) {
		const struct rw_line *l = &lines[i];
		struct rw_ent *e;

		if (l->ent < 0) {
			/* not ours (comments, prefixes someone wrote): kept verbatim */
			if (buf_put(&out, in.s + l->off, l->len) == -1 || buf_putc(&out, '\n') == -1)
				goto oom;
			continue;
		}
		e = &ents[l->ent];
		if (e->ts < 0)
			continue;
		if (e->text ? put_line_text(&out, f->base.cfg, e->text, e->tlen, e->ts) == -1
		            : put_line_text(&out, f->base.cfg, key, addr_fmt_tcpserver(&e->a, key), e->ts) == -1)
			goto oom;
	}
	if (rw->extra && !rw->found && rw->extra_ts >= 0 && put_line(&out, f->base.cfg, rw->extra, rw->extra_ts) == -1)
		goto oom;
	if (atomic_begin(&at, f->path, 0, mode) == -1) {
		store_fail(&f->base, "unable to create a temp file for %s", f->path);
		goto done;
	}
	if (have) {
		if (geteuid() == 0 && fchown(at.fd, st.st_uid, st.st_gid) == -1) {
			atomic_abort(&at);
			store_fail(&f->base, "unable to keep the owner of %s", f->path);
			goto done;
		}
		fchmod(at.fd, mode); /* the umask must not narrow an admin's choice */
	} else {
		own_like_dir(at.fd, f->path);
	}
	if (fstat(at.fd, &tst) == -1 || atomic_write(&at, out.s, out.len) == -1) {
		atomic_abort(&at);
		store_fail(&f->base, "unable to write %s", f->path);
		goto done;
	}
	if (atomic_commit(&at) == -1) {
		store_fail(&f->base, "unable to write %s", f->path);
		goto done;
	}
	/* offsets moved: a fresh index; if that fails the old one no longer
	   matches the inode and lookups fall back to scanning */
	write_index(f, out.s, out.len, (unsigned long long)tst.st_ino);
	r = 0;
	goto done;
oom:
	store_fail(&f->base, "out of memory");
	r = -1;
done:
	free(ents);
	free(lines);
	hmap_free(&seen);
	buf_free(&in);
	buf_free(&out);
	return r;
}

static int fs_record(struct store *s, const struct addr *a, long long now,
                     int *what, struct buf *before, struct buf *after)
{
	struct fstore *f = (struct fstore *)s;
	char key[ADDR_TEXT_MAX], line[4096], digits[24];
	long long lineoff = 0, ts = 0, stale = now - (long long)s->cfg->clear_minutes * 60;
	size_t klen = addr_fmt_tcpserver(a, key), dlen;
	struct stat st;
	int lk, fd = -1, r = -1, found;

	if ((lk = take(f)) == -1)
		return -1;
	fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		store_fail(s, "unable to open %s", f->path);
		goto done;
	}
	if (fstat(fd, &st) == -1) {
		store_fail(s, "unable to stat %s", f->path);
		goto done;
	}
	if (st.st_size == 0)
		own_like_dir(fd, f->path);
	if (put_token(before, &st, (unsigned long long)st.st_size) == -1)
		goto oom;
	found = locate(f, fd, &st, key, klen, &lineoff);
	if (found == -1)
		goto done;
	if (found) {
		ssize_t n = pread(fd, line, sizeof line, lineoff);
		const char *nl, *tab = 0, *p;

		if (n <= 0 || !(nl = memchr(line, '\n', (size_t)n))) {
			store_fail(s, "%s: unreadable line at offset %lld", f->path, lineoff);
			goto done;
		}
		for (p = nl; p > line; --p)
			if (p[-1] == '\t') {
				tab = p - 1;
				break;
			}
		if (!tab) {
			store_fail(s, "%s: line at offset %lld has no time", f->path, lineoff);
			goto done;
		}
		for (p = tab + 1; p < nl && *p >= '0' && *p <= '9'; ++p)
			ts = ts * 10 + (*p - '0');
		if (ts == 0) {
			*what = STORE_PERSISTENT;
		} else {
			*what = ts < stale ? STORE_REVIVED : STORE_REFRESHED;
			dlen = fmt_ulong(digits, (unsigned long long)now);
			if (dlen == (size_t)(nl - tab - 1)) {
				if (pwrite(fd, digits, dlen, lineoff + (tab + 1 - line)) != (ssize_t)dlen) {
					store_fail(s, "unable to write %s", f->path);
					goto done;
				}
			} else {
				/* a time of another width (old or hand-written): rewrite */
				struct rewrite rw = { 0, 0, a, now, 0, 0, 0 };
				if (rewrite(f, &rw) == -1)
					goto done;
				if (stat(f->path, &st) == -1) {
					store_fail(s, "unable to stat %s", f->path);
					goto done;
				}
			}
		}
	} else {
		struct buf b = BUF_INIT;
		char last = '\n';

		/* a line cut short by a crash must not swallow this one */
		if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
			last = '\n';
		if ((last != '\n' && buf_putc(&b, '\n') == -1) || put_line(&b, s->cfg, a, now) == -1) {
			buf_free(&b);
			goto oom;
		}
		/* pwrite, not O_APPEND: Linux ignores pwrite offsets on O_APPEND */
		if (pwrite(fd, b.s, b.len, st.st_size) != (ssize_t)b.len) {
			/* leave no partial line behind */
			if (ftruncate(fd, st.st_size) == -1)
				{}
			buf_free(&b);
			store_fail(s, "unable to append to %s", f->path);
			goto done;
		}
		st.st_size += (off_t)b.len;
		buf_free(&b);
		*what = STORE_NEW;
	}
	if (put_token(after, &st, (unsigned long long)st.st_size) == -1)
		goto oom;
	r = 0;
	goto done;
oom:
	store_fail(s, "out of memory");
done:
	if (fd != -1)
		close(fd);
	lock_release(lk);
	return r;
}

static int fs_load(struct store *s, store_each_fn fn, void *ctx, struct buf *token)
{
	struct fstore *f = (struct fstore *)s;
	struct buf in = BUF_INIT;
	const char *x, *end, *nl;
	unsigned long long covered = 0;
	long long off;
	struct stat st;
	struct addr a;
	long long ts;
	size_t alen;
	int lk, fd, r = -1;

	if ((lk = take(f)) == -1)
		return -1;
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT) {
			lock_release(lk);
			return store_fail(s, "unable to open %s", f->path);
		}
		lock_release(lk);
		return put_token(token, 0, 0) == -1 ? store_fail(s, "out of memory") : 0;
	}
	if (fstat(fd, &st) == -1 || file_read_fd(fd, &in) == -1) {
		close(fd);
		lock_release(lk);
		buf_free(&in);
		return store_fail(s, "unable to read %s", f->path);
	}
	close(fd);
	/* the size read is the size the token names (we hold the lock) */
	st.st_size = (off_t)in.len;
	if (!read_index(f, &st, 0, 0, &covered, &off) || in.len - covered > INDEX_SLACK)
		write_index(f, in.s, in.len, (unsigned long long)st.st_ino);
	lock_release(lk);
	if (put_token(token, &st, in.len) == -1) {
		buf_free(&in);
		return store_fail(s, "out of memory");
	}
	for (x = in.s, end = in.s + in.len; x < end; x = nl + 1) {
		nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			nl = end;
		if (store_parse_line_text(x, (size_t)(nl - x), &a, &ts, &alen)
		    && fn(ctx, &a, x, alen, ts) == -1)
			goto done;
	}
	r = 0;
done:
	buf_free(&in);
	return r;
}

static int fs_token(struct store *s, struct buf *token)
{
	struct fstore *f = (struct fstore *)s;
	struct stat st;

	if (stat(f->path, &st) == -1) {
		if (errno != ENOENT)
			return store_fail(s, "unable to stat %s", f->path);
		return put_token(token, 0, 0) == -1 ? store_fail(s, "out of memory") : 0;
	}
	return put_token(token, &st, (unsigned long long)st.st_size) == -1 ? store_fail(s, "out of memory") : 0;
}

static long long expire_fn(void *ctx, const struct addr *a, long long ts)
{
	long long cutoff = *(long long *)ctx;

	(void)a;
	return ts != 0 && ts < cutoff ? -1 : ts;
}

/* A rewrite under the store's lock: expiry, set and remove. */
static int rewrite_locked(struct fstore *f, struct rewrite *rw)
{
	int lk, r;

	if ((lk = take(f)) == -1)
		return -1;
	r = rewrite(f, rw);
	lock_release(lk);
	return r;
}

static int fs_expire(struct store *s, long long cutoff, unsigned long *removed)
{
	struct rewrite rw = { expire_fn, &cutoff, 0, 0, 0, 0, 1 };
	int r = rewrite_locked((struct fstore *)s, &rw);

	*removed = rw.dropped;
	return r;
}

static int fs_set(struct store *s, const struct addr *a, long long ts)
{
	struct rewrite rw = { 0, 0, a, ts, 0, 0, 0 };

	return rewrite_locked((struct fstore *)s, &rw);
}

static int fs_remove(struct store *s, const struct addr *a, int *found)
{
	struct rewrite rw = { 0, 0, a, -1, 0, 0, 0 };
	int r = rewrite_locked((struct fstore *)s, &rw);

	*found = rw.found;
	return r;
}

static void fs_close(struct store *s)
{
	struct fstore *f = (struct fstore *)s;

	free(f->lockpath);
	free(f->indexpath);
	free(f);
}

static int fs_load_tail(struct store *s, const char *since, store_each_fn fn, void *ctx,
                        struct buf *token)
{
	struct fstore *f = (struct fstore *)s;
	unsigned long long ino, size, covered = 0;
	struct buf tail = BUF_INIT;
	const char *x, *end, *nl;
	struct stat st;
	struct addr a;
	long long ts, off;
	size_t alen;
	char *sp;
	ssize_t n;
	int lk, fd, r = 0;

	ino = strtoull(since, &sp, 10);
	if (*sp != ':')
		return 0;
	size = strtoull(sp + 1, &sp, 10);
	if (*sp)
		return 0;
	if ((lk = take(f)) == -1)
		return -1;
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		lock_release(lk);
		return 0;
	}
	/* the same file, only grown; and an index still close enough that the
	   next full load need not rewrite it (else that load does, now) */
	if (fstat(fd, &st) == -1 || (unsigned long long)st.st_ino != ino
	    || (unsigned long long)st.st_size < size
	    || !read_index(f, &st, 0, 0, &covered, &off)
	    || (unsigned long long)st.st_size - covered > INDEX_SLACK
	    || buf_ready(&tail, (size_t)((unsigned long long)st.st_size - size)) == -1)
		goto done;
	n = pread(fd, tail.s, (size_t)((unsigned long long)st.st_size - size), (off_t)size);
	if (n != (ssize_t)((unsigned long long)st.st_size - size))
		goto done;
	tail.len = (size_t)n;
	if (put_token(token, &st, (unsigned long long)st.st_size) == -1) {
		r = store_fail(s, "out of memory");
		goto done;
	}
	close(fd);
	fd = -1;
	lock_release(lk);
	lk = -1;
	for (x = tail.s, end = tail.s + tail.len; x < end; x = nl + 1) {
		nl = memchr(x, '\n', (size_t)(end - x));
		if (!nl)
			nl = end;
		if (store_parse_line_text(x, (size_t)(nl - x), &a, &ts, &alen)
		    && fn(ctx, &a, x, alen, ts) == -1) {
			r = -1;
			goto done;
		}
	}
	r = 1;
done:
	if (fd != -1)
		close(fd);
	if (lk != -1)
		lock_release(lk);
	buf_free(&tail);
	return r;
}

static const struct store_ops file_ops = {
	fs_record, fs_load, fs_token, fs_expire, fs_set, fs_remove, fs_close, fs_load_tail, 0,
};

static char *suffixed(const char *p, const char *suffix)
{
	size_t a = strlen(p), b = strlen(suffix);
	char *s = malloc(a + b + 1);

	if (s) {
		memcpy(s, p, a);
		memcpy(s + a, suffix, b + 1);
	}
	return s;
}

int store_file_open(const struct cfg *c, struct store **out)
{
	struct fstore *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	f->base.ops = &file_ops;
	f->base.cfg = c;
	f->base.lock_ms = STORE_LOCK_MS;
	f->path = c->db_path;
	f->lockpath = suffixed(c->db_path, ".lock");
	f->indexpath = suffixed(c->db_path, ".index");
	if (!f->lockpath || !f->indexpath) {
		fs_close(&f->base);
		return -1;
	}
	*out = &f->base;
	return 0;
}

/* follow.c: reads a growing log file line by line, as tail -F does.

   A line is handed out only once its newline has arrived; the bytes of an
   incomplete last line are kept and completed by the next read, so a line
   caught half-written ("rip=192.0.2.1" of "rip=192.0.2.17") is never
   parsed. The position kept is where the next line starts, with the
   file's identity: device, inode, and a hash of its first bytes (an inode
   can be reused, and copytruncate keeps it).

   Rotation by rename: when the name points to another inode, the old file
   stays open and is read to its end until it has been quiet for a while
   (the syslog daemon may write to it until it is told to reopen), and the
   new file is read from its start. Copytruncate: when the file is shorter
   than what was read, or its first bytes changed, it is read again from
   its start. After a restart, the saved position is taken up in the same
   file; if the file was rotated meanwhile, the old one is looked for by its
   inode in the same directory and finished first, then the new one is read
   from its start. Across restarts a file is known by its inode and its
   first bytes, not its device number, which may change with a reboot or a
   remount (device mapper, btrfs subvolumes). Without a saved position reading starts at the end of the
   file, at the start of its incomplete last line if it has one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "atomic.h"
#include "follow.h"

#define CHUNK 262144

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned long long fnv(const char *p, size_t n)
{
	unsigned long long h = 14695981039346656037ull;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

/* The hash of the first n bytes: 1, 0 if the file is shorter, -1 on error. */
static int head_hash(int fd, unsigned long long n, unsigned long long *h)
{
	char b[FOLLOW_HEAD];
	size_t got = 0;
	ssize_t r;

	if (n > sizeof b)
		n = sizeof b;
	while (got < n) {
		r = pread(fd, b + got, (size_t)n - got, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
		got += (size_t)r;
	}
	*h = fnv(b, got);
	return 1;
}

void follow_src_init(struct follow_src *s, int fd)
{
	struct buf empty = BUF_INIT;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->buf = empty;
}

void follow_src_close(struct follow_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	buf_free(&s->buf);
	follow_src_init(s, -1);
}

/* Hands out the complete lines in s->buf. 0 when none is left, 1 if fn
   asked to stop (the line it refused stays first in buf), -1 on error. */
static int split(struct follow_src *s, follow_line_fn fn, void *ctx)
{
	size_t start = 0, n, len;
	const char *nl, *line;
	int r = 0;

	while ((nl = memchr(s->buf.s + start, '\n', s->buf.len - start))) {
		line = s->buf.s + start;
		n = (size_t)(nl - line);
		if (s->pos.skip) {
			/* the rest of a line that is not handed out */
			s->pos.off += s->dropped + n + 1;
			s->pos.skip = 0;
			s->dropped = 0;
			start += n + 1;
			continue;
		}
		len = n && line[n - 1] == '\r' ? n - 1 : n;
		r = fn(ctx, line, len);
		if (r != 0)
			break;
		s->pos.off += n + 1;
		start += n + 1;
	}
	if (start) {
		memmove(s->buf.s, s->buf.s + start, s->buf.len - start);
		s->buf.len -= start;
	}
	return r < 0 ? -1 : r;
}

int follow_src_read(struct follow_src *s, follow_line_fn fn, void *ctx, size_t max,
                    int *eof, int *events)
{
	struct pollfd pf;
	size_t total = 0;
	ssize_t r;
	int sr;

	*eof = 0;
	if (s->fd < 0) {
		*eof = 1;
		return 0;
	}
	for (;;) {
		sr = s->buf.s ? split(s, fn, ctx) : 0;
		if (sr == -1)
			return -1;
		if (sr == 1)
			return 0; /* the caller wants to flush first */
		if (s->buf.len > FOLLOW_LINE_MAX) {
			/* no login line is that long: drop it up to its newline */
			if (!s->pos.skip)
				*events |= FOLLOW_LONGLINE;
			s->pos.skip = 1;
			s->dropped += s->buf.len;
			s->buf.len = 0;
		}
		if (total >= max)
			return 0;
		if (s->stream && total > 0) {
			pf.fd = s->fd;
			pf.events = POLLIN;
			pf.revents = 0;
			if (poll(&pf, 1, 0) <= 0) {
				*eof = 1;
				return 0;
			}
		}
		if (buf_ready(&s->buf, CHUNK) == -1)
			return -1;
		r = read(s->fd, s->buf.s + s->buf.len, CHUNK);
		if (r == -1) {
			if (errno == EINTR && !s->stream)
				continue;
			if (errno == EINTR || errno == EAGAIN) {
				*eof = 1; /* a signal: let the caller look at it */
				return 0;
			}
			return -1;
		}
		if (r == 0) {
			*eof = 1;
			s->ended = 1;
			return 0;
		}
		s->rd += (unsigned long long)r;
		total += (size_t)r;
		s->buf.len += (size_t)r;
	}
}

/* Takes up saved in s (same inode): 1, 0 if the file no longer fits it
   (shorter, or other first bytes), -1 on error. */
static int resume(struct follow_src *s, const struct follow_pos *saved, const struct stat *st)
{
	unsigned long long h;
	int r;

	if ((unsigned long long)st->st_size < saved->off)
		return 0;
	if (saved->headlen) {
		r = head_hash(s->fd, saved->headlen, &h);
		if (r != 1)
			return r;
		if (h != saved->headhash)
			return 0;
	}
	if (lseek(s->fd, (off_t)saved->off, SEEK_SET) == -1)
		return -1;
	s->pos = *saved;
	s->pos.dev = (unsigned long long)st->st_dev;
	s->pos.ino = (unsigned long long)st->st_ino;
	s->rd = saved->off;
	return 1;
}

/* Starts s at the end of the file: after its last newline. */
static int seek_end(struct follow_src *s, const struct stat *st)
{
	unsigned long long size = (unsigned long long)st->st_size, n, start;
	char *b;
	ssize_t r;
	size_t i;

	if (size == 0)
		return 0;
	n = size < FOLLOW_LINE_MAX ? size : FOLLOW_LINE_MAX;
	if (!(b = malloc((size_t)n)))
		return -1;
	r = pread(s->fd, b, (size_t)n, (off_t)(size - n));
	if (r != (ssize_t)n) {
		free(b);
		if (r >= 0)
			errno = EIO;
		return -1;
	}
	for (i = (size_t)n; i > 0 && b[i - 1] != '\n'; --i)
		;
	free(b);
	if (i > 0) {
		start = size - n + i;
	} else {
		start = size - n;
		/* inside a line longer than we look back: drop up to its end */
		s->pos.skip = start > 0;
	}
	if (lseek(s->fd, (off_t)start, SEEK_SET) == -1)
		return -1;
	s->pos.off = start;
	s->rd = start;
	return 0;
}

/* Looks for the file that had the saved inode (rotated while we were
   stopped) in the directory of path; sets f->old up at the saved position
   if its first bytes are still the saved ones. 1 if found, 0 if not. */
static int find_rotated(struct follow *f)
{
	char *dir, *slash;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, found = 0;

	if (!(dir = strdup(f->path)))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	d = opendir(slash ? dir : ".");
	free(dir);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		if (fstatat(dirfd(d), de->d_name, &st, 0) == -1 || !S_ISREG(st.st_mode)
		    || (unsigned long long)st.st_ino != f->saved.ino)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd == -1)
			continue;
		follow_src_init(&f->old, fd);
		if (fstat(fd, &st) == 0 && (unsigned long long)st.st_ino == f->saved.ino
		    && resume(&f->old, &f->saved, &st) == 1) {
			f->old.quiet_since = now_ms();
			found = 1;
		} else {
			follow_src_close(&f->old);
		}
	}
	closedir(d);
	return found;
}

enum { OPEN_FIRST, OPEN_APPEARED, OPEN_ROTATED };

/* Opens the file at path as cur; a missing file leaves cur.fd -1. */
static int open_cur(struct follow *f, int how)
{
	struct stat st;
	int fd, r;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			return -1;
		f->events |= FOLLOW_MISSING;
		return 0;
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	follow_src_init(&f->cur, fd);
	f->cur.pos.dev = (unsigned long long)st.st_dev;
	f->cur.pos.ino = (unsigned long long)st.st_ino;
	if (f->have_saved) {
		f->have_saved = 0;
		if (f->saved.ino == f->cur.pos.ino) {
			r = resume(&f->cur, &f->saved, &st);
			if (r == -1)
				return -1;
			f->events |= r ? FOLLOW_RESUMED : FOLLOW_TRUNCATED;
			return 0;
		}
		/* rotated while we were stopped: everything in the new file is new */
		r = find_rotated(f);
		if (r == -1)
			return -1;
		f->events |= FOLLOW_ROTATED | (r ? FOLLOW_RESUMED_OLD : 0);
		return 0;
	}
	if (how == OPEN_FIRST && !f->from_start)
		return seek_end(&f->cur, &st);
	if (how == OPEN_APPEARED)
		f->events |= FOLLOW_OPENED;
	return 0;
}

int follow_open(struct follow *f, const char *path, const struct follow_pos *saved, int from_start)
{
	memset(f, 0, sizeof *f);
	follow_src_init(&f->cur, -1);
	follow_src_init(&f->old, -1);
	if (!(f->path = strdup(path)))
		return -1;
	f->from_start = from_start;
	if (saved) {
		f->saved = *saved;
		f->have_saved = 1;
	}
	if (open_cur(f, OPEN_FIRST) == -1) {
		int e = errno;
		follow_close(f);
		errno = e;
		return -1;
	}
	return 0;
}

int follow_read(struct follow *f, follow_line_fn fn, void *ctx, size_t max, int *more)
{
	unsigned long long before;
	int eof;

	*more = 0;
	if (f->old.fd >= 0) {
		before = f->old.rd;
		if (follow_src_read(&f->old, fn, ctx, max, &eof, &f->events) == -1)
			return -1;
		if (f->old.rd != before)
			f->old.quiet_since = now_ms();
		if (!eof) {
			*more = 1;
			return 0;
		}
	}
	if (follow_src_read(&f->cur, fn, ctx, max, &eof, &f->events) == -1)
		return -1;
	*more = !eof;
	return 0;
}

static void finish_old(struct follow *f)
{
	if (f->old.buf.len || f->old.pos.skip)
		f->events |= FOLLOW_DROPPED;
	follow_src_close(&f->old);
}

/* The same file: 1 if it was truncated or rewritten (then read from 0). */
static int check_same(struct follow *f, const struct stat *st)
{
	struct follow_src *s = &f->cur;
	unsigned long long h;
	int r = 1;

	if ((unsigned long long)st->st_size >= s->rd && s->pos.headlen) {
		r = head_hash(s->fd, s->pos.headlen, &h);
		if (r == -1)
			return -1;
		r = r == 0 || h != s->pos.headhash;
	} else if ((unsigned long long)st->st_size >= s->rd) {
		r = 0;
	}
	if (!r) {
		/* extend the identifying head as the file grows */
		if (s->pos.headlen < FOLLOW_HEAD && s->pos.off > s->pos.headlen) {
			unsigned long long n = s->pos.off < FOLLOW_HEAD ? s->pos.off : FOLLOW_HEAD;
			if (head_hash(s->fd, n, &h) == 1) {
				s->pos.headlen = n;
				s->pos.headhash = h;
			}
		}
		return 0;
	}
	if (lseek(s->fd, 0, SEEK_SET) == -1)
		return -1;
	if (s->buf.len)
		f->events |= FOLLOW_DROPPED;
	s->buf.len = 0;
	s->rd = 0;
	s->dropped = 0;
	s->pos.off = 0;
	s->pos.skip = 0;
	s->pos.headlen = 0;
	s->pos.headhash = 0;
	f->events |= FOLLOW_TRUNCATED;
	return 1;
}

int follow_check(struct follow *f)
{
	struct stat st;

	if (f->old.fd >= 0 && now_ms() - f->old.quiet_since >= FOLLOW_DRAIN_MS)
		finish_old(f);
	if (f->cur.fd < 0) {
		if (open_cur(f, OPEN_APPEARED) == -1)
			return -1;
		return f->cur.fd >= 0;
	}
	if (stat(f->path, &st) == -1) {
		/* the name is gone for now: go on with the file we have */
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	}
	if ((unsigned long long)st.st_dev != f->cur.pos.dev
	    || (unsigned long long)st.st_ino != f->cur.pos.ino) {
		if (f->old.fd >= 0)
			finish_old(f);
		f->old = f->cur;
		f->old.quiet_since = now_ms();
		follow_src_init(&f->cur, -1);
		f->events |= FOLLOW_ROTATED;
		if (open_cur(f, OPEN_ROTATED) == -1)
			return -1;
		return 1;
	}
	if (fstat(f->cur.fd, &st) == -1)
		return -1;
	return check_same(f, &st);
}

void follow_close(struct follow *f)
{
	follow_src_close(&f->cur);
	follow_src_close(&f->old);
	free(f->path);
	f->path = 0;
}

/* ---- the state file ---- */

#define STATE_MAGIC "roaming-logwatch-state 1\n"

int follow_state_save(const char *state, const char *path, const struct follow_pos *pos)
{
	struct buf b = BUF_INIT;
	const unsigned long long v[6] = { pos->dev, pos->ino, pos->off, (unsigned long long)(pos->skip != 0),
	                                  pos->headlen, pos->headhash };
	int r = -1, i;

	if (strchr(path, '\n')) {
		errno = EINVAL;
		return -1;
	}
	if (buf_puts(&b, STATE_MAGIC) == -1 || buf_puts(&b, "path ") == -1 || buf_puts(&b, path) == -1
	    || buf_puts(&b, "\npos") == -1)
		goto done;
	for (i = 0; i < 6; ++i)
		if (buf_putc(&b, ' ') == -1 || buf_putulong(&b, v[i]) == -1)
			goto done;
	if (buf_putc(&b, '\n') == -1)
		goto done;
	r = atomic_replace(state, b.s, b.len, 0644);
done:
	buf_free(&b);
	return r;
}

int follow_state_load(const char *state, const char *path, struct follow_pos *pos)
{
	struct buf b = BUF_INIT;
	unsigned long long v[6];
	const char *p, *e, *nl;
	size_t plen = strlen(path), ml = sizeof STATE_MAGIC - 1;
	int i, r = -1;

	if (file_read(state, &b) == -1) {
		int e2 = errno;
		buf_free(&b);
		errno = e2;
		return e2 == ENOENT ? 0 : -1;
	}
	errno = EINVAL;
	p = b.s;
	e = b.s + b.len;
	if (b.len < ml || memcmp(p, STATE_MAGIC, ml) != 0)
		goto done;
	p += ml;
	if (!(nl = memchr(p, '\n', (size_t)(e - p))) || (size_t)(e - p) < 5 || memcmp(p, "path ", 5) != 0)
		goto done;
	if ((size_t)(nl - p - 5) != plen || memcmp(p + 5, path, plen) != 0) {
		r = 0; /* another log file: start afresh */
		goto done;
	}
	p = nl + 1;
	if ((size_t)(e - p) < 3 || memcmp(p, "pos", 3) != 0)
		goto done;
	p += 3;
	for (i = 0; i < 6; ++i) {
		unsigned long long x = 0;
		const char *d;

		if (p >= e || *p++ != ' ')
			goto done;
		for (d = p; p < e && *p >= '0' && *p <= '9'; ++p) {
			if (x > (~0ull - 9) / 10)
				goto done;
			x = x * 10 + (unsigned long long)(*p - '0');
		}
		if (p == d)
			goto done;
		v[i] = x;
	}
	if (p + 1 != e || *p != '\n' || v[3] > 1 || v[4] > FOLLOW_HEAD)
		goto done;
	pos->dev = v[0];
	pos->ino = v[1];
	pos->off = v[2];
	pos->skip = (int)v[3];
	pos->headlen = v[4];
	pos->headhash = v[5];
	r = 1;
done:
	buf_free(&b);
	return r;
}

/* atomic.c: temp file in the same directory, write, fsync, close, rename;
   the temp file is removed on every error. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "atomic.h"

static unsigned long atomic_seq;

static void atomic_clear(struct atomic *a)
{
	buf_free(&a->tmp);
	buf_free(&a->path);
	a->fd = -1;
}

int atomic_begin(struct atomic *a, const char *path, const char *tmp, mode_t mode)
{
	struct buf t = BUF_INIT, p = BUF_INIT;
	int fd = -1, tries;

	a->fd = -1;
	a->tmp = t;
	a->path = p;
	a->named = tmp != 0;
	if (buf_puts(&a->path, path) == -1 || buf_terminate(&a->path) == -1)
		goto bad;
	if (tmp) {
		if (buf_puts(&a->tmp, tmp) == -1 || buf_terminate(&a->tmp) == -1)
			goto bad;
		fd = open(a->tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
		if (fd == -1)
			goto bad;
	} else {
		/* path.tmp.PID.SEQ: unique per process, O_EXCL against leftovers. */
		for (tries = 0; tries < 100; ++tries) {
			a->tmp.len = 0;
			if (buf_puts(&a->tmp, path) == -1 || buf_puts(&a->tmp, ".tmp.") == -1
			    || buf_putulong(&a->tmp, (unsigned long long)getpid()) == -1
			    || buf_putc(&a->tmp, '.') == -1
			    || buf_putulong(&a->tmp, ++atomic_seq) == -1
			    || buf_terminate(&a->tmp) == -1)
				goto bad;
			fd = open(a->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
			if (fd != -1 || errno != EEXIST)
				break;
		}
		if (fd == -1)
			goto bad;
	}
	a->fd = fd;
	return 0;
bad:
	atomic_clear(a);
	return -1;
}

int atomic_write(struct atomic *a, const void *p, size_t n)
{
	return file_write_all(a->fd, p, n);
}

void atomic_abort(struct atomic *a)
{
	int e = errno;

	if (a->fd != -1)
		close(a->fd);
	if (a->tmp.s)
		unlink(a->tmp.s);
	atomic_clear(a);
	errno = e;
}

int atomic_commit(struct atomic *a)
{
	int fd = a->fd;

	if (fsync(fd) == -1)
		goto bad;
	a->fd = -1;
	if (close(fd) == -1) /* NFS reports write errors here */
		goto bad;
	if (rename(a->tmp.s, a->path.s) == -1)
		goto bad;
	atomic_clear(a);
	return 0;
bad:
	atomic_abort(a);
	return -1;
}

int atomic_replace(const char *path, const void *p, size_t n, mode_t mode)
{
	struct atomic a;

	if (atomic_begin(&a, path, 0, mode) == -1)
		return -1;
	if (atomic_write(&a, p, n) == -1) {
		atomic_abort(&a);
		return -1;
	}
	return atomic_commit(&a);
}

int file_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int file_read_fd(int fd, struct buf *b)
{
	struct stat st;
	off_t pos;
	ssize_t r;
	int sized = 0;

	/* a regular file's size says how much room to make at once: one
	   allocation instead of a doubling series (and half the peak memory);
	   the byte to spare lets the read that sees the end need no more */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
	    && (pos = lseek(fd, 0, SEEK_CUR)) != -1 && pos < st.st_size
	    && (unsigned long long)(st.st_size - pos) < (size_t)-1 / 2) {
		if (buf_ready(b, (size_t)(st.st_size - pos) + 1) == -1)
			return -1;
		sized = 1;
	}
	for (;;) {
		if ((b->cap <= b->len + 1 || (!sized && b->cap < b->len + 4097))
		    && buf_ready(b, 65536) == -1)
			return -1;
		r = read(fd, b->s + b->len, b->cap - b->len - 1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		b->len += (size_t)r;
	}
}

int file_read(const char *path, struct buf *b)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = file_read_fd(fd, b);
	if (r == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

int atomic_sweep(const char *path, long min_age)
{
	struct buf dir = BUF_INIT, full = BUF_INIT;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	struct dirent *de;
	struct stat st;
	time_t now = time(0);
	DIR *d;
	int n = 0;

	if ((slash ? buf_put(&dir, path, slash == path ? 1 : (size_t)(slash - path))
	           : buf_puts(&dir, ".")) == -1 || buf_terminate(&dir) == -1) {
		buf_free(&dir);
		return -1;
	}
	d = opendir(dir.s);
	if (!d) {
		buf_free(&dir);
		return -1;
	}
	while ((de = readdir(d))) {
		const char *p = de->d_name;
		char *end;
		long pid;

		if (strncmp(p, base, blen) != 0 || strncmp(p + blen, ".tmp.", 5) != 0)
			continue;
		pid = strtol(p + blen + 5, &end, 10);
		if (pid <= 0 || *end != '.' || end[1] < '0' || end[1] > '9')
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* its writer may still be at work */
		full.len = 0;
		if (buf_puts(&full, dir.s) == -1 || buf_putc(&full, '/') == -1
		    || buf_puts(&full, p) == -1 || buf_terminate(&full) == -1)
			break;
		if (lstat(full.s, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= min_age
		    && unlink(full.s) == 0)
			++n;
	}
	closedir(d);
	buf_free(&dir);
	buf_free(&full);
	return n;
}

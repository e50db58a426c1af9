/* atomic.h: the one way a file that readers may see is replaced:
   temp file in the same directory, write, fsync, close, rename. */
#ifndef ATOMIC_H
#define ATOMIC_H

#include <sys/types.h>
#include "buf.h"

struct atomic {
	int fd;
	struct buf tmp;   /* temp file name */
	struct buf path;  /* final name */
	int named;        /* temp name was given by the caller */
};

/* Creates the temp file. tmp may be 0: a unique name beside path is chosen
   (created with O_EXCL); a given tmp is truncated, as tcprules does. mode
   passes through the umask. Returns 0, or -1 with errno; nothing is left. */
int atomic_begin(struct atomic *a, const char *path, const char *tmp, mode_t mode);
/* Writes all of p; -1 with errno on failure (the caller then aborts). */
int atomic_write(struct atomic *a, const void *p, size_t n);
/* fsync, close, rename. Returns 0, or -1 with errno after removing the temp. */
int atomic_commit(struct atomic *a);
/* Closes and removes the temp file; errno is preserved. */
void atomic_abort(struct atomic *a);
/* Whole-file convenience: path gets exactly p[0..n). */
int atomic_replace(const char *path, const void *p, size_t n, mode_t mode);

/* Removes temp files atomic_begin left beside path (path.tmp.PID.SEQ) when
   their process is gone and they are older than min_age seconds: what a
   process killed mid-write leaves. Returns how many it removed, or -1. */
int atomic_sweep(const char *path, long min_age);

/* Reads all of fd from its current offset into b (appending). */
int file_read_fd(int fd, struct buf *b);
/* Reads the whole file; -1 with errno (ENOENT if missing). */
int file_read(const char *path, struct buf *b);
/* Writes all of p to fd, retrying short writes and EINTR. */
int file_write_all(int fd, const void *p, size_t n);

#endif

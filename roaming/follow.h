/* follow.h: reads a growing log file line by line, as tail -F does: across
   rotation by rename (the old file is finished first) and by copytruncate,
   never handing out a line before its newline has arrived, and resuming
   after a restart exactly where it stopped. */
#ifndef FOLLOW_H
#define FOLLOW_H

#include <stddef.h>
#include "buf.h"

#define FOLLOW_HEAD 256          /* bytes at the start of a file that identify it */
#define FOLLOW_LINE_MAX 65536    /* longer lines are skipped, never split */
#define FOLLOW_DRAIN_MS 2000     /* a rotated file is read until quiet this long */

/* Where reading stands in one file; a restart needs nothing else. */
struct follow_pos {
	unsigned long long dev, ino; /* after a restart only ino is compared */
	unsigned long long off;      /* where the next line starts */
	int skip;                    /* off is inside a line: drop up to its newline */
	unsigned long long headlen;  /* bytes at the file's start covered by headhash */
	unsigned long long headhash;
};

/* One open file (or pipe) and the bytes of its incomplete last line. */
struct follow_src {
	int fd;
	int stream;                  /* a pipe: read only what is ready */
	int ended;                   /* read() returned 0 (for a stream: the end) */
	struct follow_pos pos;
	unsigned long long rd;       /* bytes read from fd */
	unsigned long long dropped;  /* bytes of an overlong line already dropped */
	struct buf buf;              /* the incomplete last line */
	long long quiet_since;       /* a rotated file: when it last grew (ms) */
};

enum {
	FOLLOW_OPENED = 1,       /* the file appeared and is read from its start */
	FOLLOW_ROTATED = 2,      /* the name points to a new file; the old one is finished first */
	FOLLOW_TRUNCATED = 4,    /* the file shrank or was rewritten: read again from its start */
	FOLLOW_RESUMED = 8,      /* the saved position was taken up */
	FOLLOW_RESUMED_OLD = 16, /* the saved file was rotated while stopped: its rest is read first */
	FOLLOW_DROPPED = 32,     /* an incomplete last line of a finished file was dropped */
	FOLLOW_LONGLINE = 64,    /* a line longer than FOLLOW_LINE_MAX was skipped */
	FOLLOW_MISSING = 128     /* the file does not exist (yet) */
};

struct follow {
	char *path;
	struct follow_src cur;       /* the file at path */
	struct follow_src old;       /* a rotated file being finished, fd -1 if none */
	struct follow_pos saved;
	int have_saved;              /* saved is still to be taken up */
	int from_start;
	int events;                  /* FOLLOW_* bits; the caller clears them */
};

/* Receives each complete line, without its newline (and a '\r' before it).
   Returns 0; 1 to stop before this line (it is handed out again by the
   next read: a batch is full); or -1 to stop reading (errno set). */
typedef int (*follow_line_fn)(void *ctx, const char *line, size_t len);

void follow_src_init(struct follow_src *s, int fd);
/* Hands out the complete lines s holds, then reads from s and hands out
   lines until about max bytes were read, or nothing more is there (*eof
   set; for a stream: nothing ready after the first read), or fn asked to
   stop. Returns 0 or -1 with errno. */
int follow_src_read(struct follow_src *s, follow_line_fn fn, void *ctx, size_t max,
                    int *eof, int *events);
void follow_src_close(struct follow_src *s);

/* Starts following path. saved: a position from follow_state_load, or 0:
   then reading starts at the end of the file (at its start if from_start).
   A missing file is waited for. Returns 0 or -1 with errno. */
int follow_open(struct follow *f, const char *path, const struct follow_pos *saved, int from_start);
/* Hands out the complete lines available now, reading at most about max
   bytes; *more is set when it stopped before the end. Returns 0 or -1. */
int follow_read(struct follow *f, follow_line_fn fn, void *ctx, size_t max, int *more);
/* At the end of the data: notices rotation, truncation, a file that
   appeared, and closes a finished rotated file. Returns 1 if reading
   should go on at once (another file or position), 0 if not, -1 on error. */
int follow_check(struct follow *f);
void follow_close(struct follow *f);

/* The state file (written through lib/atomic.c): the log path and the
   position in it. load: 1 and *pos if the file is for path; 0 if there is
   none or it is for another path; -1 with errno (EINVAL if malformed). */
int follow_state_load(const char *state, const char *path, struct follow_pos *pos);
int follow_state_save(const char *state, const char *path, const struct follow_pos *pos);

#endif

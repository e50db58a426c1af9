/* lock.h: exclusive fcntl locks on a lock file, with a deadline. */
#ifndef LOCK_H
#define LOCK_H

/* Opens (creating with mode) path and locks it exclusively, waiting at most
   timeout_ms (0: do not wait). Returns the fd, or -1 with errno (EAGAIN when
   the lock stayed busy). */
int lock_take(const char *path, int mode, long timeout_ms);
/* Releases the lock (closes fd); errno is preserved. */
void lock_release(int fd);

#endif

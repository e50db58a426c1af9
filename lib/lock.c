/* lock.c: exclusive fcntl locks on a lock file, with a deadline. fcntl
   locks vanish with their process, so a killed holder never wedges others. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lock.h"

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define LOCK_MAX_WAIT_US 51200

/* A tiny LCG: only to spread the waiters' polls apart. */
static unsigned jitter(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

int lock_take(const char *path, int mode, long timeout_ms)
{
	struct flock fl;
	long long deadline = now_us() + (long long)timeout_ms * 1000;
	long wait_us = 50;
	unsigned seed = (unsigned)getpid() ^ (unsigned)deadline;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	/* anyone who can open a lock file can hold a lock on it and stall its
	   users: narrow a file left more open than asked (an older install) */
	{
		struct stat st;
		if (fstat(fd, &st) == 0 && (st.st_mode & 0777 & ~(mode_t)mode))
			fchmod(fd, (mode_t)mode & 0777);
	}
	for (;;) {
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = 0;
		fl.l_len = 0;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return fd;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			break;
		if (now_us() >= deadline) {
			errno = EAGAIN;
			break;
		}
		/* Poll with backoff: a blocking F_SETLKW cannot honour a deadline
		   without signals, which a library must not take over. The cap is
		   high and the sleeps jittered because hundreds of waiters polling
		   every few milliseconds starve the holder they wait for. */
		{
			long long left = deadline - now_us();
			long us = wait_us / 2 + (long)(jitter(&seed) % (unsigned)(wait_us / 2 + 1));
			struct timespec d;

			if (us > left)
				us = left > 0 ? (long)left : 1;
			d.tv_sec = us / 1000000;
			d.tv_nsec = us % 1000000 * 1000;
			nanosleep(&d, 0);
		}
		if (wait_us < LOCK_MAX_WAIT_US)
			wait_us *= 2;
	}
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

void lock_release(int fd)
{
	int e = errno;

	if (fd != -1)
		close(fd);
	errno = e;
}

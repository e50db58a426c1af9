/* own.c: files roaming creates belong to the owner of their directory. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "own.h"

int own_like_dir(int fd, const char *path)
{
	struct buf d = BUF_INIT;
	const char *slash;
	struct stat st, fst;
	int r = 0;

	if (geteuid() != 0)
		return 0;
	slash = strrchr(path, '/');
	if (!slash)
		r = buf_puts(&d, ".");
	else
		r = buf_put(&d, path, slash == path ? 1 : (size_t)(slash - path));
	if (r == -1 || buf_terminate(&d) == -1) {
		buf_free(&d);
		return -1;
	}
	if (stat(d.s, &st) == 0 && fstat(fd, &fst) == 0
	    && (fst.st_uid != st.st_uid || fst.st_gid != st.st_gid))
		r = fchown(fd, st.st_uid, st.st_gid);
	buf_free(&d);
	return r;
}

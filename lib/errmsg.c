/* errmsg.c: library errors as a message in the caller's buffer plus errno. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "errmsg.h"

int err_set(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

int err_sys(char *err, size_t errlen, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (e && n + 3 < errlen)
		snprintf(err + n, errlen - n, ": %s", strerror(e));
	errno = e ? e : EIO;
	return -1;
}

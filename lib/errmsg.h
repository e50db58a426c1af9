/* errmsg.h: library errors as a message in the caller's buffer plus errno,
   so programs choose how to report them. */
#ifndef ERRMSG_H
#define ERRMSG_H

#include <stddef.h>

/* Formats the message into err, sets errno to e; returns -1. */
int err_set(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same for a failed system call: appends ": strerror(errno)" when
   errno is set, and keeps errno (EIO if it was 0); returns -1. */
int err_sys(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

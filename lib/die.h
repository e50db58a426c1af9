/* die.h: messages and exits for programs (never used by library code). */
#ifndef DIE_H
#define DIE_H

extern const char *progname;

/* "progname: fatal: MESSAGE" on stderr, then exit(code). */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* The same, with ": strerror(errno)" appended. */
void die_sys(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* "progname: warning: MESSAGE" on stderr. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

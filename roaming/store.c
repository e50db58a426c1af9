/* store.c: opens the store the settings name; shared error reporting. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "store.h"

int store_fail(struct store *s, const char *fmt, ...)
{
	int e = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	n = strlen(s->err);
	if (e && n < sizeof s->err - 3)
		snprintf(s->err + n, sizeof s->err - n, ": %s", strerror(e));
	errno = e ? e : EIO;
	return -1;
}

int store_open(const struct cfg *c, struct store **out, char *err, size_t errlen)
{
	if (c->db_kind == CFG_DB_MYSQL)
		return store_mysql_open(c, out, err, errlen);
	if (store_file_open(c, out) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

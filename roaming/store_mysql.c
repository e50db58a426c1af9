/* store_mysql.c: the MySQL relay table store (vpopmail's schema). */
#include <errno.h>
#include <stdio.h>
#include "store.h"

int store_mysql_open(const struct cfg *c, struct store **out, char *err, size_t errlen)
{
	(void)c;
	(void)out;
	snprintf(err, errlen, "the MySQL store is not available in this build yet");
	errno = ENOSYS;
	return -1;
}

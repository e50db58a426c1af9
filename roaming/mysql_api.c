/* mysql_api.c: MariaDB Connector/C, loaded with dlopen when a mysql: store
   is opened (see mysql_api.h for why). */
#define MYSQL_API_IMPL
#include "config.h"
#if ROAMING_HAVE_MYSQL
#include <dlfcn.h>
#include <stdio.h>
#include "mysql_api.h"

struct mysql_api mysql_api;
static int loaded;

int mysql_api_load(char *err, size_t errlen)
{
	void *h;

	if (loaded)
		return 0;
	/* the library this roaming was configured against, by its soname */
	h = dlopen(ROAMING_MYSQL_SONAME, RTLD_LAZY | RTLD_LOCAL); /* bind on first call, as ld.so does */
	if (!h) {
		snprintf(err, errlen, "unable to load the MySQL client library %s: %s",
		         ROAMING_MYSQL_SONAME, dlerror());
		return -1;
	}
#define MYSQL_API_SYM(f) \
	if (!(*(void **)&mysql_api.p_##f = dlsym(h, #f))) { \
		snprintf(err, errlen, "%s has no %s", ROAMING_MYSQL_SONAME, #f); \
		return -1; \
	}
	MYSQL_API_FUNCS(MYSQL_API_SYM)
#undef MYSQL_API_SYM
	loaded = 1;
	return 0;
}
#endif

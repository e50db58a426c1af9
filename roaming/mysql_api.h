/* mysql_api.h: MariaDB Connector/C, loaded with dlopen when a mysql: store
   is opened, so that the login programs of a site on the open-smtp file do
   not load it (and OpenSSL, which it pulls in) at every start: that loading
   alone was three times the cost of starting a program that does nothing.
   Code using it includes this instead of <mysql.h> and calls mysql_*() as
   usual; the names below turn those calls into calls through the table. */
#ifndef MYSQL_API_H
#define MYSQL_API_H

#include <stddef.h>
#include <mysql.h>

#define MYSQL_API_FUNCS(X) \
	X(mysql_close) X(mysql_errno) X(mysql_error) X(mysql_init) X(mysql_options) \
	X(mysql_real_connect) X(mysql_server_end) X(mysql_stmt_affected_rows) \
	X(mysql_stmt_bind_param) X(mysql_stmt_bind_result) X(mysql_stmt_close) \
	X(mysql_stmt_errno) X(mysql_stmt_error) X(mysql_stmt_execute) X(mysql_stmt_fetch) \
	X(mysql_stmt_init) X(mysql_stmt_insert_id) X(mysql_stmt_prepare) \
	X(mysql_stmt_warning_count)

struct mysql_api {
#define MYSQL_API_PTR(f) __typeof__(&f) p_##f;
	MYSQL_API_FUNCS(MYSQL_API_PTR)
#undef MYSQL_API_PTR
};

extern struct mysql_api mysql_api;

/* Loads the library once. Returns 0, or -1 with a message in err. */
int mysql_api_load(char *err, size_t errlen);

#ifndef MYSQL_API_IMPL
#define mysql_close (mysql_api.p_mysql_close)
#define mysql_errno (mysql_api.p_mysql_errno)
#define mysql_error (mysql_api.p_mysql_error)
#define mysql_init (mysql_api.p_mysql_init)
#define mysql_options (mysql_api.p_mysql_options)
#define mysql_real_connect (mysql_api.p_mysql_real_connect)
#define mysql_server_end (mysql_api.p_mysql_server_end)
#define mysql_stmt_affected_rows (mysql_api.p_mysql_stmt_affected_rows)
#define mysql_stmt_bind_param (mysql_api.p_mysql_stmt_bind_param)
#define mysql_stmt_bind_result (mysql_api.p_mysql_stmt_bind_result)
#define mysql_stmt_close (mysql_api.p_mysql_stmt_close)
#define mysql_stmt_errno (mysql_api.p_mysql_stmt_errno)
#define mysql_stmt_error (mysql_api.p_mysql_stmt_error)
#define mysql_stmt_execute (mysql_api.p_mysql_stmt_execute)
#define mysql_stmt_fetch (mysql_api.p_mysql_stmt_fetch)
#define mysql_stmt_init (mysql_api.p_mysql_stmt_init)
#define mysql_stmt_insert_id (mysql_api.p_mysql_stmt_insert_id)
#define mysql_stmt_prepare (mysql_api.p_mysql_stmt_prepare)
#define mysql_stmt_warning_count (mysql_api.p_mysql_stmt_warning_count)
#endif

#endif

/* mysql_conf.h: roaming's own settings in the MySQL option file that
   ROAMING_DB=mysql:PATH names (the table, the failover list, timeouts). */
#ifndef MYSQL_CONF_H
#define MYSQL_CONF_H

#include <stddef.h>

#define MYSQLCONF_TABLE_MAX 64   /* MySQL's identifier limit */
#define MYSQLCONF_SERVERS_MAX 16

struct mysqlconf_server {
	char host[256];      /* "" for a unix socket */
	unsigned port;       /* 0: the option file's port, or 3306 */
	char socket[108];    /* "" for TCP */
};

struct mysqlconf {
	char table[MYSQLCONF_TABLE_MAX + 1];
	struct mysqlconf_server servers[MYSQLCONF_SERVERS_MAX];
	size_t nservers;     /* 0: the host/port/socket of [client] and [roaming] */
	unsigned connect_timeout;  /* seconds, per server */
	unsigned read_timeout;     /* seconds, per network read */
	unsigned write_timeout;
	unsigned failover_timeout; /* no further server is tried after this */
	unsigned refresh_delay;    /* seconds a spooled refresh may wait (0: none) */
};

/* Reads the roaming-* keys of the [roaming] group of path. Refuses a file
   that is not a regular file or that its group or others may access
   (it holds a password). Every other key is left to the client library.
   Returns 0, or -1 with errno and a message in err. */
int mysqlconf_load(const char *path, struct mysqlconf *o, char *err, size_t errlen);
/* 1 if s is a plain identifier roaming accepts as a table name. */
int mysqlconf_identifier(const char *s);

#endif

/* cfg.h: roaming's settings: configure's defaults, then the config file
   ($ROAMING_CONF or $sysconfdir/roaming.conf), then the environment. */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include "buf.h"

enum { CFG_DB_FILE = 1, CFG_DB_MYSQL };

struct cfg {
	const char *tcp_rules;     /* tcp.smtp */
	const char *cdb;           /* tcp.smtp.cdb */
	const char *rules_lock;    /* tcp.smtp.lock: serializes rebuilds */
	const char *state;         /* tcp.smtp.state: what the cdb was built from */
	const char *live;          /* tcp.smtp.live: the live entries the last MySQL build saw */
	const char *spool;         /* tcp.smtp.spool: refreshes not yet written to MySQL */
	int db_kind;
	const char *db_path;       /* open-smtp file, or MySQL option file */
	unsigned long clear_minutes;
	const char *relay_env;     /* as written in open-smtp lines */
	struct buf relay_data;     /* the same as cdb data items */
	const char *postfix_map;   /* "" when not exporting */
	const char *postfix_map_cdb;
	const char *postfix_action;/* "TIME" writes the login time */
	const char *logfile;
	const char *conf_path;     /* the config file that was read, or "" */
	size_t nstr;               /* copies of the strings above */
	char **strs;
};

/* Loads the settings. Returns 0, or -1 with a message naming the key in err
   (errno EINVAL for a bad value, or the system error). */
int cfg_load(struct cfg *c, char *err, size_t errlen);
void cfg_free(struct cfg *c);
/* A short fingerprint of the settings that shape the outputs. */
unsigned long long cfg_fingerprint(const struct cfg *c);

#endif

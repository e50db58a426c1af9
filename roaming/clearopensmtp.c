/* clearopensmtp.c: expires stale roaming entries and rebuilds the outputs
   if anything changed; run from cron.

   clearopensmtp [MINUTES]

   Entries older than MINUTES (default ROAMING_CLEAR_MINUTES) go; persistent
   ones (time 0) stay. It takes the same locks as logins, so a login that
   refreshes an entry meanwhile is never lost. It also rebuilds when the
   outputs are behind for another reason (tcp.smtp edited, a rebuild cut
   short), so cron repairs what a crash left. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cfg.h"
#include "atomic.h"
#include "die.h"
#include "log.h"
#include "rebuild.h"
#include "store.h"

int main(int argc, char **argv)
{
	char err[600], *end;
	struct cfg cfg;
	struct store *st;
	struct rebuild_stats stats;
	unsigned long minutes, removed;
	int verbose = 0, i = 1;

	progname = "clearopensmtp";
	log_init("clearopensmtp");
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		++i;
	}
	if (argc > i + 1)
		die(100, "usage: clearopensmtp [-v] [MINUTES]");
	if (cfg_load(&cfg, err, sizeof err) == -1)
		die(errno == EINVAL ? 100 : 111, "%s", err);
	minutes = cfg.clear_minutes;
	if (argc > i) {
		errno = 0;
		minutes = strtoul(argv[i], &end, 10);
		if (errno || !argv[i][0] || *end || strspn(argv[i], "0123456789") != strlen(argv[i])
		    || minutes == 0 || minutes > 5256000)
			die(100, "MINUTES must be a whole number from 1 to 5256000: %s", argv[i]);
	}
	if (store_open(&cfg, &st, err, sizeof err) == -1)
		die(111, "%s", err);
	if (rebuild_expire(&cfg, st, (long long)time(0) - (long long)minutes * 60, &removed,
	                   &stats, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "%s", err);
		die(111, "%s", err);
	}
	/* what writers killed mid-write left behind (a crash, kill -9) */
	{
		const char *paths[6];
		int j, n = 0, k;

		paths[0] = cfg.cdb;
		paths[1] = cfg.state;
		paths[2] = cfg.postfix_map[0] ? cfg.postfix_map_cdb : 0;
		paths[3] = cfg.db_kind == CFG_DB_FILE ? cfg.db_path : 0;
		paths[4] = cfg.live;
		paths[5] = cfg.spool;
		for (j = 0; j < 6; ++j)
			if (paths[j] && (k = atomic_sweep(paths[j], 60)) > 0)
				n += k;
		if (cfg.db_kind == CFG_DB_FILE) {
			struct buf idx = BUF_INIT;
			if (buf_puts(&idx, cfg.db_path) == 0 && buf_puts(&idx, ".index") == 0
			    && buf_terminate(&idx) == 0 && (k = atomic_sweep(idx.s, 60)) > 0)
				n += k;
			buf_free(&idx);
		}
		if (n)
			log_msg(LOG_INFO, "removed %d temp files left by killed writers", n);
	}
	if (removed || stats.rebuilt)
		log_msg(LOG_INFO, "removed %lu stale entries%s", removed, stats.rebuilt ? ", rebuilt" : "");
	if (verbose)
		printf("removed %lu; %s\n", removed, stats.rebuilt ? "rebuilt" : "outputs were current");
	st->ops->close(st);
	cfg_free(&cfg);
	return 0;
}

/* roamingctl.c: the administrator's tool: list, add, remove, rebuild,
   check an address, show the settings, create the Postfix map.

   roamingctl list
   roamingctl add [-p] ADDRESS
   roamingctl remove ADDRESS
   roamingctl rebuild
   roamingctl check ADDRESS
   roamingctl config
   roamingctl postfix-init
   roamingctl sync [--watch SECONDS]
   roamingctl create-table */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cfg.h"
#include "die.h"
#include "log.h"
#include "mysql_store.h"
#include "rebuild.h"
#include "refresh.h"
#include "rules.h"
#include "store.h"

static struct cfg cfg;
static struct store *st;
static char err[600];

static void usage(void)
{
	die(100, "usage: roamingctl list | add [-p] ADDRESS | remove ADDRESS | rebuild"
	    " | check ADDRESS | config | postfix-init | sync [--watch SECONDS] | create-table");
}

static void open_store(void)
{
	if (store_open(&cfg, &st, err, sizeof err) == -1)
		die(111, "%s", err);
}

static void parse_addr(const char *s, struct addr *a)
{
	if (addr_parse(s, strlen(s), a) == -1)
		die(100, "not an IPv4 or IPv6 address: %.60s", s);
}

static void do_rebuild(int force)
{
	struct rebuild_stats stats;

	if (rebuild(&cfg, st, force, 0, REBUILD_WAIT_MS, &stats, err, sizeof err) == -1)
		die(111, "%s", err);
	if (stats.rebuilt)
		printf("rebuilt %s: %lu tcp.smtp records, %lu live entries, %lu written"
		       " (%lu exact in tcp.smtp, %lu denied, %lu already relaying)\n",
		       cfg.cdb, stats.rules, stats.entries, stats.written, stats.exact,
		       stats.denied, stats.covered);
}

struct lister {
	long long now, stale;
	unsigned long n;
};

static int list_one(void *ctx, const struct addr *a, const char *text, size_t tlen, long long ts)
{
	struct lister *l = ctx;
	char txt[ADDR_TEXT_MAX], when[32];
	time_t t = (time_t)ts;
	struct tm tm;

	(void)text; /* listed in one form, whatever the store holds */
	(void)tlen;
	addr_fmt_tcpserver(a, txt);
	++l->n;
	if (ts == 0) {
		printf("%-40s %-20s %10s persistent\n", txt, "-", "-");
		return 0;
	}
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof when, "%lld", ts);
	printf("%-40s %-20s %10lld %s\n", txt, when, l->now - ts, ts <= l->stale ? "stale" : "live");
	return 0;
}

static int cmd_list(void)
{
	struct lister l;
	struct buf tok = BUF_INIT;

	l.now = (long long)time(0);
	l.stale = l.now - (long long)cfg.clear_minutes * 60;
	l.n = 0;
	open_store();
	printf("%-40s %-20s %10s %s\n", "ADDRESS", "TIME (UTC)", "AGE (s)", "STATE");
	if (st->ops->load(st, list_one, &l, &tok) == -1)
		die(111, "%s", st->err);
	buf_free(&tok);
	return fflush(stdout) ? 111 : 0;
}

struct finder {
	struct addr a;
	int found;
	long long ts;
};

static int find_one(void *ctx, const struct addr *a, const char *text, size_t tlen, long long ts)
{
	struct finder *f = ctx;

	(void)text;
	(void)tlen;
	if (a->family == f->a.family && memcmp(a->a, f->a.a, 16) == 0) {
		if (!f->found || (f->ts != 0 && (ts == 0 || ts > f->ts)))
			f->ts = ts;
		f->found = 1;
	}
	return 0;
}

static int cmd_check(const char *text)
{
	struct finder f;
	struct buf tok = BUF_INIT, rulekey = BUF_INIT;
	struct rules_match m = { 0, BUF_INIT, 0, 0 };
	char key[ADDR_TEXT_MAX];
	const char *d, *it;
	size_t dl, il;
	struct cdb c;
	int fd, verdict = 0, matched = 0, cur, deny = 0, relay = 0;
	long long now = (long long)time(0);

	memset(&f, 0, sizeof f);
	parse_addr(text, &f.a);
	addr_fmt_tcpserver(&f.a, key);
	open_store();
	if (st->ops->load(st, find_one, &f, &tok) == -1)
		die(111, "%s", st->err);
	printf("address: %s\n", key);
	if (!f.found)
		printf("roaming entry: none\n");
	else if (f.ts == 0)
		printf("roaming entry: persistent\n");
	else
		printf("roaming entry: %lld s old, %s (expires after %lu minutes)\n", now - f.ts,
		       f.ts <= now - (long long)cfg.clear_minutes * 60 ? "stale" : "live", cfg.clear_minutes);
	if (rebuild_explain(&cfg, &f.a, &verdict, &matched, &rulekey, err, sizeof err) == -1)
		die(111, "%s", err);
	switch (verdict) {
	case EXPLAIN_EXACT:
		printf("tcp.smtp: has a line for exactly %s, which wins over any roaming entry\n", key);
		break;
	case EXPLAIN_DENIED:
		printf("tcp.smtp: rule '%.*s' denies a network containing it; roaming never overrides that\n",
		       (int)rulekey.len, rulekey.s);
		break;
	case EXPLAIN_COVERED:
		printf("tcp.smtp: rule '%.*s' already sets RELAYCLIENT; no roaming record is needed\n",
		       (int)rulekey.len, rulekey.s);
		break;
	case EXPLAIN_OVERRIDE:
		printf("tcp.smtp: the catch-all deny is overridden by a roaming entry\n");
		break;
	default:
		if (matched)
			printf("tcp.smtp: a roaming entry keeps the settings of rule '%.*s' and adds %s\n",
			       (int)rulekey.len, rulekey.s, cfg.relay_env);
		else
			printf("tcp.smtp: a roaming entry adds %s\n", cfg.relay_env);
	}
	cur = rebuild_current(&cfg, st, err, sizeof err);
	printf("%s: %s\n", cfg.cdb, cur == 1 ? "current" : cur == 0 ? "behind (run roamingctl rebuild)" : err);
	fd = open(cfg.cdb, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || cdb_init(&c, fd) == -1 || rules_lookup(rules_cdb_find, &c, key, 0, 0, &m) == -1) {
		printf("tcpserver would: unknown (%s: %s)\n", cfg.cdb, strerror(errno));
		rules_match_free(&m);
		buf_free(&rulekey);
		buf_free(&tok);
		return 111;
	}
	if (!m.found) {
		printf("tcpserver would: allow (no rule), RELAYCLIENT not set\nrelay: closed\n");
	} else {
		d = m.data;
		dl = m.dlen;
		while (rules_data_next(&d, &dl, &it, &il)) {
			if (il && it[0] == 'D')
				deny = 1;
			if (il > 12 && memcmp(it, "+RELAYCLIENT=", 13) == 0)
				relay = 1;
		}
		printf("tcpserver would: %s by rule '%.*s'", deny ? "deny" : "allow", (int)m.key.len, m.key.s);
		d = m.data;
		dl = m.dlen;
		while (!deny && rules_data_next(&d, &dl, &it, &il))
			if (il && it[0] == '+')
				printf(", %.*s", (int)il - 1, it + 1);
		printf("\nrelay: %s\n", !deny && relay ? "open" : "closed");
	}
	rules_match_free(&m);
	buf_free(&rulekey);
	buf_free(&tok);
	return fflush(stdout) ? 111 : 0;
}

/* One pass of sync: rebuild if the outputs are behind the store (a table
   another host wrote to). Checking costs one token query; a rebuild
   happens only when the token, tcp.smtp or the settings changed. */
static int sync_once(int watching)
{
	struct rebuild_stats stats;
	unsigned long n, moved;
	int cur = -1;

	/* this host's spooled logins first (refresh.c) */
	if (refresh_flush(&cfg, st, 0, &n, &moved, err, sizeof err) == 0) {
		if (n)
			log_msg(LOG_INFO, "sync: flushed %lu spooled refreshes (%lu rows moved)", n, moved);
		cur = rebuild_current(&cfg, st, err, sizeof err);
	}
	if (cur == 1)
		return 0;
	if (cur == 0 && rebuild(&cfg, st, 0, 0, REBUILD_WAIT_MS, &stats, err, sizeof err) == 0) {
		if (stats.rebuilt) {
			printf("rebuilt %s: %lu tcp.smtp records, %lu live entries, %lu written\n",
			       cfg.cdb, stats.rules, stats.entries, stats.written);
			log_msg(LOG_INFO, "sync: rebuilt %s: %lu live entries", cfg.cdb, stats.entries);
		}
		return fflush(stdout) ? -1 : 0;
	}
	if (!watching)
		die(111, "%s", err);
	/* a long-running watcher outlives a database outage: the store
	   connects afresh on the next pass */
	log_msg(LOG_ERR, "sync: %s", err);
	warn("%s", err);
	return -1;
}

/* roamingctl sync [--watch SECONDS]: for hosts that share a MySQL relay
   table: from cron every minute, or as a loop polling every SECONDS. */
static int cmd_sync(unsigned long watch)
{
	if (!watch)
		open_store();
	for (;;) {
		/* a watcher started while the database is down waits for it */
		if (!st && store_open(&cfg, &st, err, sizeof err) == -1) {
			st = 0;
			log_msg(LOG_ERR, "sync: %s", err);
			warn("%s", err);
		} else {
			sync_once(watch != 0);
		}
		if (!watch)
			return 0;
		sleep((unsigned)watch);
	}
}

static int cmd_create_table(void)
{
	char sql[600];
	int existed = 0;

	if (cfg.db_kind != CFG_DB_MYSQL)
		die(100, "create-table needs ROAMING_DB=mysql:PATH");
	open_store();
	if (store_mysql_create_table(st, &existed, sql, sizeof sql) == -1)
		die(111, "%s", st->err);
	if (!existed)
		log_msg(LOG_INFO, "created the relay table");
	printf("%s\n%s;\n", existed ? "the table exists (left as it is):" : "created the table:", sql);
	return fflush(stdout) ? 111 : 0;
}

int main(int argc, char **argv)
{
	struct addr a;
	const char *cmd;
	int persistent = 0, found, r;

	progname = "roamingctl";
	log_init("roamingctl");
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (cfg_load(&cfg, err, sizeof err) == -1)
		die(errno == EINVAL ? 100 : 111, "%s", err);
	if (strcmp(cmd, "list") == 0 && argc == 2)
		return cmd_list();
	if (strcmp(cmd, "check") == 0 && argc == 3)
		return cmd_check(argv[2]);
	if (strcmp(cmd, "add") == 0 && (argc == 3 || (argc == 4 && strcmp(argv[2], "-p") == 0))) {
		persistent = argc == 4;
		parse_addr(argv[argc - 1], &a);
		open_store();
		if (st->ops->set(st, &a, persistent ? 0 : (long long)time(0)) == -1)
			die(111, "%s", st->err);
		log_msg(LOG_INFO, "added %s%s by hand", argv[argc - 1], persistent ? " (persistent)" : "");
		do_rebuild(0);
		return 0;
	}
	if (strcmp(cmd, "remove") == 0 && argc == 3) {
		parse_addr(argv[2], &a);
		open_store();
		if (st->ops->remove(st, &a, &found) == -1)
			die(111, "%s", st->err);
		if (!found)
			die(100, "no roaming entry for %s", argv[2]);
		log_msg(LOG_INFO, "removed %s by hand", argv[2]);
		do_rebuild(0);
		return 0;
	}
	if (strcmp(cmd, "rebuild") == 0 && argc == 2) {
		open_store();
		do_rebuild(1);
		return 0;
	}
	if (strcmp(cmd, "config") == 0 && argc == 2) {
		printf("config file: %s\n", cfg.conf_path[0] ? cfg.conf_path : "(none read)");
		printf("ROAMING_TCP_RULES=%s\n", cfg.tcp_rules);
		printf("ROAMING_DB=%s:%s\n", cfg.db_kind == CFG_DB_MYSQL ? "mysql" : "file", cfg.db_path);
		printf("ROAMING_CLEAR_MINUTES=%lu\n", cfg.clear_minutes);
		printf("ROAMING_RELAY_ENV=%s\n", cfg.relay_env);
		printf("ROAMING_POSTFIX_MAP=%s\n", cfg.postfix_map);
		printf("ROAMING_POSTFIX_ACTION=%s\n", cfg.postfix_action);
		printf("ROAMING_LOGFILE=%s\n", cfg.logfile);
		return fflush(stdout) ? 111 : 0;
	}
	if (strcmp(cmd, "sync") == 0 && argc == 2)
		return cmd_sync(0);
	if (strcmp(cmd, "sync") == 0 && argc == 4 && strcmp(argv[2], "--watch") == 0) {
		char *end;
		unsigned long w;

		errno = 0;
		w = strtoul(argv[3], &end, 10);
		if (errno || !argv[3][0] || *end || argv[3][0] == '-' || w < 1 || w > 3600)
			die(100, "sync --watch: SECONDS must be a whole number from 1 to 3600: %s", argv[3]);
		return cmd_sync(w);
	}
	if (strcmp(cmd, "create-table") == 0 && argc == 2)
		return cmd_create_table();
	if (strcmp(cmd, "postfix-init") == 0 && argc == 2) {
		r = rebuild_postfix_init(&cfg, err, sizeof err);
		if (r == -1)
			die(errno == EINVAL ? 100 : 111, "%s", err);
		printf("%s: %s\n", cfg.postfix_map_cdb, r ? "created (empty)" : "exists");
		return 0;
	}
	usage();
}

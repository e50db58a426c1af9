/* roaming-logwatch.c: opens the relay from the mail log, for POP/IMAP
   servers that cannot run a hook: follows the log like tail -F and records
   the address of every successful login it recognises.

   roaming-logwatch [-v] [--once] [--from-start] [--state FILE] [LOGFILE]
   roaming-logwatch [-v] --stdin
   roaming-logwatch --test|--count [FILE]

   LOGFILE defaults to ROAMING_LOGFILE. The position in it is kept in the
   state file (default: the open-smtp file, or tcp.smtp for MySQL, plus
   ".logwatch"), so a restart neither reads a line twice nor misses one;
   without a state file reading starts at the end of the log (--from-start:
   at its beginning). --once reads what is there and exits. --stdin reads
   syslog lines from standard input (rsyslog's omprog, a pipe) until its
   end. --test prints what the patterns make of each line of FILE (or of
   standard input) and records nothing; --count prints only the totals.

   The lines read at one time are a batch: each address is recorded once
   with RECORD_NO_REBUILD, then one rebuild serves the whole batch. The
   state is saved after that, so a crash re-reads (and re-records) lines
   rather than losing them. An address that could not be recorded (a busy
   lock, a database down), and a rebuild that failed (a tcp.smtp being
   edited), are retried every RETRY_EVERY seconds, an address for at most
   RETRY_SECS; while MAX_PENDING addresses wait, reading pauses (the log
   keeps the lines).

   Exit: 0; 100 usage or bad settings; 111 a system failure (in --once
   mode also when an address could not be recorded: the state is then not
   saved, so the next run tries again). This program is not in a login
   path: errors go to stderr as well as to syslog. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cfg.h"
#include "die.h"
#include "follow.h"
#include "hmap.h"
#include "log.h"
#include "logwatch.h"
#include "record.h"
#include "store.h"

#define POLL_MS 200
#define BATCH_BYTES (64u << 20)   /* a backlog is recorded in batches of this much log */
#define RETRY_SECS 600            /* how long a failed address is retried */
#define RETRY_EVERY 10            /* and how often; the same for a failed rebuild */
#define MAX_PENDING 50000         /* addresses in one batch */

struct pend {
	char addr[ADDR_TEXT_MAX];     /* as tcpserver looks it up */
	const char *format;
	char user[48];                /* for the log line only */
	long long since;              /* first failure, 0 if none yet */
	long long next_try;           /* after a failure: when to try again */
};

struct watch {
	struct cfg cfg;
	struct store *st;
	struct pend *p;
	size_t n, cap;
	struct hmap idx;              /* address -> index in p */
	int need;                     /* RECORD_NEED/FORCE not yet served by a rebuild */
	long long rebuild_next;       /* after a failed rebuild: when to try again */
	int verbose, once;
	unsigned long lines, logins, refused;
};

static volatile sig_atomic_t stop;
static char err[600];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	die(100, "usage: roaming-logwatch [-v] [--once] [--from-start] [--state FILE] [LOGFILE]"
	    " | [-v] --stdin | --test|--count [FILE]");
}

/* A user name for our own log lines: short, printable. */
static void short_user(char *out, size_t outlen, const char *user)
{
	size_t i;

	for (i = 0; user[i] && i + 1 < outlen; ++i)
		out[i] = (unsigned char)user[i] < 32 || user[i] == 127 ? '?' : user[i];
	out[i] = 0;
	if (user[i] && outlen > 4)
		memcpy(out + outlen - 4, "...", 4);
}

static int on_line(void *ctx, const char *line, size_t len)
{
	struct watch *w = ctx;
	struct logwatch_hit hit;
	struct addr a;
	char key[ADDR_TEXT_MAX];
	size_t klen, *slot;
	struct pend *np;
	int r;

	r = logwatch_parse(line, len, &hit);
	if (r == -1)
		return -1;
	if (r == LOGWATCH_NONE) {
		++w->lines;
		return 0;
	}
	if (r == LOGWATCH_BADADDR || addr_parse(hit.addr, strlen(hit.addr), &a) == -1) {
		++w->lines;
		++w->refused;
		log_msg(LOG_WARNING, "not recording a %s login from '%s': not an IPv4 or IPv6 address",
		        hit.format, hit.addr);
		if (w->verbose)
			printf("refused %s (%s)\n", hit.addr, hit.format);
		return 0;
	}
	klen = addr_fmt_tcpserver(&a, key);
	if (!hmap_get(&w->idx, key, klen)) {
		if (w->n >= MAX_PENDING)
			return 1; /* the batch is full: this line again after a flush */
		if (w->n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 64;
			if (!(np = realloc(w->p, nc * sizeof *np)))
				return -1;
			w->p = np;
			w->cap = nc;
		}
	}
	++w->lines;
	++w->logins;
	r = hmap_put(&w->idx, key, klen, w->n, &slot);
	if (r != 1)
		return r; /* already in this batch (or out of memory) */
	np = &w->p[w->n++];
	memcpy(np->addr, key, klen + 1);
	np->format = hit.format;
	short_user(np->user, sizeof np->user, hit.user);
	np->since = 0;
	np->next_try = 0;
	return 0;
}

/* Records the batch, then rebuilds once; what failed before is tried again
   only when it is due. Returns what is left to do: the addresses still to
   be recorded, plus one if a rebuild is still needed. */
static long flush(struct watch *w)
{
	struct record_result res;
	struct rebuild_stats stats;
	long long now = (long long)time(0);
	size_t i, kept = 0;
	unsigned long added = 0;

	for (i = 0; i < w->n; ++i) {
		struct pend *p = &w->p[i];

		if (p->since && now < p->next_try) {
			w->p[kept++] = *p; /* not due yet */
			continue;
		}
		if (record_login(&w->cfg, w->st, p->addr, now, RECORD_NO_REBUILD, &res, err, sizeof err) == 0) {
			if (res.need > w->need)
				w->need = res.need;
			if (res.what == STORE_NEW || res.what == STORE_REVIVED) {
				++added;
				log_msg(LOG_INFO, "recorded %s (%s) for a %s login of %s", res.addr,
				        res.what == STORE_NEW ? "new" : "known, was stale", p->format, p->user);
			} else {
				log_msg(LOG_DEBUG, "refreshed %s for a %s login of %s", res.addr, p->format, p->user);
			}
			if (w->verbose)
				printf("recorded %s (%s) %s %s\n", res.addr,
				       res.what == STORE_NEW ? "new" : res.what == STORE_REVIVED ? "revived" : "known",
				       p->format, p->user);
			continue;
		}
		if (errno == EINVAL) {
			log_msg(LOG_WARNING, "not recording %s: %s", p->addr, err);
			continue;
		}
		if (!p->since) {
			p->since = now;
			log_msg(LOG_ERR, "not recording %s yet (will retry): %s", p->addr, err);
			if (w->once || w->verbose)
				warn("not recording %s: %s", p->addr, err);
		} else if (now - p->since > RETRY_SECS) {
			log_msg(LOG_ERR, "gave up recording %s after %d s: %s", p->addr, RETRY_SECS, err);
			continue;
		}
		p->next_try = now + RETRY_EVERY;
		w->p[kept++] = *p;
	}
	w->n = kept;
	hmap_free(&w->idx);
	for (i = 0; i < w->n; ++i)
		if (hmap_put(&w->idx, w->p[i].addr, strlen(w->p[i].addr), i, 0) == -1)
			return -1;
	if (w->need != RECORD_NONE && now >= w->rebuild_next) {
		if (rebuild(&w->cfg, w->st, w->need == RECORD_FORCE, 0, REBUILD_WAIT_MS, &stats,
		            err, sizeof err) == -1) {
			log_msg(LOG_ERR, "unable to rebuild (will retry): %s", err);
			if (w->once || w->verbose)
				warn("unable to rebuild: %s", err);
			w->rebuild_next = now + RETRY_EVERY;
		} else {
			w->need = RECORD_NONE;
			if (stats.rebuilt)
				log_msg(LOG_INFO, "rebuilt %s: %lu new addresses, %lu live entries",
				        w->cfg.cdb, added, stats.entries);
			if (w->verbose && stats.rebuilt)
				printf("rebuilt %s\n", w->cfg.cdb);
		}
	}
	fflush(stdout);
	return (long)w->n + (w->need != RECORD_NONE);
}

static void report(int ev, const char *path, const struct follow *f)
{
	static int missing;

	if (ev & FOLLOW_MISSING) {
		if (!missing)
			log_msg(LOG_WARNING, "waiting for %s to appear", path);
		missing = 1;
	} else if (f->cur.fd >= 0) {
		missing = 0;
	}
	if (ev & FOLLOW_RESUMED)
		log_msg(LOG_INFO, "resuming %s at byte %llu", path, f->cur.pos.off);
	if (ev & FOLLOW_RESUMED_OLD)
		log_msg(LOG_INFO, "%s was rotated while stopped: finishing the old file from byte %llu",
		        path, f->old.pos.off);
	else if (ev & FOLLOW_ROTATED)
		log_msg(LOG_INFO, "%s was rotated: finishing the old file, reading the new one from its start", path);
	if (ev & FOLLOW_OPENED)
		log_msg(LOG_INFO, "%s appeared: reading it from its start", path);
	if (ev & FOLLOW_TRUNCATED)
		log_msg(LOG_INFO, "%s was truncated or replaced: reading it from its start", path);
	if (ev & FOLLOW_DROPPED)
		log_msg(LOG_WARNING, "dropped an incomplete last line of %s that never ended", path);
	if (ev & FOLLOW_LONGLINE)
		log_msg(LOG_WARNING, "skipped a line of %s longer than %d bytes", path, FOLLOW_LINE_MAX);
}

static void nap(void)
{
	if (!stop)
		poll(0, 0, POLL_MS);
}

static int save(const char *state, const char *path, const struct follow *f, struct follow_pos *last)
{
	if (f->cur.fd < 0 || memcmp(last, &f->cur.pos, sizeof *last) == 0)
		return 0;
	if (follow_state_save(state, path, &f->cur.pos) == -1) {
		log_msg(LOG_ERR, "unable to save the position in %s: %s", state, strerror(errno));
		warn_sys("unable to save the position in %s", state);
		return -1;
	}
	*last = f->cur.pos;
	return 0;
}

static int follow_file(struct watch *w, const char *path, const char *state, int from_start)
{
	struct follow_pos saved, last;
	struct follow f;
	long left = 0;
	int r, more, again;

	r = follow_state_load(state, path, &saved);
	if (r == -1)
		die_sys(111, "unable to read %s", state);
	if (follow_open(&f, path, r == 1 ? &saved : 0, from_start) == -1)
		die_sys(111, "unable to open %s", path);
	if (w->once && f.cur.fd < 0)
		die(111, "unable to open %s: %s", path, strerror(ENOENT));
	memset(&last, 0, sizeof last);
	if (r == 1)
		last = saved;
	for (;;) {
		if (follow_read(&f, on_line, w, BATCH_BYTES, &more) == -1) {
			log_msg(LOG_ERR, "unable to read %s: %s", path, strerror(errno));
			die_sys(111, "unable to read %s", path);
		}
		again = more;
		if (!more && !stop) {
			r = follow_check(&f);
			if (r == -1) {
				log_msg(LOG_ERR, "unable to follow %s: %s", path, strerror(errno));
				die_sys(111, "unable to follow %s", path);
			}
			again = r;
		}
		report(f.events, path, &f);
		f.events = 0;
		if (w->n || w->need != RECORD_NONE)
			left = flush(w);
		if (left == 0)
			save(state, path, &f, &last);
		/* --once stops at a failure, without saving: the next run retries */
		if (stop || (w->once && (!again || left != 0)))
			break;
		if (!again || w->n >= MAX_PENDING)
			nap();
	}
	follow_close(&f);
	/* a daemon stopped with work left has not saved its position: the
	   next start does that work again */
	return w->once && left != 0 ? -1 : 0;
}

static int follow_stdin(struct watch *w)
{
	struct follow_src s;
	struct stat st;
	struct pollfd pf;
	long left = 0;
	int eof, events = 0;

	follow_src_init(&s, 0);
	s.stream = fstat(0, &st) == 0 && !S_ISREG(st.st_mode);
	for (;;) {
		if (w->n >= MAX_PENDING) {
			/* full of addresses waiting for a retry: pause reading */
			poll(0, 0, 1000);
			left = flush(w);
			if (stop)
				break;
			continue;
		}
		if (left != 0 && s.stream) {
			/* something waits for a retry: do not block for long */
			pf.fd = 0;
			pf.events = POLLIN;
			pf.revents = 0;
			if (poll(&pf, 1, 1000) == 0) {
				left = flush(w);
				continue;
			}
		}
		if (follow_src_read(&s, on_line, w, BATCH_BYTES, &eof, &events) == -1) {
			log_msg(LOG_ERR, "unable to read standard input: %s", strerror(errno));
			die_sys(111, "unable to read standard input");
		}
		if (events & FOLLOW_LONGLINE)
			log_msg(LOG_WARNING, "skipped a line longer than %d bytes", FOLLOW_LINE_MAX);
		events = 0;
		if (w->n || w->need != RECORD_NONE)
			left = flush(w);
		if (s.ended || stop)
			break;
	}
	if (s.buf.len)
		log_msg(LOG_WARNING, "dropped an incomplete last line of standard input");
	s.fd = -1; /* leave fd 0 open */
	follow_src_close(&s);
	return left != 0 ? -1 : 0;
}

static int test_one(void *ctx, const char *line, size_t len)
{
	struct watch *w = ctx;
	struct logwatch_hit hit;
	char user[LOGWATCH_USER_MAX + 1];
	struct addr a;
	char key[ADDR_TEXT_MAX];
	int r;

	++w->lines;
	r = logwatch_parse(line, len, &hit);
	if (r == -1)
		return -1;
	if (r == LOGWATCH_NONE)
		return 0;
	if (r == LOGWATCH_LOGIN)
		++w->logins;
	else
		++w->refused;
	if (w->verbose) {
		short_user(user, sizeof user, hit.user);
		if (r == LOGWATCH_LOGIN && addr_parse(hit.addr, strlen(hit.addr), &a) == 0)
			addr_fmt_tcpserver(&a, key);
		else
			snprintf(key, sizeof key, "%s", hit.addr);
		printf("%lu: %s %s %s %s user=%s\n", w->lines, r == LOGWATCH_LOGIN ? "login" : "refused",
		       hit.format, hit.tag, key, user);
	}
	return 0;
}

static int test(struct watch *w, const char *file)
{
	struct follow_src s;
	int fd = 0, eof = 0, events = 0;

	if (file && strcmp(file, "-") != 0 && (fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		die_sys(111, "unable to open %s", file);
	follow_src_init(&s, fd);
	while (!s.ended)
		if (follow_src_read(&s, test_one, w, BATCH_BYTES, &eof, &events) == -1)
			die_sys(111, "unable to read %s", file ? file : "standard input");
	if (fd == 0)
		s.fd = -1;
	follow_src_close(&s);
	printf("%lu lines, %lu logins, %lu refused addresses\n", w->lines, w->logins, w->refused);
	return fflush(stdout) ? 111 : 0;
}

int main(int argc, char **argv)
{
	struct watch w;
	struct sigaction sa;
	const char *logfile = 0, *state = 0, *a;
	char *defstate = 0;
	int use_stdin = 0, from_start = 0, mode_test = 0, i, r;
	size_t n;

	progname = "roaming-logwatch";
	log_init("roaming-logwatch");
	memset(&w, 0, sizeof w);
	{
		struct hmap empty = HMAP_INIT;
		w.idx = empty;
	}
	for (i = 1; i < argc; ++i) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			++i;
			break;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0)
			break;
		if (strcmp(a, "--once") == 0)
			w.once = 1;
		else if (strcmp(a, "--stdin") == 0)
			use_stdin = 1;
		else if (strcmp(a, "--from-start") == 0)
			from_start = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			w.verbose = 1;
		else if (strcmp(a, "--test") == 0)
			mode_test = 1, w.verbose = 1;
		else if (strcmp(a, "--count") == 0)
			mode_test = 1, w.verbose = 0;
		else if (strcmp(a, "--state") == 0 && i + 1 < argc)
			state = argv[++i];
		else if (strncmp(a, "--state=", 8) == 0)
			state = a + 8;
		else
			usage();
	}
	if (i < argc)
		logfile = argv[i++];
	if (i < argc)
		usage();
	if (logwatch_init() == -1)
		die(111, "the pattern table does not compile");
	if (mode_test) {
		if (use_stdin || w.once || state || from_start)
			usage();
		return test(&w, logfile);
	}
	if (use_stdin && (logfile || state || w.once || from_start))
		usage();
	if ((logfile && (!logfile[0] || strchr(logfile, '\n'))) || (state && (!state[0] || strchr(state, '\n'))))
		usage();
	if (cfg_load(&w.cfg, err, sizeof err) == -1)
		die(errno == EINVAL ? 100 : 111, "%s", err);
	if (!logfile)
		logfile = w.cfg.logfile;
	if (!state && !use_stdin) {
		a = w.cfg.db_kind == CFG_DB_FILE ? w.cfg.db_path : w.cfg.tcp_rules;
		n = strlen(a);
		if (!(defstate = malloc(n + sizeof ".logwatch")))
			die(111, "out of memory");
		memcpy(defstate, a, n);
		memcpy(defstate + n, ".logwatch", sizeof ".logwatch");
		state = defstate;
	}
	if (store_open(&w.cfg, &w.st, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "%s", err);
		die(111, "%s", err);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the wait */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGHUP, &sa, 0);
	signal(SIGPIPE, SIG_IGN);
	if (!w.once)
		log_msg(LOG_INFO, "watching %s", use_stdin ? "standard input" : logfile);
	r = use_stdin ? follow_stdin(&w) : follow_file(&w, logfile, state, from_start);
	if (w.once || use_stdin || w.verbose)
		log_msg(LOG_INFO, "read %lu lines: %lu logins, %lu refused addresses", w.lines, w.logins, w.refused);
	w.st->ops->close(w.st);
	cfg_free(&w.cfg);
	hmap_free(&w.idx);
	free(w.p);
	free(defstate);
	if (fflush(stdout))
		return 111;
	return r == -1 ? 111 : 0;
}

/* login.c: what the login-path programs share: record one login and log
   the outcome, and run that work in a detached process. */
#define _GNU_SOURCE /* close_range */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cfg.h"
#include "log.h"
#include "login.h"
#include "mysql_conf.h"
#include "record.h"
#include "refresh.h"
#include "store.h"

static void say(const struct record_result *res)
{
	log_msg(LOG_INFO, "recorded %s (%s%s)", res->addr,
	        res->what == STORE_NEW ? "new" : res->what == STORE_PERSISTENT ? "persistent"
	        : res->what == STORE_REVIVED ? "revived" : "refreshed",
	        res->stats.incremental ? ", rebuilt incrementally" : res->stats.rebuilt ? ", rebuilt" : "");
}

/* Starts a detached flusher of the refresh spool, which waits wait_s
   seconds first so that the logins meanwhile share its transaction. */
static void start_flusher(const struct cfg *c, const char *ident, long wait_s)
{
	struct timespec t;
	struct store *st;
	char err[600];
	unsigned long n, moved;

	switch (login_fork_detached(ident, -1)) {
	case 0:
		t.tv_sec = wait_s;
		t.tv_nsec = 0;
		while (nanosleep(&t, &t) == -1 && errno == EINTR)
			;
		if (access(c->spool, F_OK) == -1 && errno == ENOENT)
			_exit(0); /* a sync or clearopensmtp took it meanwhile */
		if (store_open(c, &st, err, sizeof err) == -1) {
			log_msg(LOG_ERR, "unable to flush %s: %s", c->spool, err);
			_exit(0);
		}
		if (refresh_flush(c, st, 0, &n, &moved, err, sizeof err) == -1)
			log_msg(LOG_ERR, "unable to flush %s: %s", c->spool, err);
		else if (n)
			log_msg(LOG_INFO, "flushed %lu spooled refreshes (%lu rows moved)", n, moved);
		st->ops->close(st);
		_exit(0);
	case -1:
		log_msg(LOG_ERR, "unable to flush %s: fork: %s", c->spool, strerror(errno));
		break;
	default:
		break;
	}
}

/* The MySQL store: a known live address only goes to the refresh spool,
   and the login touches neither the client library nor the database
   (refresh.c). Returns 1 if the login was recorded that way. */
static int spooled(const struct cfg *c, const char *ident, const char *ip)
{
	struct mysqlconf mc;
	struct addr a;
	char err[600], shown[ADDR_TEXT_MAX];
	long long margin;
	long flush_in;
	int r;

	if (c->db_kind != CFG_DB_MYSQL || !ip || addr_parse(ip, strlen(ip), &a) == -1)
		return 0;
	if (mysqlconf_load(c->db_path, &mc, err, sizeof err) == -1)
		return 0; /* the store says why, on the way that does not skip it */
	margin = (long long)mc.refresh_delay + mc.failover_timeout + REFRESH_SLACK;
	r = refresh_spool(c, &a, (long long)time(0), margin, (long)mc.refresh_delay, &flush_in);
	if (r == REFRESH_STORE)
		return 0;
	addr_fmt_tcpserver(&a, shown);
	log_msg(LOG_INFO, "recorded %s (%s)", shown, r == REFRESH_PERSISTENT ? "persistent" : "refreshed, spooled");
	if (flush_in >= 0)
		start_flusher(c, ident, flush_in);
	return 1;
}

void login_record(const char *ip)
{
	char err[600];
	struct cfg cfg;
	struct store *st;
	struct record_result res;
	const char *shown = ip ? ip : "(unset)";

	if (cfg_load(&cfg, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", shown, err);
		return;
	}
	if (store_open(&cfg, &st, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", shown, err);
	} else {
		if (record_login(&cfg, st, ip, (long long)time(0), 0, &res, err, sizeof err) == -1)
			log_msg(errno == EINVAL ? LOG_WARNING : LOG_ERR, "not recording %.60s: %s", shown, err);
		else
			say(&res);
		st->ops->close(st);
	}
	cfg_free(&cfg);
}

/* Waits at most ms for the detached process holding the other end of fd
   to finish (it closes its end), then closes fd. */
static void wait_done(int fd, long ms)
{
	struct pollfd p;
	char c;

	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, (int)ms) == 1 && read(fd, &c, 1) == -1) {
		/* done or not, the login goes on */
	}
	close(fd);
}

long login_wait_ms(const struct cfg *c)
{
	return c->db_kind == CFG_DB_MYSQL ? LOGIN_WAIT_DB_MS : LOGIN_WAIT_MS;
}

void login_record_waiting(const char *ident, const char *ip)
{
	char err[600];
	struct cfg cfg;
	int pipefd[2], db = 0;

	if (cfg_load(&cfg, err, sizeof err) == 0) {
		db = cfg.db_kind == CFG_DB_MYSQL;
		if (!db) {
			cfg_free(&cfg);
			login_record(ip); /* a file: quick, and bounded by its locks */
			return;
		}
		if (spooled(&cfg, ident, ip)) {
			cfg_free(&cfg);
			return;
		}
	} else {
		login_record(ip); /* which logs the bad setting */
		return;
	}
	if (pipe(pipefd) == -1) {
		cfg_free(&cfg);
		login_record(ip);
		return;
	}
	switch (login_fork_detached(ident, pipefd[1])) {
	case 0:
		login_record(ip);
		_exit(0);
	case -1:
		close(pipefd[1]);
		close(pipefd[0]);
		login_record(ip);
		break;
	default:
		close(pipefd[1]);
		wait_done(pipefd[0], login_wait_ms(&cfg));
	}
	cfg_free(&cfg);
}

void login_record_bounded(const char *ident, const char *ip)
{
	char err[600];
	struct cfg cfg;
	struct store *st;
	struct record_result res;
	struct rebuild_stats stats;
	const char *shown = ip ? ip : "(unset)";
	int r, pipefd[2], busy;

	if (cfg_load(&cfg, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", shown, err);
		return;
	}
	if (spooled(&cfg, ident, ip)) {
		cfg_free(&cfg);
		return;
	}
	/* The common case on the open-smtp file, a known address, is a few
	   bytes under a lock that is free: done here, no process to start. A
	   busy lock, a rebuild, or a database (whose servers may be slow to
	   answer: not even a connection is made here) goes to a detached
	   process that the login waits for at most login_wait_ms(). */
	st = 0;
	if (cfg.db_kind == CFG_DB_MYSQL) {
		r = -1;
		busy = 1;
	} else {
		if (store_open(&cfg, &st, err, sizeof err) == -1) {
			log_msg(LOG_ERR, "not recording %.60s: %s", shown, err);
			cfg_free(&cfg);
			return;
		}
		st->lock_ms = 0;
		r = record_login(&cfg, st, ip, (long long)time(0), RECORD_NO_REBUILD, &res, err, sizeof err);
		busy = r == -1 && errno == EAGAIN;
	}
	if (r == -1 && !busy) {
		log_msg(errno == EINVAL ? LOG_WARNING : LOG_ERR, "not recording %.60s: %s", shown, err);
	} else if (busy || res.need != RECORD_NONE) {
		if (pipe(pipefd) == -1) {
			pipefd[0] = pipefd[1] = -1;
		}
		switch (pipefd[0] == -1 ? -1 : login_fork_detached(ident, pipefd[1])) {
		case 0: {
			/* a store of its own (the parent opens none for MySQL) */
			struct store *cst;

			if (store_open(&cfg, &cst, err, sizeof err) == -1) {
				log_msg(LOG_ERR, "not %s %.60s: %s", busy ? "recording" : "finishing", shown, err);
				_exit(0);
			}
			if (busy) {
				if (record_login(&cfg, cst, ip, (long long)time(0), 0, &res, err, sizeof err) == -1)
					log_msg(LOG_ERR, "not recording %.60s: %s", shown, err);
				else
					say(&res);
			} else if (rebuild(&cfg, cst, res.need == RECORD_FORCE, 0, REBUILD_WAIT_MS,
			                   &stats, err, sizeof err) == -1) {
				log_msg(LOG_ERR, "recorded %s but could not rebuild: %s", res.addr, err);
			} else {
				res.stats = stats;
				say(&res);
			}
			cst->ops->close(cst);
			_exit(0); /* closing the pipe tells the login to go on */
		}
		case -1:
			if (pipefd[0] != -1) {
				close(pipefd[0]);
				close(pipefd[1]);
			}
			log_msg(LOG_ERR, "not finishing %.60s: fork: %s", shown, strerror(errno));
			break;
		default:
			close(pipefd[1]);
			wait_done(pipefd[0], login_wait_ms(&cfg));
		}
	}
	if (st)
		st->ops->close(st);
	cfg_free(&cfg);
}

int login_fork_detached(const char *ident, int keepfd)
{
	int status, nullfd, i;
	pid_t pid, gpid;

	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		/* fork twice: the grandchild is nobody's child to reap */
		gpid = fork();
		if (gpid != 0)
			_exit(gpid == -1 ? 111 : 0);
		nullfd = open("/dev/null", O_RDWR);
		if (nullfd != -1) {
			dup2(nullfd, 0);
			dup2(nullfd, 1);
			dup2(nullfd, 2);
			if (nullfd > 2)
				close(nullfd);
		}
		/* close_range: one call, where a loop was most of a login's time */
		if (keepfd < 3) {
			if (close_range(3, ~0U, 0) == -1)
				for (i = 3; i < 1024; ++i)
					close(i);
		} else if ((keepfd > 3 && close_range(3, (unsigned)keepfd - 1, 0) == -1)
		           || close_range((unsigned)keepfd + 1, ~0U, 0) == -1) {
			for (i = 3; i < 1024; ++i)
				if (i != keepfd)
					close(i);
		}
		signal(SIGPIPE, SIG_IGN);
		setsid();
		closelog(); /* its socket was closed above; open a fresh one */
		log_init(ident);
		return 0;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EAGAIN;
		return -1;
	}
	return 1;
}

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
#include "record.h"
#include "store.h"

static void say(const struct record_result *res)
{
	log_msg(LOG_INFO, "recorded %s (%s%s)", res->addr,
	        res->what == STORE_NEW ? "new" : res->what == STORE_PERSISTENT ? "persistent"
	        : res->what == STORE_REVIVED ? "revived" : "refreshed",
	        res->stats.incremental ? ", rebuilt incrementally" : res->stats.rebuilt ? ", rebuilt" : "");
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
	if (store_open(&cfg, &st, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", shown, err);
		cfg_free(&cfg);
		return;
	}
	/* The common case on the open-smtp file, a known address, is a few
	   bytes under a lock that is free: done here, no process to start. A
	   busy lock, a rebuild, or a database (whose servers may be slow to
	   answer) goes to a detached process that the login waits for at most
	   login_wait_ms(). */
	if (cfg.db_kind == CFG_DB_MYSQL) {
		r = -1;
		busy = 1;
	} else {
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
			/* a store of its own: the parent's may hold a connection
			   (MySQL) that the fork closed */
			struct store *cst;

			if (store_open(&cfg, &cst, err, sizeof err) == -1) {
				log_msg(LOG_ERR, "not finishing %.60s: %s", shown, err);
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

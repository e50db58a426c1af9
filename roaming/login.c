/* login.c: what the login-path programs share: record one login and log
   the outcome, and run that work in a detached process. */
#include <errno.h>
#include <fcntl.h>
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
			log_msg(LOG_INFO, "recorded %s (%s%s)", res.addr,
			        res.what == STORE_NEW ? "new" : res.what == STORE_PERSISTENT ? "persistent"
			        : res.what == STORE_REVIVED ? "revived" : "refreshed",
			        res.stats.rebuilt ? ", rebuilt" : "");
		st->ops->close(st);
	}
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
		for (i = 3; i < 1024; ++i)
			if (i != keepfd)
				close(i);
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

/* roaming-checkpassword.c: wraps a checkpassword program and records
   $TCPREMOTEIP if, and only if, that program accepted the user.

   roaming-checkpassword REALCHECKPASSWORD PROG [ARGS...]

   The real checkpassword decides the login exactly as before: this process
   becomes it (exec), so its exit code and its privilege drop are untouched.
   Instead of PROG it is handed "roaming-checkpassword --hook FD PROG ARGS";
   it runs that only after a successful login, as the user. The hook writes
   one byte to FD, a socket whose other end is held by a recorder forked
   beforehand that still has the rights of the caller (root under
   qmail-popup). The recorder takes the address from its own environment,
   never from the hook, so a user can do no more than say "record me", and
   only from inside a login that succeeded. The hook waits a moment for the
   recorder's answer, so the relay is open when the mail client goes on to
   SMTP, then execs PROG.

   Nothing is ever written to stderr here: qmail-popup sends it to the
   client. Failures to record go to syslog and never change the login. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cfg.h"
#include "log.h"
#include "record.h"
#include "store.h"

#define HOOK_WAIT_MS 3000

static void hook(int argc, char **argv)
{
	struct pollfd p;
	char *end, c;
	long fd;

	/* roaming-checkpassword --hook FD PROG [ARGS...] */
	if (argc < 4)
		_exit(2);
	errno = 0;
	fd = strtol(argv[2], &end, 10);
	if (!errno && !*end && fd > 2 && fd < INT_MAX) {
		c = getenv("NORELAY") ? 'n' : 'y';
		if (write((int)fd, &c, 1) == 1) {
			p.fd = (int)fd;
			p.events = POLLIN;
			if (poll(&p, 1, HOOK_WAIT_MS) == 1 && read((int)fd, &c, 1) == 1) {
				/* recorded (or given up): the answer only says "go on" */
			}
		}
		close((int)fd);
	}
	execvp(argv[3], argv + 3);
	_exit(111);
}

static void recorder(int fd)
{
	char err[600], c;
	struct cfg cfg;
	struct store *st;
	struct record_result res;
	const char *ip = getenv("TCPREMOTEIP");
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		_exit(0); /* the login failed: nothing to do */
	if (c == 'n') {
		log_msg(LOG_INFO, "not recording %.60s: NORELAY is set", ip ? ip : "(unset)");
	} else if (cfg_load(&cfg, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", ip ? ip : "(unset)", err);
	} else {
		if (store_open(&cfg, &st, err, sizeof err) == -1) {
			log_msg(LOG_ERR, "not recording %.60s: %s", ip ? ip : "(unset)", err);
		} else {
			if (record_login(&cfg, st, ip, (long long)time(0), 0, &res, err, sizeof err) == -1)
				log_msg(errno == EINVAL ? LOG_WARNING : LOG_ERR, "not recording %.60s: %s",
				        ip ? ip : "(unset)", err);
			else
				log_msg(LOG_INFO, "recorded %s (%s%s)", res.addr,
				        res.what == STORE_NEW ? "new" : res.what == STORE_PERSISTENT ? "persistent"
				        : res.what == STORE_REVIVED ? "revived" : "refreshed",
				        res.stats.rebuilt ? ", rebuilt" : "");
			st->ops->close(st);
		}
		cfg_free(&cfg);
	}
	c = 'k';
	if (write(fd, &c, 1) != 1) {
		/* the hook stopped waiting; it went on anyway */
	}
	_exit(0);
}

/* Forks the recorder (detached: the session never has to reap it) and
   returns the fd to hand to the hook, or -1 to run without recording. */
static int start_recorder(void)
{
	int sv[2], status, nullfd;
	pid_t pid, gpid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_msg(LOG_ERR, "not recording: socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_msg(LOG_ERR, "not recording: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		gpid = fork();
		if (gpid != 0)
			_exit(gpid == -1 ? 111 : 0);
		close(sv[1]);
		/* hold nothing of the session: not the client connection on 0
		   and 1, not the password pipe on 3 */
		nullfd = open("/dev/null", O_RDWR);
		if (nullfd != -1) {
			dup2(nullfd, 0);
			dup2(nullfd, 1);
			dup2(nullfd, 2);
			if (nullfd > 2)
				close(nullfd);
		}
		for (int i = 3; i < 1024; ++i)
			if (i != sv[0])
				close(i);
		signal(SIGPIPE, SIG_IGN);
		setsid();
		closelog(); /* its socket was closed above; open a fresh one */
		log_init("roaming-checkpassword");
		recorder(sv[0]);
	}
	close(sv[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_msg(LOG_ERR, "not recording: fork: recorder did not start");
		close(sv[1]);
		return -1;
	}
	/* the hook end must survive two execs: checkpassword's and the hook's */
	if (fcntl(sv[1], F_SETFD, 0) == -1 || sv[1] <= 3) {
		int fd = fcntl(sv[1], F_DUPFD, 10); /* clear of 0-3, which checkpassword uses */
		close(sv[1]);
		sv[1] = fd;
		if (fd == -1) {
			log_msg(LOG_ERR, "not recording: fcntl: %s", strerror(errno));
			return -1;
		}
	}
	return sv[1];
}

static char *self_path(const char *argv0)
{
	static char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n > 0) {
		buf[n] = 0;
		return buf;
	}
	return strchr(argv0, '/') ? (char *)argv0 : 0;
}

int main(int argc, char **argv)
{
	static char hookflag[] = "--hook";
	char fdtext[24], **nargv, *self;
	int fd, i;

	if (argc > 1 && strcmp(argv[1], "--hook") == 0)
		hook(argc, argv);
	log_init("roaming-checkpassword");
	if (argc < 3) {
		log_msg(LOG_ERR, "usage: roaming-checkpassword REALCHECKPASSWORD PROG [ARGS...]");
		return 2;
	}
	self = self_path(argv[0]);
	fd = self ? start_recorder() : -1;
	if (!self)
		log_msg(LOG_ERR, "not recording: cannot find my own path");
	if (fd == -1) {
		execvp(argv[1], argv + 1);
		log_msg(LOG_ERR, "unable to run %s: %s", argv[1], strerror(errno));
		return 111;
	}
	/* REAL --hook-wrapped: REAL SELF --hook FD PROG ARGS... */
	nargv = calloc((size_t)argc + 4, sizeof *nargv);
	if (!nargv) {
		close(fd);
		execvp(argv[1], argv + 1);
		return 111;
	}
	snprintf(fdtext, sizeof fdtext, "%d", fd);
	nargv[0] = argv[1];
	nargv[1] = self;
	nargv[2] = hookflag;
	nargv[3] = fdtext;
	for (i = 2; i < argc; ++i)
		nargv[i + 2] = argv[i];
	nargv[argc + 2] = 0;
	execvp(argv[1], nargv);
	log_msg(LOG_ERR, "unable to run %s: %s", argv[1], strerror(errno));
	return 111;
}

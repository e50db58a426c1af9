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
#include "log.h"
#include "login.h"


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
			if (poll(&p, 1, LOGIN_WAIT_MS) == 1 && read((int)fd, &c, 1) == 1) {
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
	const char *ip = getenv("TCPREMOTEIP");
	ssize_t n;
	char c;

	do
		n = read(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		_exit(0); /* the login failed: nothing to do */
	if (c == 'n')
		log_msg(LOG_INFO, "not recording %.60s: NORELAY is set", ip ? ip : "(unset)");
	else
		login_record_waiting("roaming-checkpassword", ip);
	c = 'k';
	if (write(fd, &c, 1) != 1) {
		/* the hook stopped waiting; it went on anyway */
	}
	_exit(0);
}

/* Starts the recorder and returns the fd to hand to the hook, or -1 to
   run without recording. */
static int start_recorder(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_msg(LOG_ERR, "not recording: socketpair: %s", strerror(errno));
		return -1;
	}
	switch (login_fork_detached("roaming-checkpassword", sv[0])) {
	case 0:
		recorder(sv[0]);
		_exit(0);
	case -1:
		log_msg(LOG_ERR, "not recording: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[0]);
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
	free(nargv);
	return 111;
}

/* roaming-allow.c: records the client address of a login that has already
   been authenticated, with the store owner's rights, then execs PROG.

   roaming-allow PROG [ARGS...]

   For chains where the hook runs after authentication: a vpopmail uid, a
   Courier auth chain ($AUTHENTICATED set), a Dovecot post-login script
   ($IP). The address is $TCPREMOTEIP, else $IP. Recording never breaks the
   login: whatever fails goes to syslog and PROG runs as it would have, after
   at most a few seconds' wait.
   Nothing is written to stderr, which may be the client. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "login.h"

/* Records in a detached process and waits for it at most LOGIN_WAIT_MS,
   so a slow store (a lock held by a rebuild, a database far away) can
   delay the login a little but never hold it. */
static void record(const char *ip)
{
	struct pollfd p;
	int pipefd[2];
	char c;

	if (pipe(pipefd) == -1) {
		login_record(ip); /* no pipe: record in line */
		return;
	}
	switch (login_fork_detached("roaming-allow", pipefd[1])) {
	case 0:
		login_record(ip);
		_exit(0); /* closing the pipe tells the login to go on */
	case -1:
		close(pipefd[0]);
		close(pipefd[1]);
		login_record(ip);
		return;
	}
	close(pipefd[1]);
	p.fd = pipefd[0];
	p.events = POLLIN;
	if (poll(&p, 1, LOGIN_WAIT_MS) == 1 && read(pipefd[0], &c, 1) == -1) {
		/* done or not, the login goes on */
	}
	close(pipefd[0]);
}

int main(int argc, char **argv)
{
	const char *ip = getenv("TCPREMOTEIP"), *auth = getenv("AUTHENTICATED");

	log_init("roaming-allow");
	if (argc < 2) {
		log_msg(LOG_ERR, "usage: roaming-allow PROG [ARGS...]");
		return 2;
	}
	if (!ip)
		ip = getenv("IP");
	if (auth && !auth[0])
		/* a Courier chain sets AUTHENTICATED to the user once one succeeded */
		log_msg(LOG_INFO, "not recording %.60s: AUTHENTICATED is empty", ip ? ip : "(unset)");
	else if (getenv("NORELAY"))
		log_msg(LOG_INFO, "not recording %.60s: NORELAY is set", ip ? ip : "(unset)");
	else
		record(ip);
	execvp(argv[1], argv + 1);
	log_msg(LOG_ERR, "unable to run %s: %s", argv[1], strerror(errno));
	return 111;
}

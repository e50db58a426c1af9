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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "login.h"

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
		login_record_bounded("roaming-allow", ip);
	execvp(argv[1], argv + 1);
	log_msg(LOG_ERR, "unable to run %s: %s", argv[1], strerror(errno));
	return 111;
}

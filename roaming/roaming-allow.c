/* roaming-allow.c: records the client address of a login that has already
   been authenticated, with the store owner's rights, then execs PROG.

   roaming-allow PROG [ARGS...]

   For chains where the hook runs after authentication: a vpopmail uid, a
   Courier auth chain ($AUTHENTICATED set), a Dovecot post-login script
   ($IP). The address is $TCPREMOTEIP, else $IP. Recording never breaks the
   login: whatever fails goes to syslog and PROG runs as it would have.
   Nothing is written to stderr, which may be the client. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cfg.h"
#include "log.h"
#include "record.h"
#include "store.h"

static void record(void)
{
	const char *ip = getenv("TCPREMOTEIP"), *auth = getenv("AUTHENTICATED");
	char err[600];
	struct cfg cfg;
	struct store *st;
	struct record_result res;

	if (!ip)
		ip = getenv("IP");
	if (auth && !auth[0]) {
		/* a Courier chain sets AUTHENTICATED to the user once one succeeded */
		log_msg(LOG_INFO, "not recording %.60s: AUTHENTICATED is empty", ip ? ip : "(unset)");
		return;
	}
	if (getenv("NORELAY")) {
		log_msg(LOG_INFO, "not recording %.60s: NORELAY is set", ip ? ip : "(unset)");
		return;
	}
	if (cfg_load(&cfg, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", ip ? ip : "(unset)", err);
		return;
	}
	if (store_open(&cfg, &st, err, sizeof err) == -1) {
		log_msg(LOG_ERR, "not recording %.60s: %s", ip ? ip : "(unset)", err);
	} else {
		if (record_login(&cfg, st, ip, (long long)time(0), 0, &res, err, sizeof err) == -1)
			log_msg(errno == EINVAL ? LOG_WARNING : LOG_ERR, "not recording %.60s: %s",
			        ip ? ip : "(unset)", err);
		else if (res.what == STORE_NEW || res.stats.rebuilt)
			log_msg(LOG_INFO, "recorded %s (%s%s)", res.addr,
			        res.what == STORE_NEW ? "new" : "known", res.stats.rebuilt ? ", rebuilt" : "");
		st->ops->close(st);
	}
	cfg_free(&cfg);
}

int main(int argc, char **argv)
{
	log_init("roaming-allow");
	if (argc < 2) {
		log_msg(LOG_ERR, "usage: roaming-allow PROG [ARGS...]");
		return 2;
	}
	record();
	execvp(argv[1], argv + 1);
	log_msg(LOG_ERR, "unable to run %s: %s", argv[1], strerror(errno));
	return 111;
}

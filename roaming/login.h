/* login.h: what the login-path programs share: record one login and log
   the outcome, and run that work in a detached process. */
#ifndef LOGIN_H
#define LOGIN_H

#include "cfg.h"

#define LOGIN_WAIT_MS 3000    /* the longest a login waits for its recording */
#define LOGIN_WAIT_DB_MS 1000 /* ... when the store is a database: about a second */

/* How long a login waits for its recording with these settings. */
long login_wait_ms(const struct cfg *c);
/* Records ip, waiting for it at most login_wait_ms(): a database store is
   written in a detached process that goes on after the wait. */
void login_record_waiting(const char *ident, const char *ip);

/* Records ip (a TCPREMOTEIP value) with the settings in force and logs
   what happened; never prints, never fails the caller. */
void login_record(const char *ip);
/* The same for a login that must not wait long: the work is done here
   when the store's lock is free and nothing needs rebuilding (a known
   address), else in a detached process waited for at most login_wait_ms(). */
void login_record_bounded(const char *ident, const char *ip);
/* Forks a process detached from the session: stdio on /dev/null, every
   other fd but keepfd closed (not the client connection, not the password
   pipe), its own session, a fresh log. Returns 0 in that process, 1 in the
   caller (who never has to reap it), -1 if it could not start. */
int login_fork_detached(const char *ident, int keepfd);

#endif

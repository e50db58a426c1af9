/* login.h: what the login-path programs share: record one login and log
   the outcome, and run that work in a detached process. */
#ifndef LOGIN_H
#define LOGIN_H

#define LOGIN_WAIT_MS 3000 /* the longest a login waits for its recording */

/* Records ip (a TCPREMOTEIP value) with the settings in force and logs
   what happened; never prints, never fails the caller. */
void login_record(const char *ip);
/* The same for a login that must not wait long: the work is done here
   when the store's lock is free and nothing needs rebuilding (a known
   address), else in a detached process waited for at most LOGIN_WAIT_MS. */
void login_record_bounded(const char *ident, const char *ip);
/* Forks a process detached from the session: stdio on /dev/null, every
   other fd but keepfd closed (not the client connection, not the password
   pipe), its own session, a fresh log. Returns 0 in that process, 1 in the
   caller (who never has to reap it), -1 if it could not start. */
int login_fork_detached(const char *ident, int keepfd);

#endif

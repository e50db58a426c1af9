/* vpop-baseline.c: a vpopmail-style roaming baseline, written for the
   benchmarks (our own code, modelled on the behaviour described in
   /work/shared/notes/vpopmail-roaming.md; nothing of vpopmail is copied).

   vpop-baseline login PROG [ARGS...]   record $TCPREMOTEIP, then exec PROG
   vpop-baseline clear                  vpopmail's clearopensmtp

   Environment: VPOP_ETC (the directory holding open-smtp, open-smtp.lock,
   tcp.smtp and tcp.smtp.cdb), VPOP_TCPRULES (default /usr/bin/tcprules),
   VPOP_CLEAR_MINUTES (default 180).

   What it does, as vpopmail 5.4/5.6 does with the cdb backend and
   FILE_LOCKING: every login takes an fcntl lock on open-smtp.lock without
   blocking, retrying 10 times with 2 s sleeps and then carrying on without
   it; copies every open-smtp line except the client's to open-smtp.tmp.PID,
   appends the client's fresh line and renames the copy over open-smtp; and
   if the client was not in the file, pipes tcp.smtp plus the open-smtp lines
   (time cut off) into a forked real tcprules while still holding the lock.
   clearopensmtp takes no lock and always runs tcprules. These costs and
   races are what roaming is measured against, so they are kept on purpose. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "vpop-baseline.h"

#define MAX_BUFF 300       /* vpopmail's line buffer */
#define MAX_TRY_LOCK 10    /* get_write_lock's tries */

static int path2(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, VPOP_PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= VPOP_PATH_MAX ? -1 : 0;
}

int vpop_init(struct vpop *v, const char *etc, const char *tcprules, unsigned long clear_minutes)
{
	int n;

	memset(v, 0, sizeof *v);
	v->clear_minutes = clear_minutes;
	n = snprintf(v->tcprules, sizeof v->tcprules, "%s", tcprules);
	if (n < 0 || (size_t)n >= sizeof v->tcprules)
		return -1;
	return path2(v->open_smtp, etc, "open-smtp") == -1 || path2(v->lock, etc, "open-smtp.lock") == -1
	    || path2(v->tmp, etc, "open-smtp.tmp") == -1 || path2(v->tcp_file, etc, "tcp.smtp") == -1
	    || path2(v->cdb, etc, "tcp.smtp.cdb") == -1 ? -1 : 0;
}

/* get_write_lock(): F_SETLK, never F_SETLKW; 10 tries, 2 s apart. */
static int get_write_lock(struct vpop *v, int fd)
{
	struct flock fl;
	int tries = 0;

	for (;;) {
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != ENOLCK)
			return -2;
		if (++tries < MAX_TRY_LOCK) {
			sleep(2);
			continue;
		}
		++v->busy;
		fprintf(stderr, "File busy try again later!\n");
		return -1;
	}
}

static void unlock_lock(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof fl);
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	fcntl(fd, F_SETLK, &fl);
}

/* tcprules_open(): a pipe into TCPRULES_PROG TCP_FILE.cdb TCP_FILE.tmp.PID. */
static pid_t tcprules_open(const struct vpop *v, char *tmp, size_t tmplen, int *wfd)
{
	int pim[2], n;
	pid_t pid;
	char *args[4];

	n = snprintf(tmp, tmplen, "%s.tmp.%lu", v->tcp_file, (unsigned long)getpid());
	if (n < 0 || (size_t)n >= tmplen)
		return -1;
	if (pipe(pim) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		close(pim[0]);
		close(pim[1]);
		return -1;
	}
	if (pid == 0) {
		close(pim[1]);
		if (pim[0] != 0) {
			if (dup2(pim[0], 0) == -1)
				_exit(120);
			close(pim[0]);
		}
		args[0] = (char *)v->tcprules;
		args[1] = (char *)v->cdb;
		args[2] = tmp;
		args[3] = 0;
		execv(args[0], args);
		_exit(120);
	}
	close(pim[0]);
	*wfd = pim[1];
	return pid;
}

static int write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int vpop_update_rules(const struct vpop *v)
{
	char tmp[VPOP_PATH_MAX], line[MAX_BUFF];
	FILE *fs;
	pid_t pid;
	int fd, wstat, r = 0;
	size_t n;

	pid = tcprules_open(v, tmp, sizeof tmp, &fd);
	if (pid == -1)
		return -1;
	/* tcp.smtp verbatim, line by line, as vpopmail copies it */
	if ((fs = fopen(v->tcp_file, "r")) != 0) {
		while (fgets(line, sizeof line, fs))
			if (write_all(fd, line, strlen(line)) == -1)
				r = -1;
		fclose(fs);
	}
	/* then every open-smtp line up to its tab */
	if ((fs = fopen(v->open_smtp, "r")) != 0) {
		while (fgets(line, sizeof line, fs)) {
			n = strcspn(line, "\t\n");
			line[n] = '\n';
			if (write_all(fd, line, n + 1) == -1)
				r = -1;
		}
		fclose(fs);
	}
	close(fd);
	while (waitpid(pid, &wstat, 0) == -1)
		if (errno != EINTR)
			return -1;
	/* a failed tcprules leaves its temp file behind */
	if (unlink(tmp) == 0 || !WIFEXITED(wstat) || WEXITSTATUS(wstat) != 0)
		r = -1;
	return r;
}

int vpop_open_smtp_relay(struct vpop *v, const char *ip)
{
	char tmpname[VPOP_PATH_MAX], line[MAX_BUFF];
	FILE *cur, *tmp;
	int lk, n, rebuild_cdb = 1, r = 0;
	size_t iplen = strlen(ip), klen;

	lk = open(v->lock, O_WRONLY | O_CREAT, 0600);
	if (lk == -1)
		return -1;
	get_write_lock(v, lk); /* vpopmail ignores a busy lock and carries on */
	if (!(cur = fopen(v->open_smtp, "r+")) && !(cur = fopen(v->open_smtp, "w+"))) {
		r = -1;
		goto unlock;
	}
	n = snprintf(tmpname, sizeof tmpname, "%s.%lu", v->tmp, (unsigned long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmpname || !(tmp = fopen(tmpname, "w+"))) {
		fclose(cur);
		r = -1;
		goto unlock;
	}
	/* every line but the client's; the address ends at the first ':' */
	while (fgets(line, sizeof line, cur)) {
		klen = strcspn(line, ":");
		if (klen == iplen && memcmp(line, ip, iplen) == 0)
			rebuild_cdb = 0;
		else
			fputs(line, tmp);
	}
	fprintf(tmp, "%s:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t%d\n", ip, (int)time(0));
	fclose(cur);
	if (fclose(tmp) == EOF || rename(tmpname, v->open_smtp) == -1) {
		unlink(tmpname);
		r = -1;
		goto unlock;
	}
	if (rebuild_cdb)
		r = vpop_update_rules(v) == -1 ? -1 : 1;
unlock:
	unlock_lock(lk);
	close(lk);
	return r;
}

int vpop_clearopensmtp(const struct vpop *v)
{
	char line[MAX_BUFF];
	FILE *cur, *tmp;
	time_t now = time(0), age = (time_t)v->clear_minutes * 60;
	char *tab;
	long ts;

	if (!(cur = fopen(v->open_smtp, "r")))
		return vpop_update_rules(v);
	if (!(tmp = fopen(v->tmp, "w"))) {
		fclose(cur);
		return -1;
	}
	while (fgets(line, sizeof line, cur)) {
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		ts = strtol(tab + 1, 0, 10);
		if ((time_t)ts + age > now)
			fputs(line, tmp);
	}
	fclose(cur);
	if (fclose(tmp) == EOF || rename(v->tmp, v->open_smtp) == -1) {
		unlink(v->tmp);
		return -1;
	}
	return vpop_update_rules(v);
}

#ifndef VPOP_BASELINE_LIB
/* get_remote_ip(): strips an IPv4-mapped prefix and replaces what is not
   [A-Za-z0-9_.@-] with '_' (vpopmail's "sanitising"; the benchmark only
   ever gives it dotted IPv4 addresses). */
static int remote_ip(char *out, size_t outlen)
{
	const char *ip = getenv("TCPREMOTEIP");
	size_t i;
	int n;

	if (!ip)
		return -1;
	if (strncmp(ip, "::ffff:", 7) == 0)
		ip += 7;
	n = snprintf(out, outlen, "%s", ip);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	for (i = 0; out[i]; ++i)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-", out[i]))
			out[i] = '_';
	return 0;
}

int main(int argc, char **argv)
{
	const char *etc = getenv("VPOP_ETC"), *prog = getenv("VPOP_TCPRULES"), *min = getenv("VPOP_CLEAR_MINUTES");
	struct vpop v;
	char ip[40];

	if (argc < 2 || !etc
	    || vpop_init(&v, etc, prog ? prog : "/usr/bin/tcprules", min ? strtoul(min, 0, 10) : 180) == -1) {
		fprintf(stderr, "usage: VPOP_ETC=DIR vpop-baseline login PROG [ARGS...] | clear\n");
		return 100;
	}
	if (strcmp(argv[1], "clear") == 0)
		return vpop_clearopensmtp(&v) == -1 ? 111 : 0;
	if (strcmp(argv[1], "login") != 0 || argc < 3) {
		fprintf(stderr, "usage: VPOP_ETC=DIR vpop-baseline login PROG [ARGS...] | clear\n");
		return 100;
	}
	/* vchkpw ignores what open_smtp_relay() returns: the login goes on */
	if (remote_ip(ip, sizeof ip) == 0)
		vpop_open_smtp_relay(&v, ip);
	execv(argv[2], argv + 2);
	fprintf(stderr, "vpop-baseline: unable to run %s\n", argv[2]);
	return 111;
}
#endif

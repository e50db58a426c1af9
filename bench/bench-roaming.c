/* bench-roaming.c: the timing driver behind bench/b-roaming.sh.

   bench-roaming spawn ROUNDS ADDRFILE VARIANT [-- VARIANT...]
       VARIANT is NAME REPS PREP INPUT CMD [ARGS...]. Runs the variants in
       alternation (a variant with fewer REPS runs in evenly spread rounds),
       each run a fork+exec of CMD timed from fork to reaped exit. PREP ("-"
       for none) is a /bin/sh command run untimed before each run; INPUT is
       "-" (/dev/null), a file for stdin, or "3<FILE" for fd 3. With an
       ADDRFILE (not "-"), each variant's n-th run gets its n-th line as
       TCPREMOTEIP. Prints "result NAME MEDIAN_US P10_US P90_US RUNS FAILED".
   bench-roaming record ROUNDS BATCH ADDRFILE VPOP_ETC
       In-process bookkeeping of known-address logins: BATCH calls of
       roaming's record_login (settings from the environment), then one of
       the baseline's open_smtp_relay, alternating; prints both per login.
   bench-roaming burst N ADDRFILE ERRFILE DEADLINE CMD [ARGS...]
       Forks N logins held at a barrier, each with the next address as
       TCPREMOTEIP and stderr appended to ERRFILE, releases them at once and
       waits for all, or kills what is left after DEADLINE seconds. If
       $ROAMING_LOGSOCKET is set it listens there, counts the "rebuilt" log
       lines, and also waits for every login's "recorded"/"not recording"
       line (roaming records in a detached process, which a login waits
       for only so long). Prints "burst MS N FAILED REBUILDS KILLED".
   bench-roaming check CDB ADDRFILE
       Prints how many addresses have a record of their own in CDB that
       sets RELAYCLIENT (and denies nothing).
   bench-roaming gen RULESCDB SEED COUNT
       Prints COUNT distinct IPv4 addresses that no rule of RULESCDB but
       the catch-all matches, so each one gets a roaming record.
   bench-roaming exec PROG [ARGS...]
       Does nothing but exec PROG: the floor of any chain-loading hook. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cdb.h>
#include "cfg.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "vpop-baseline.h"

static void fatal(const char *msg)
{
	fprintf(stderr, "bench-roaming: fatal: %s\n", msg);
	exit(111);
}

static void fatal_sys(const char *msg)
{
	fprintf(stderr, "bench-roaming: fatal: %s: %s\n", msg, strerror(errno));
	exit(111);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- address lists ---- */

struct addrs {
	char **v;
	size_t n;
};

static void addrs_read(struct addrs *a, const char *path)
{
	char line[128];
	size_t cap = 0;
	FILE *f;

	a->v = 0;
	a->n = 0;
	if (strcmp(path, "-") == 0)
		return;
	if (!(f = fopen(path, "r")))
		fatal_sys(path);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (a->n == cap) {
			char **v;
			cap = cap ? cap * 2 : 1024;
			if (!(v = realloc(a->v, cap * sizeof *v)))
				fatal("out of memory");
			a->v = v;
		}
		if (!(a->v[a->n] = strdup(line)))
			fatal("out of memory");
		++a->n;
	}
	fclose(f);
}

static void addrs_free(struct addrs *a)
{
	size_t i;

	for (i = 0; i < a->n; ++i)
		free(a->v[i]);
	free(a->v);
	a->v = 0;
	a->n = 0;
}

/* ---- statistics ---- */

static int cmp_ll(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return a < b ? -1 : a > b;
}

/* Prints "result NAME MEDIAN P10 P90 N FAILED" in microseconds. */
static void report(const char *name, long long *ns, size_t n, unsigned long failed)
{
	if (!n) {
		printf("result %s - - - 0 %lu\n", name, failed);
		return;
	}
	qsort(ns, n, sizeof *ns, cmp_ll);
	printf("result %s %.1f %.1f %.1f %zu %lu\n", name, ns[n / 2] / 1e3, ns[n / 10] / 1e3,
	       ns[n - 1 - n / 10] / 1e3, n, failed);
}

/* ---- spawn ---- */

struct variant {
	const char *name;
	unsigned long reps, done, failed;
	const char *prep, *input;
	char **argv;
	long long *ns;
};

static int run_shell(const char *cmd)
{
	int st;
	pid_t pid = fork();

	if (pid == -1)
		fatal_sys("fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)0);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fatal_sys("waitpid");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* In the child: stdin (or fd 3) from input, stdout to /dev/null, stderr
   to errfd (or /dev/null). */
static void child_fds(const char *input, int errfd)
{
	int fd, target = 0;

	if (input[0] == '3' && input[1] == '<') {
		target = 3;
		input += 2;
	}
	fd = open(strcmp(input, "-") == 0 ? "/dev/null" : input, O_RDONLY);
	if (fd == -1)
		_exit(126);
	if (fd != target) {
		if (dup2(fd, target) == -1)
			_exit(126);
		close(fd);
	}
	if (target == 3) {
		fd = open("/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, 0) == -1)
			_exit(126);
		if (fd != 0)
			close(fd);
	}
	fd = open("/dev/null", O_WRONLY);
	if (fd == -1 || dup2(fd, 1) == -1 || dup2(errfd >= 0 ? errfd : fd, 2) == -1)
		_exit(126);
	if (fd > 2)
		close(fd);
	if (errfd > 2)
		close(errfd);
}

static long long run_once(struct variant *v, const struct addrs *a)
{
	long long t0, t1;
	pid_t pid;
	int st;

	if (v->prep && run_shell(v->prep) == -1)
		fatal("a PREP command failed");
	if (a->n && setenv("TCPREMOTEIP", a->v[v->done % a->n], 1) == -1)
		fatal_sys("setenv");
	t0 = now_ns();
	pid = fork();
	if (pid == -1)
		fatal_sys("fork");
	if (pid == 0) {
		child_fds(v->input, -1);
		execv(v->argv[0], v->argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fatal_sys("waitpid");
	t1 = now_ns();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		++v->failed;
	return t1 - t0;
}

static int do_spawn(int argc, char **argv)
{
	struct variant vs[16];
	struct addrs a;
	unsigned long rounds, r;
	size_t nv = 0, i, k;
	int j = 4;

	if (argc < 9)
		fatal("usage: spawn ROUNDS ADDRFILE NAME REPS PREP INPUT CMD... [-- ...]");
	rounds = strtoul(argv[2], 0, 10);
	addrs_read(&a, argv[3]);
	while (j < argc) {
		struct variant *v;
		if (nv == sizeof vs / sizeof *vs)
			fatal("too many variants");
		if (argc - j < 5)
			fatal("a variant needs NAME REPS PREP INPUT CMD");
		v = &vs[nv++];
		memset(v, 0, sizeof *v);
		v->name = argv[j];
		v->reps = strtoul(argv[j + 1], 0, 10);
		if (v->reps > rounds)
			v->reps = rounds;
		v->prep = strcmp(argv[j + 2], "-") == 0 ? 0 : argv[j + 2];
		v->input = argv[j + 3];
		v->argv = argv + j + 4;
		for (j += 4; j < argc && strcmp(argv[j], "--") != 0; ++j)
			;
		if (j < argc)
			argv[j++] = 0; /* ends this variant's argv */
		if (!(v->ns = calloc(v->reps ? v->reps : 1, sizeof *v->ns)))
			fatal("out of memory");
	}
	for (r = 0; r < rounds; ++r) {
		/* rotate who goes first, so no variant always follows another */
		for (k = 0; k < nv; ++k) {
			struct variant *v = &vs[(r + k) % nv];
			/* spread a variant's REPS evenly over the rounds */
			if ((r + 1) * v->reps / rounds > r * v->reps / rounds) {
				v->ns[v->done] = run_once(v, &a);
				++v->done;
			}
		}
	}
	for (i = 0; i < nv; ++i) {
		report(vs[i].name, vs[i].ns, vs[i].done, vs[i].failed);
		free(vs[i].ns);
	}
	addrs_free(&a);
	return 0;
}

/* ---- record: bookkeeping in-process ---- */

static int do_record(int argc, char **argv)
{
	char err[600];
	struct cfg cfg;
	struct store *st;
	struct record_result res;
	struct vpop vp;
	struct addrs a;
	unsigned long rounds, batch, r, b, failed = 0, vfailed = 0;
	long long *rns, *vns, t0;
	size_t ai = 0, vi = 0;

	if (argc != 6)
		fatal("usage: record ROUNDS BATCH ADDRFILE VPOP_ETC");
	rounds = strtoul(argv[2], 0, 10);
	batch = strtoul(argv[3], 0, 10);
	addrs_read(&a, argv[4]);
	if (!rounds || !batch || !a.n)
		fatal("record: nothing to do");
	if (vpop_init(&vp, argv[5], "/usr/bin/tcprules", 180) == -1)
		fatal("record: VPOP_ETC too long");
	if (cfg_load(&cfg, err, sizeof err) == -1 || store_open(&cfg, &st, err, sizeof err) == -1)
		fatal(err);
	signal(SIGPIPE, SIG_IGN); /* the baseline writes into tcprules' pipe */
	rns = calloc(rounds, sizeof *rns);
	vns = calloc(rounds, sizeof *vns);
	if (!rns || !vns)
		fatal("out of memory");
	for (r = 0; r < rounds; ++r) {
		t0 = now_ns();
		for (b = 0; b < batch; ++b) {
			if (record_login(&cfg, st, a.v[ai++ % a.n], (long long)time(0), 0, &res, err, sizeof err) == -1
			    || res.stats.rebuilt)
				++failed; /* a known address must neither fail nor rebuild */
		}
		rns[r] = (now_ns() - t0) / (long long)batch;
		t0 = now_ns();
		if (vpop_open_smtp_relay(&vp, a.v[vi++ % a.n]) != 0)
			++vfailed; /* known: 0, no rebuild */
		vns[r] = now_ns() - t0;
	}
	report("roaming-record", rns, rounds, failed);
	report("vpop-record", vns, rounds, vfailed);
	st->ops->close(st);
	cfg_free(&cfg);
	free(rns);
	free(vns);
	addrs_free(&a);
	return 0;
}

/* ---- burst ---- */

static int log_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd, size = 1 << 20;

	if (strlen(path) >= sizeof sun.sun_path)
		fatal("ROAMING_LOGSOCKET too long");
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		fatal_sys("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		fatal_sys("bind ROAMING_LOGSOCKET");
	return fd;
}

struct logcount {
	unsigned long done;     /* logins whose recording ended: recorded or not */
	unsigned long rebuilds; /* of them, those that rebuilt */
	unsigned long refused;  /* and those that could not record */
	long long last;         /* when the last of them was logged */
};

static void log_drain(int fd, struct logcount *lc)
{
	char msg[1300];
	ssize_t n;

	while ((n = recv(fd, msg, sizeof msg - 1, 0)) > 0) {
		msg[n] = 0;
		if (strstr(msg, "rebuilt"))
			++lc->rebuilds;
		if (strstr(msg, "not recording") && !lc->refused++)
			fprintf(stderr, "bench-roaming: burst: the first refusal: %s\n", msg);
		if (strstr(msg, "recorded ") || strstr(msg, "not recording")) {
			++lc->done;
			lc->last = now_ns();
		}
	}
}

static int do_burst(int argc, char **argv)
{
	const char *sock = getenv("ROAMING_LOGSOCKET");
	struct addrs a;
	unsigned long n, i, left, failed = 0, killed = 0;
	struct logcount lc = { 0, 0, 0, 0 };
	int barrier[2], errfd, lfd = -1, st;
	long long t0, t1, deadline;
	pid_t pid = 0;
	char c;

	if (argc < 7)
		fatal("usage: burst N ADDRFILE ERRFILE DEADLINE CMD [ARGS...]");
	n = strtoul(argv[2], 0, 10);
	deadline = (long long)strtoul(argv[5], 0, 10) * 1000000000;
	/* a group of our own, so a deadline can stop every login and child */
	if (setpgid(0, 0) == -1)
		fatal_sys("setpgid");
	addrs_read(&a, argv[3]);
	if (a.n < n)
		fatal("burst: fewer addresses than logins");
	errfd = open(argv[4], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (errfd == -1)
		fatal_sys(argv[4]);
	if (sock && sock[0])
		lfd = log_listen(sock);
	if (pipe(barrier) == -1)
		fatal_sys("pipe");
	for (i = 0; i < n; ++i) {
		pid = fork();
		if (pid == -1)
			fatal_sys("fork");
		if (pid == 0) {
			close(barrier[1]);
			if (lfd != -1)
				close(lfd);
			/* wait until every login exists, then all go at once */
			while (read(barrier[0], &c, 1) == -1 && errno == EINTR)
				;
			close(barrier[0]);
			if (setenv("TCPREMOTEIP", a.v[i], 1) == -1)
				_exit(126);
			child_fds("-", errfd);
			execv(argv[6], argv + 6);
			_exit(127);
		}
	}
	close(barrier[0]);
	t0 = now_ns();
	close(barrier[1]);
	t1 = t0;
	for (left = n; left > 0 || (lfd != -1 && lc.done < n);) {
		struct pollfd p = { lfd, POLLIN, 0 };

		poll(&p, lfd != -1 ? 1 : 0, 5);
		if (lfd != -1)
			log_drain(lfd, &lc);
		if (now_ns() - t0 > deadline) {
			if (!left)
				break; /* recordings that never logged count as failed */
			if (!killed) {
				signal(SIGTERM, SIG_IGN);
				kill(0, SIGTERM);
				killed = left;
			}
		}
		while (left > 0 && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
			--left;
			t1 = now_ns();
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				++failed;
		}
		if (pid == -1 && errno != EINTR)
			fatal_sys("waitpid");
	}
	if (lfd != -1) {
		log_drain(lfd, &lc);
		close(lfd);
		if (lc.last > t1)
			t1 = lc.last;
		if (lc.done < n)
			failed += n - lc.done;
		unlink(sock);
	}
	close(errfd);
	addrs_free(&a);
	/* a refused recording is a failure even though the login went on */
	printf("burst %.1f %lu %lu %lu %lu\n", (t1 - t0) / 1e6, n, failed + lc.refused, lc.rebuilds, killed);
	return 0;
}

/* ---- check and gen ---- */

static int open_cdb(const char *path, struct cdb *c)
{
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		fatal_sys(path);
	if (cdb_init(c, fd) == -1)
		fatal_sys(path);
	return fd;
}

static int do_check(int argc, char **argv)
{
	struct cdb c;
	struct addrs a;
	const char *data;
	size_t i, dlen, ok = 0;
	int fd;

	if (argc != 4)
		fatal("usage: check CDB ADDRFILE");
	addrs_read(&a, argv[3]);
	fd = open_cdb(argv[2], &c);
	for (i = 0; i < a.n; ++i)
		if (rules_cdb_find(&c, a.v[i], strlen(a.v[i]), &data, &dlen) == 1
		    && !rules_data_denies(data, dlen) && rules_data_sets(data, dlen, "RELAYCLIENT"))
			++ok;
	printf("%zu\n", ok);
	cdb_free(&c);
	close(fd);
	addrs_free(&a);
	return 0;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int do_gen(int argc, char **argv)
{
	struct rules_match m = { 0, BUF_INIT, 0, 0 };
	struct cdb c;
	unsigned long count, made = 0;
	uint32_t off, i;
	char ip[16];
	int fd;

	if (argc != 5)
		fatal("usage: gen RULESCDB SEED COUNT");
	rng = strtoull(argv[3], 0, 10);
	count = strtoul(argv[4], 0, 10);
	fd = open_cdb(argv[2], &c);
	off = (uint32_t)rnd();
	/* an odd multiplier is a bijection mod 2^32: no address twice */
	for (i = 0; made < count; ++i) {
		uint32_t v = i * 2246822519u + off;
		unsigned o1 = v >> 24;
		if (i == UINT32_MAX)
			fatal("gen: ran out of addresses");
		if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224)
			continue;
		snprintf(ip, sizeof ip, "%u.%u.%u.%u", o1, (v >> 16) & 255, (v >> 8) & 255, v & 255);
		if (rules_lookup(rules_cdb_find, &c, ip, 0, 0, &m) == -1)
			fatal_sys("lookup");
		if (m.found && m.key.len != 0)
			continue; /* an exact line or a prefix of tcp.smtp covers it */
		printf("%s\n", ip);
		++made;
	}
	rules_match_free(&m);
	cdb_free(&c);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
		execv(argv[2], argv + 2);
		return 127;
	}
	if (argc >= 2 && strcmp(argv[1], "spawn") == 0)
		return do_spawn(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "record") == 0)
		return do_record(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "burst") == 0)
		return do_burst(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return do_check(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "gen") == 0)
		return do_gen(argc, argv);
	fputs("usage: bench-roaming spawn|record|burst|check|gen|exec ...\n", stderr);
	return 100;
}

/* gen-maillog.c: writes a mixed mail log for the log watcher's tests and
   benchmark: Postfix and other noise, successful and failed POP3/IMAP
   logins of every format roaming-logwatch knows, and hostile lines.

   gen-maillog LINES SEED [EXPECTED]

   The log goes to stdout. EXPECTED, if given, receives one line per
   successful login in the form tcpserver looks addresses up: the addresses
   the watcher must record, and no others. Successful logins come from
   10.0.0.0/8 and 2001:db8::/32, failed ones from 172.16.0.0/12; hostile
   lines try to get 203.0.113.0/24 recorded and must not. Deterministic for
   a given SEED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng_state;

static unsigned long long rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static const char *const users[] = {
	"joe", "ann@example.com", "bob", "carol@example.org", "dave.smith", "erin",
	"frank@mail.example.net", "gina", "hank_99", "ivy@example.com",
};
#define NUSERS (sizeof users / sizeof users[0])

static char ts[32];
static unsigned long secs;
static FILE *expected;

static void stamp(void)
{
	static const char *const mon[] = { "Nov" };
	unsigned long s = secs / 3; /* about three lines a second */

	snprintf(ts, sizeof ts, "%s %2lu %02lu:%02lu:%02lu", mon[0], 1 + (s / 86400) % 28,
	         (s / 3600) % 24, (s / 60) % 60, s % 60);
	++secs;
}

/* A client address of a successful login: a pool, so addresses repeat.
   shown is the form in the log line (mapped_ok: sometimes ::ffff:a.b.c.d). */
static void good_addr(char *v4, size_t n, char *shown, size_t sn, int mapped_ok, int v4only)
{
	unsigned k = pick(4000);

	if (k % 10 == 9 && !v4only) {
		snprintf(v4, n, "2001:db8::%x:%x", k / 256 + 1, k % 256 + 1);
		snprintf(shown, sn, "%s", v4);
	} else {
		snprintf(v4, n, "10.%u.%u.%u", k / 250 + 1, k % 250 + 1, 1 + k % 7);
		if (mapped_ok && k % 3 == 0)
			snprintf(shown, sn, "::ffff:%s", v4);
		else
			snprintf(shown, sn, "%s", v4);
	}
	if (expected)
		fprintf(expected, "%s\n", v4);
}

static void bad_addr(char *b, size_t n)
{
	snprintf(b, n, "172.%u.%u.%u", 16 + pick(16), pick(256), 1 + pick(254));
}

static void noise(unsigned k)
{
	char ip[64];
	unsigned id = pick(0xfffff);

	bad_addr(ip, sizeof ip);
	switch (k % 12) {
	case 0:
		printf("%s mail postfix/smtpd[%u]: connect from unknown[%s]\n", ts, 1000 + pick(9000), ip);
		break;
	case 1:
		printf("%s mail postfix/smtpd[%u]: disconnect from unknown[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n",
		       ts, 1000 + pick(9000), ip);
		break;
	case 2:
		printf("%s mail postfix/qmgr[812]: %05X%05X: from=<%s>, size=%u, nrcpt=1 (queue active)\n",
		       ts, id, id ^ 0x5a5a5, users[pick(NUSERS)], 1000 + pick(90000));
		break;
	case 3:
		printf("%s mail postfix/smtp[%u]: %05X%05X: to=<someone@example.org>, relay=mx.example.org[198.51.100.%u]:25,"
		       " delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)\n",
		       ts, 1000 + pick(9000), id, id ^ 0x5a5a5, 1 + pick(254));
		break;
	case 4:
		printf("%s mail postfix/cleanup[%u]: %05X%05X: message-id=<%u.%u@example.com>\n",
		       ts, 1000 + pick(9000), id, id ^ 0x5a5a5, pick(100000), pick(100000));
		break;
	case 5:
		printf("%s mail postfix/smtpd[%u]: NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 <x@example.org>:"
		       " Relay access denied; from=<spam@example.biz> to=<x@example.org> proto=ESMTP helo=<pc>\n",
		       ts, 1000 + pick(9000), ip);
		break;
	case 6:
		printf("%s mail dovecot: imap(%s)<%u><s%05X>: Disconnected: Logged out in=%u out=%u\n",
		       ts, users[pick(NUSERS)], 2000 + pick(9000), id, pick(900), pick(90000));
		break;
	case 7:
		printf("%s mail dovecot: lmtp(%s)<%u><s%05X>: msgid=<%u@example.com>: saved mail to INBOX\n",
		       ts, users[pick(NUSERS)], 2000 + pick(9000), id, pick(100000));
		break;
	case 8:
		printf("%s mail dovecot: pop3(%s)<%u><s%05X>: Disconnected: Logged out top=0/0, retr=1/%u, del=1/1, size=%u\n",
		       ts, users[pick(NUSERS)], 2000 + pick(9000), id, pick(9000), pick(9000));
		break;
	case 9:
		printf("%s mail CRON[%u]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)\n",
		       ts, 3000 + pick(9000));
		break;
	case 10:
		printf("%s mail sshd[%u]: Failed password for invalid user admin from %s port %u ssh2\n",
		       ts, 3000 + pick(9000), ip, 1024 + pick(60000));
		break;
	default:
		printf("%s mail kernel: [%u.%06u] IPv4: martian source 10.1.1.1 from %s, on dev eth0\n",
		       ts, pick(999999), pick(999999), ip);
		break;
	}
}

static void failed(unsigned k)
{
	char ip[64];
	const char *u = users[pick(NUSERS)];

	bad_addr(ip, sizeof ip);
	switch (k % 7) {
	case 0:
		printf("%s mail dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<%s>,"
		       " method=PLAIN, rip=%s, lip=192.0.2.1, session=<F%08X>\n", ts, u, ip, pick(0xffffffff));
		break;
	case 1:
		printf("%s mail dovecot: imap-login: Aborted login (auth failed, 2 attempts in 8 secs): user=<%s>,"
		       " method=PLAIN, rip=%s, lip=192.0.2.1, TLS, session=<F%08X>\n", ts, u, ip, pick(0xffffffff));
		break;
	case 2:
		printf("%s mail pop3d: LOGIN FAILED, user=%s, ip=[::ffff:%s]\n", ts, u, ip);
		break;
	case 3:
		printf("%s mail ipop3d[%u]: Login failure user=%s host=[%s]\n", ts, 4000 + pick(9000), u, ip);
		break;
	case 4:
		printf("%s mail imap[%u]: badlogin: [%s] plaintext %s SASL(-13): authentication failure: checkpass failed\n",
		       ts, 4000 + pick(9000), ip, u);
		break;
	case 5:
		printf("%s mail vpopmail[%u]: vchkpw-pop3: password fail %s@example.com:%s\n", ts, 4000 + pick(9000), u, ip);
		break;
	default:
		/* SMTP AUTH success: never opens the relay */
		printf("%s mail vpopmail[%u]: vchkpw-smtp: (PLAIN) login success %s@example.com:%s\n",
		       ts, 4000 + pick(9000), u, ip);
		break;
	}
}

static void success(unsigned k)
{
	char a[64], shown[80];
	const char *u = users[pick(NUSERS)];
	unsigned pid = 5000 + pick(9000);

	switch (k % 9) {
	case 0:
	case 1:
		good_addr(a, sizeof a, shown, sizeof shown, 0, 0);
		printf("%s mail dovecot: %s-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=192.0.2.1, mpid=%u,%s"
		       " session=<S%08X>\n", ts, k % 2 ? "imap" : "pop3", u, shown, pid, k % 2 ? " TLS," : "",
		       pick(0xffffffff));
		break;
	case 2:
		good_addr(a, sizeof a, shown, sizeof shown, 1, 0);
		printf("%s mail imapd-ssl: LOGIN, user=%s, ip=[%s], port=[%u], protocol=IMAP\n", ts, u, shown,
		       1024 + pick(60000));
		break;
	case 3:
		good_addr(a, sizeof a, shown, sizeof shown, 0, 0);
		printf("%s mail ipop3d[%u]: Login user=%s host=pc%u.example.net [%s] nmsgs=%u/%u\n", ts, pid, u,
		       pick(999), shown, pick(9), pick(9) + 9);
		break;
	case 4:
		good_addr(a, sizeof a, shown, sizeof shown, 0, 0);
		printf("%s mail imap[%u]: login: [%s] %s PLAIN+TLS User logged in SESSIONID=<cyrus-%u-1>\n", ts, pid,
		       shown, strchr(u, '@') ? "cyrususer" : u, pid);
		break;
	case 5:
		good_addr(a, sizeof a, shown, sizeof shown, 0, 0);
		printf("%s mail in.qpopper[%u]: (v4.0.9) POP login by user \"%s\" at (%s) %s\n", ts, pid, u, shown, shown);
		break;
	case 6:
		good_addr(a, sizeof a, shown, sizeof shown, 0, 0);
		printf("%s mail vm-pop3d[%u]: User '%s' logged in from %s, nmsgs=%u\n", ts, pid, u, shown, pick(20));
		break;
	case 7:
		/* vchkpw logs IPv4 only */
		good_addr(a, sizeof a, shown, sizeof shown, 0, 1);
		printf("%s mail vpopmail[%u]: vchkpw-pop3: (PLAIN) login success %s@example.com:%s\n", ts, pid,
		       strchr(u, '@') ? "vuser" : u, shown);
		break;
	default:
		/* a user name holding a forged address: the real one is recorded */
		good_addr(a, sizeof a, shown, sizeof shown, 0, 0);
		printf("%s mail dovecot: pop3-login: Login: user=<%s rip=203.0.113.%u>, method=PLAIN, rip=%s,"
		       " lip=192.0.2.1, mpid=%u, session=<S%08X>\n", ts, u, 1 + pick(254), shown, pid, pick(0xffffffff));
		break;
	}
}

static void hostile(unsigned k)
{
	unsigned f = 1 + pick(254);
	char ip[64];

	bad_addr(ip, sizeof ip);
	switch (k % 6) {
	case 0:
		printf("%s mail dovecot: pop3-login: Login: user=<x>, method=PLAIN, rip=203.0.113.%u, lip=1.1.1.1>,"
		       " method=PLAIN, rip=%s, lip=192.0.2.1, mpid=1, session=<H%04X>\n", ts, f, ip, pick(0xffff));
		break;
	case 1:
		printf("%s mail postfix/smtpd[%u]: NOQUEUE: reject: RCPT from x[%s]: 554 Relay access denied;"
		       " from=<dovecot: pop3-login: Login: user=<y>, method=PLAIN, rip=203.0.113.%u> to=<a@b.c>\n",
		       ts, 1000 + pick(9000), ip, f);
		break;
	case 2:
		printf("%s mail postfix/cleanup[%u]: warning: header Subject: hi#012%s mail dovecot: pop3-login: Login:"
		       " user=<y>, method=PLAIN, rip=203.0.113.%u, lip=1.1.1.1\n", ts, 1000 + pick(9000), ts, f);
		break;
	case 3:
		printf("%s mail ipop3d[%u]: Login user=x host=[203.0.113.%u] nmsgs=1/1 host=pc.example.net [%s] nmsgs=1/1\n",
		       ts, 4000 + pick(9000), f, ip);
		break;
	case 4:
		printf("%s mail pop3d: LOGIN FAILED, user=LOGIN, user=x, ip=[203.0.113.%u], ip=[::ffff:%s]\n", ts, f, ip);
		break;
	default:
		printf("%s mail sshd[%u]: pop3-login: Login: user=<y>, method=PLAIN, rip=203.0.113.%u, lip=1.1.1.1\n",
		       ts, 3000 + pick(9000), f);
		break;
	}
}

int main(int argc, char **argv)
{
	unsigned long n, i;
	unsigned k;
	char *end;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: gen-maillog LINES SEED [EXPECTED]\n");
		return 100;
	}
	n = strtoul(argv[1], &end, 10);
	if (*end || !argv[1][0])
		return 100;
	rng_state = strtoull(argv[2], &end, 10) * 0x9e3779b97f4a7c15ull + 1;
	if (*end || !argv[2][0])
		return 100;
	if (argc == 4 && !(expected = fopen(argv[3], "w"))) {
		perror(argv[3]);
		return 111;
	}
	for (i = 0; i < n; ++i) {
		stamp();
		k = pick(1000);
		if (k < 800)
			noise(k);
		else if (k < 900)
			failed(k);
		else if (k < 990)
			success(k);
		else
			hostile(k);
	}
	if (fflush(stdout) || ferror(stdout) || (expected && fclose(expected))) {
		perror("gen-maillog");
		return 111;
	}
	return 0;
}

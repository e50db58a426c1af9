/* roaming-tcprulescheck.c: what tcpserver would do for a client, with the
   output of ucspi-tcp's tcprulescheck; also takes the client as arguments. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "die.h"
#include "rules.h"

int main(int argc, char **argv)
{
	const char *ip, *host, *info, *it;
	struct rules_match m = { 0, BUF_INIT, 0, 0 };
	struct cdb c;
	size_t il, dlen;
	const char *data;
	int fd;

	progname = "roaming-tcprulescheck";
	if (argc < 2)
		die(100, "usage: roaming-tcprulescheck rules.cdb [ip [host [info]]]");
	ip = argc > 2 ? argv[2] : getenv("TCPREMOTEIP");
	host = argc > 3 ? argv[3] : getenv("TCPREMOTEHOST");
	info = argc > 4 ? argv[4] : getenv("TCPREMOTEINFO");
	if (!ip)
		ip = "0.0.0.0";
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd == -1 || cdb_init(&c, fd) == -1
	    || rules_lookup(rules_cdb_find, &c, ip, host, info, &m) == -1)
		die_sys(111, "unable to read %s", argv[1]);
	if (!m.found) {
		rules_match_free(&m);
		fputs("default:\nallow connection\n", stdout);
		return fflush(stdout) ? 111 : 0;
	}
	/* Keys are bytes (NUL included), as tcprulescheck writes them. */
	fputs("rule ", stdout);
	fwrite(m.key.s, 1, m.key.len, stdout);
	fputs(":\n", stdout);
	data = m.data;
	dlen = m.dlen;
	while (rules_data_next(&data, &dlen, &it, &il)) {
		if (il && it[0] == 'D') {
			fputs("deny connection\n", stdout);
			rules_match_free(&m);
			return fflush(stdout) ? 111 : 0;
		}
		if (il && it[0] == '+')
			printf("set environment variable %.*s\n", (int)il - 1, it + 1);
	}
	fputs("allow connection\n", stdout);
	rules_match_free(&m);
	return fflush(stdout) ? 111 : 0;
}

/* roaming-tcprules.c: drop-in for ucspi-tcp's tcprules: rules text on
   stdin, cdb written to a temp file and renamed over rules.cdb. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "die.h"
#include "rules.h"

int main(int argc, char **argv)
{
	struct buf in = BUF_INIT;
	struct rules_out out;
	unsigned long line = 0;

	progname = "roaming-tcprules";
	if (argc < 3)
		die(100, "usage: roaming-tcprules rules.cdb rules.tmp");
	/* Same order as tcprules: the temp file first, then the input. */
	if (rules_out_begin(&out, argv[1], argv[2], 0644) == -1)
		die_sys(111, "unable to create %s", argv[2]);
	if (file_read_fd(0, &in) == -1) {
		rules_out_abort(&out);
		die_sys(111, "unable to read input");
	}
	if (rules_parse(in.s, in.len, rules_out_add, &out, &line) == -1) {
		int e = errno;
		rules_out_abort(&out);
		if (e == EINVAL) {
			const char *s = in.s, *end = in.s + in.len, *nl;
			unsigned long n;
			size_t len;

			for (n = 1; n < line; ++n)
				s = (const char *)memchr(s, '\n', (size_t)(end - s)) + 1;
			nl = memchr(s, '\n', (size_t)(end - s));
			len = nl ? (size_t)(nl - s) : (size_t)(end - s);
			die(100, "unable to parse line %lu: %.*s", line,
			    (int)(len > 500 ? 500 : len), s);
		}
		errno = e;
		die_sys(111, "unable to write to %s", argv[2]);
	}
	buf_free(&in);
	if (rules_out_commit(&out) == -1)
		die_sys(111, "unable to write %s via %s", argv[1], argv[2]);
	return 0;
}

/* bench-postfix.c: writes the Postfix map from the store and nothing else,
   so b-postfix.sh can time roaming's map writing beside postmap cdb:.

   bench-postfix   (settings from the environment, as for every program)

   It reads the store's live entries and writes ROAMING_POSTFIX_MAP.cdb with
   the very code a rebuild runs: rebuild.c is included here to reach its
   static collect() and write_postfix(), so no bench-only entry point is
   added to the library. Like postmap, it reads a source and writes a cdb;
   tcp.smtp.cdb, the state and the lock are left alone. */
#include "rebuild.c"
#include "die.h"

int main(void)
{
	char err[600];
	struct cfg c;
	struct store *st;
	struct rebuild_stats stats;
	struct merge m;
	struct buf tok = BUF_INIT;

	progname = "bench-postfix";
	if (cfg_load(&c, err, sizeof err) == -1)
		die(111, "%s", err);
	if (!c.postfix_map[0])
		die(100, "ROAMING_POSTFIX_MAP is not set");
	if (store_open(&c, &st, err, sizeof err) == -1)
		die(111, "%s", err);
	memset(&m, 0, sizeof m);
	memset(&stats, 0, sizeof stats);
	m.cfg = &c;
	m.stats = &stats;
	m.live_after = (long long)time(0) - (long long)c.clear_minutes * 60;
	if (st->ops->load(st, collect, &m, &tok) == -1)
		die(111, "%s", st->err);
	if (write_postfix(&m, err, sizeof err) == -1)
		die(111, "%s", err);
	hmap_free(&m.seen);
	free(m.ents);
	buf_free(&tok);
	st->ops->close(st);
	cfg_free(&c);
	return 0;
}

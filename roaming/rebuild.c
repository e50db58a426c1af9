/* rebuild.c: tcp.smtp plus the live roaming entries into tcp.smtp.cdb (and
   the Postfix map), atomically, only when something changed.

   Precedence, as the man pages state it: a tcp.smtp line whose key is the
   exact address wins; otherwise the roaming record keeps what the matching
   tcp.smtp rule sets and adds the roaming settings after it (tcpserver sets
   variables in order, so the roaming values win for the same name); a deny
   for a network containing the address is never overridden, a catch-all
   deny (the empty key) is; an address whose rule already sets RELAYCLIENT
   gets no record at all, so recording it changes nothing.

   State: tcp.smtp.state holds what the outputs were built from (the store's
   version token, tcp.smtp's identity, a fingerprint of the settings). It is
   written last, so a rebuild killed at any point is redone by the next
   login or by clearopensmtp. tcp.smtp.lock serializes rebuilds; a waiter
   that finds the state current after the wait has nothing left to do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "atomic.h"
#include "errmsg.h"
#include "hmap.h"
#include "lock.h"
#include "own.h"
#include "rebuild.h"
#include "refresh.h"
#include "rules.h"

/* tcp.smtp's identity: inode, size and modification time. */
static int rules_token(const struct cfg *c, struct buf *out)
{
	struct stat st;

	out->len = 0;
	if (stat(c->tcp_rules, &st) == -1) {
		if (errno != ENOENT)
			return -1;
		return buf_puts(out, "none") == -1 || buf_terminate(out) == -1 ? -1 : 0;
	}
	return buf_putulong(out, (unsigned long long)st.st_ino) == -1 || buf_putc(out, ':') == -1
	    || buf_putulong(out, (unsigned long long)st.st_size) == -1 || buf_putc(out, ':') == -1
	    || buf_putulong(out, (unsigned long long)st.st_mtim.tv_sec) == -1 || buf_putc(out, '.') == -1
	    || buf_putulong(out, (unsigned long long)st.st_mtim.tv_nsec) == -1
	    || buf_terminate(out) == -1 ? -1 : 0;
}

/* " INODE" of an output, or " none": a cdb replaced behind roaming's back
   (tcprules run by hand, a restore) then no longer matches the state. */
static int put_output_id(struct buf *out, const char *path)
{
	struct stat st;

	if (buf_putc(out, ' ') == -1)
		return -1;
	if (stat(path, &st) == -1)
		return errno == ENOENT ? buf_puts(out, "none") : -1;
	return buf_putulong(out, (unsigned long long)st.st_ino);
}

/* "STORE RULES SETTINGS CDB [MAP]": what the outputs are (or would be) built from.
   rulestok may be 0 to take tcp.smtp's identity now. */
static int tokens(const struct cfg *c, const char *storetok, const char *rulestok, struct buf *out)
{
	struct buf rt = BUF_INIT;
	int r;

	if (!rulestok) {
		if (rules_token(c, &rt) == -1) {
			buf_free(&rt);
			return -1;
		}
		rulestok = rt.s;
	}
	out->len = 0;
	r = buf_puts(out, storetok) == -1 || buf_putc(out, ' ') == -1
	    || buf_puts(out, rulestok) == -1 || buf_putc(out, ' ') == -1
	    || buf_putulong(out, cfg_fingerprint(c)) == -1
	    || put_output_id(out, c->cdb) == -1
	    || (c->postfix_map[0] && put_output_id(out, c->postfix_map_cdb) == -1)
	    || buf_putc(out, '\n') == -1 || buf_terminate(out) == -1 ? -1 : 0;
	buf_free(&rt);
	return r;
}

/* The state file: the tokens line the outputs were built from, then
   "oldest N": the oldest login time among the live entries in them (0:
   none), after which an entry in them may have gone stale. state gets the
   first line only. */
static int read_state(const struct cfg *c, struct buf *state, long long *oldest)
{
	const char *nl;

	state->len = 0;
	if (oldest)
		*oldest = -1; /* unknown: no incremental build */
	if (file_read(c->state, state) == -1) {
		state->len = 0;
		if (errno != ENOENT)
			return -1;
	}
	if (buf_terminate(state) == -1)
		return -1;
	nl = memchr(state->s, '\n', state->len);
	if (nl) {
		const char *o = nl + 1;
		if (oldest && strncmp(o, "oldest ", 7) == 0 && o[7] >= '0' && o[7] <= '9')
			*oldest = strtoll(o + 7, 0, 10);
		state->len = (size_t)(nl + 1 - state->s);
		state->s[state->len] = 0;
	}
	return 0;
}

static int write_state(const struct cfg *c, const struct buf *want, long long oldest)
{
	struct buf b = BUF_INIT;
	struct atomic at;
	int r = -1;

	if (buf_put(&b, want->s, want->len) == -1 || buf_puts(&b, "oldest ") == -1
	    || buf_putulong(&b, (unsigned long long)(oldest > 0 ? oldest : 0)) == -1
	    || buf_putc(&b, '\n') == -1)
		goto done;
	if (atomic_begin(&at, c->state, 0, 0644) == -1)
		goto done;
	own_like_dir(at.fd, c->state);
	if (atomic_write(&at, b.s, b.len) == -1) {
		atomic_abort(&at);
		goto done;
	}
	r = atomic_commit(&at);
done:
	buf_free(&b);
	return r;
}

/* The state only says what the outputs were built from; a file deleted
   since (by hand, by a careless cleanup) must be rebuilt, not trusted:
   tcpserver drops every connection without its cdb, and Postfix answers
   451 to every client without its map. */
static int outputs_present(const struct cfg *c)
{
	return access(c->cdb, F_OK) == 0
	    && (!c->postfix_map[0] || access(c->postfix_map_cdb, F_OK) == 0);
}

/* The state current outputs would have: the store's version now, and
   tcp.smtp and the settings as they are. */
static int wanted_state(const struct cfg *c, struct store *st, struct buf *want, char *err,
                        size_t errlen)
{
	struct buf tok = BUF_INIT;
	int r = -1;

	if (st->ops->token(st, &tok) == -1)
		snprintf(err, errlen, "%s", st->err);
	else if (buf_terminate(&tok) == -1 || tokens(c, tok.s, 0, want) == -1)
		err_sys(err, errlen, "unable to stat %s", c->tcp_rules);
	else
		r = 0;
	buf_free(&tok);
	return r;
}

/* 1 if the state read (have) is the state wanted, and the outputs it
   names are all there. */
static int state_current(const struct cfg *c, const struct buf *have, const struct buf *want)
{
	return have->len == want->len && memcmp(have->s, want->s, want->len) == 0 && outputs_present(c);
}

int rebuild_current(const struct cfg *c, struct store *st, char *err, size_t errlen)
{
	struct buf want = BUF_INIT, have = BUF_INIT;
	int r = -1;

	if (wanted_state(c, st, &want, err, errlen) == -1)
		goto done;
	if (read_state(c, &have, 0) == -1) {
		err_sys(err, errlen, "unable to read %s", c->state);
		goto done;
	}
	r = state_current(c, &have, &want);
done:
	buf_free(&want);
	buf_free(&have);
	return r;
}

/* ---- the merge ---- */

struct ent {
	struct addr a;
	long long ts;
	char v4[16];           /* the dotted quad as stored, when it is one */
	unsigned char v4len;   /* 0: print the address when it is needed */
};

/* The entry's address in tcpserver's (or Postfix's) form: the stored text
   when that is already the dotted quad both look up, else printed. */
static size_t ent_key(const struct ent *e, char out[ADDR_TEXT_MAX], int postfix)
{
	if (e->v4len) {
		memcpy(out, e->v4, e->v4len);
		out[e->v4len] = 0;
		return e->v4len;
	}
	return postfix ? addr_fmt_postfix(&e->a, out) : addr_fmt_tcpserver(&e->a, out);
}

struct merge {
	const struct cfg *cfg;
	struct rules_out out;
	struct hmap rules;     /* tcp.smtp key -> offset of its data in rdata */
	struct buf rdata;      /* per record: 4-byte length, then the data */
	struct hmap seen;      /* roaming address -> index in ents */
	struct ent *ents;
	size_t n, cap;
	long long live_after;  /* entries with 0 < ts <= this are stale */
	struct rebuild_stats *stats;
	int writing;           /* 0 when only explaining */
	int verdict;           /* last roaming_record_data decision */
	int matched;           /* whether a tcp.smtp rule matched at all */
	struct buf matchkey;   /* and the tcp.smtp key it rested on */
	struct buf lookupkey;  /* rules_lookup's key buffer, kept between entries */
};

static void merge_free(struct merge *m)
{
	hmap_free(&m->rules);
	hmap_free(&m->seen);
	free(m->ents);
	m->ents = 0;
	buf_free(&m->rdata);
	buf_free(&m->matchkey);
	buf_free(&m->lookupkey);
}

static int rule_emit(void *ctx, const char *key, size_t klen, const char *data, size_t dlen)
{
	struct merge *m = ctx;
	unsigned char len4[4];
	int r;

	if (m->writing && rules_out_add(&m->out, key, klen, data, dlen) == -1)
		return -1;
	++m->stats->rules;
	if (dlen > 0xffffffffu) {
		errno = EFBIG;
		return -1;
	}
	r = hmap_put(&m->rules, key, klen, m->rdata.len, 0);
	if (r != 1)
		return r; /* present: the first line of a key wins, as in tcpserver */
	len4[0] = (unsigned char)(dlen >> 24);
	len4[1] = (unsigned char)(dlen >> 16);
	len4[2] = (unsigned char)(dlen >> 8);
	len4[3] = (unsigned char)dlen;
	return buf_put(&m->rdata, len4, 4) == -1 || buf_put(&m->rdata, data, dlen) == -1 ? -1 : 0;
}

/* Reads tcp.smtp's rules into the merge (and, when writing, into the cdb).
   Returns 0, or -1 with a message in err naming the line tcprules would
   reject. */
static int merge_rules(struct merge *m, const struct buf *text, char *err, size_t errlen)
{
	const struct cfg *c = m->cfg;
	unsigned long badline = 0;

	if (rules_parse(text->s, text->len, rule_emit, m, &badline) == 0)
		return 0;
	if (errno == EINVAL) {
		errno = 0; /* the message says it all; no ": Invalid argument" */
		err_sys(err, errlen, "%s line %lu: unable to parse this line", c->tcp_rules, badline);
		errno = EINVAL;
		return -1;
	}
	if (m->writing)
		return err_sys(err, errlen, "unable to write %s", c->cdb);
	return err_sys(err, errlen, "unable to parse %s", c->tcp_rules);
}

static int rule_find(void *ctx, const char *key, size_t klen, const char **data, size_t *dlen)
{
	struct merge *m = ctx;
	size_t *off = hmap_get(&m->rules, key, klen);
	const unsigned char *p;

	if (!off)
		return 0;
	p = (const unsigned char *)m->rdata.s + *off;
	*dlen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	*data = (const char *)p + 4;
	return 1;
}

static int collect(void *ctx, const struct addr *a, const char *text, size_t tlen, long long ts)
{
	struct merge *m = ctx;
	char k[ADDR_KEY_LEN];
	size_t *slot;
	int r;

	if (ts != 0 && ts <= m->live_after)
		return 0;
	addr_key(a, k);
	r = hmap_put(&m->seen, k, sizeof k, m->n, &slot);
	if (r == -1)
		return -1;
	if (r == 0) { /* duplicate line: the newest time, or persistent */
		struct ent *e = &m->ents[*slot];
		if (e->ts != 0 && (ts == 0 || ts > e->ts))
			e->ts = ts;
		return 0;
	}
	if (array_room(&m->ents, &m->cap, m->n, sizeof *m->ents, 1024) == -1)
		return -1;
	m->ents[m->n].a = *a;
	m->ents[m->n].ts = ts;
	m->ents[m->n].v4len = 0;
	/* inet_pton took it as AF_INET, so it is the canonical dotted quad */
	if (a->family == AF_INET && text && tlen < sizeof m->ents[m->n].v4 && !memchr(text, ':', tlen)) {
		memcpy(m->ents[m->n].v4, text, tlen);
		m->ents[m->n].v4len = (unsigned char)tlen;
	}
	++m->n;
	return 0;
}

/* The record for one roaming address, following the precedence above.
   Returns 1 with data filled, 0 to write nothing, -1 on error. */
static int roaming_record_data(struct merge *m, const char *key, size_t klen, struct buf *data)
{
	struct rules_match match = { 0, BUF_INIT, 0, 0 };
	const char *d, *it;
	size_t dl, il;
	int r = -1;

	/* one allocation for all 100,000 lookups of a rebuild, not one each */
	match.key = m->lookupkey;
	m->matchkey.len = 0;
	if (rules_lookup(rule_find, m, key, 0, 0, &match) == -1)
		goto done;
	/* rules_lookup tries the address itself first */
	if (match.found && match.key.len == klen && memcmp(match.key.s, key, klen) == 0) {
		++m->stats->exact;
		m->verdict = EXPLAIN_EXACT;
		r = buf_put(&m->matchkey, key, klen) == -1 ? -1 : 0;
		goto done;
	}
	data->len = 0;
	m->verdict = EXPLAIN_ROAMING;
	m->matched = match.found;
	if (match.found) {
		if (buf_put(&m->matchkey, match.key.s, match.key.len) == -1)
			goto done;
		if (rules_data_denies(match.data, match.dlen)) {
			if (match.key.len != 0) {
				++m->stats->denied;
				m->verdict = EXPLAIN_DENIED;
				r = 0;
				goto done;
			}
			m->verdict = EXPLAIN_OVERRIDE;
		} else if (rules_data_sets(match.data, match.dlen, "RELAYCLIENT")) {
			++m->stats->covered;
			m->verdict = EXPLAIN_COVERED;
			r = 0;
			goto done;
		}
		/* keep the rule's settings (not its deny), then ours */
		d = match.data;
		dl = match.dlen;
		while (rules_data_next(&d, &dl, &it, &il))
			if (il && it[0] == '+' && (buf_put(data, it, il) == -1 || buf_putc(data, 0) == -1))
				goto done;
	}
	if (buf_put(data, m->cfg->relay_data.s, m->cfg->relay_data.len) == -1)
		goto done;
	r = 1;
done:
	m->lookupkey = match.key;
	return r;
}

static int write_postfix(struct merge *m, char *err, size_t errlen)
{
	const struct cfg *c = m->cfg;
	struct rules_out pf;
	char key[ADDR_TEXT_MAX], val[24];
	int timeval = strcmp(c->postfix_action, "TIME") == 0;
	size_t i, klen;

	if (rules_out_begin(&pf, c->postfix_map_cdb, 0, 0644) == -1)
		return err_sys(err, errlen, "unable to create a temp file for %s", c->postfix_map_cdb);
	own_like_dir(pf.at.fd, c->postfix_map_cdb);
	for (i = 0; i < m->n; ++i) {
		const char *v = c->postfix_action;
		size_t vlen;

		klen = ent_key(&m->ents[i], key, 1);
		if (timeval) {
			vlen = fmt_ulong(val, (unsigned long long)m->ents[i].ts);
			v = val;
		} else {
			vlen = strlen(v);
		}
		/* no trailing NUL on keys or values, as postmap writes them */
		if (rules_out_add(&pf, key, klen, v, vlen) == -1) {
			rules_out_abort(&pf);
			return err_sys(err, errlen, "unable to write %s", c->postfix_map_cdb);
		}
	}
	if (rules_out_commit(&pf) == -1)
		return err_sys(err, errlen, "unable to write %s", c->postfix_map_cdb);
	return 0;
}

/* The oldest login time among the entries collected (and prev, if >= 0). */
/* The live index for the MySQL store's logins: address -> the row's time
   as this build read it, and the option file under the empty key. */
static int write_live(struct merge *m, char *err, size_t errlen)
{
	const struct cfg *c = m->cfg;
	struct rules_out o;
	char key[ADDR_TEXT_MAX], num[24];
	size_t i, klen;
	int n;

	if (rules_out_begin(&o, c->live, 0, 0644) == -1)
		return err_sys(err, errlen, "unable to create a temp file for %s", c->live);
	own_like_dir(o.at.fd, c->live);
	if (rules_out_add(&o, REFRESH_LIVE_ID_KEY, 0, c->db_path, strlen(c->db_path)) == -1)
		goto bad;
	for (i = 0; i < m->n; ++i) {
		klen = ent_key(&m->ents[i], key, 0);
		n = snprintf(num, sizeof num, "%lld", m->ents[i].ts);
		if (rules_out_add(&o, key, klen, num, (size_t)n) == -1)
			goto bad;
	}
	if (rules_out_commit(&o) == -1)
		return err_sys(err, errlen, "unable to write %s", c->live);
	return 0;
bad:
	rules_out_abort(&o);
	return err_sys(err, errlen, "unable to write %s", c->live);
}

static long long oldest_live(const struct merge *m, long long prev)
{
	long long o = prev > 0 ? prev : 0;
	size_t i;

	for (i = 0; i < m->n; ++i)
		if (m->ents[i].ts > 0 && (o == 0 || m->ents[i].ts < o))
			o = m->ents[i].ts;
	return o;
}

/* Copies every record of the cdb at path, in order, into out: the start of
   a cdb that tinycdb then writes byte for byte as a full build would. */
static int copy_cdb(const char *path, struct rules_out *out, struct cdb *old)
{
	unsigned pos;
	int r;

	cdb_seqinit(&pos, old);
	while ((r = cdb_seqnext(&pos, old)) > 0) {
		const char *k = cdb_getkey(old), *d = cdb_getdata(old);
		if (!k || !d) {
			errno = EPROTO;
			return -1;
		}
		if (rules_out_add(out, k, cdb_keylen(old), d, cdb_datalen(old)) == -1)
			return -1;
	}
	(void)path;
	return r;
}

/* A new address usually needs no full build: when tcp.smtp, the settings
   and the outputs are what the last build left, no entry in them has gone
   stale since, and the store only grew, the new outputs are the old ones
   plus records for the entries appended since; tinycdb then writes the
   same bytes a full build would, for a fraction of the work.
   Returns 1 when done, 0 when this does not apply, -1 on error. */
static int build_incremental(const struct cfg *c, struct store *st, struct rebuild_stats *stats,
                             const struct buf *have, long long oldest, struct buf *state,
                             char *err, size_t errlen)
{
	struct merge m;
	struct buf since = BUF_INIT, now = BUF_INIT, rtok = BUF_INIT, text = BUF_INIT;
	struct buf tok = BUF_INIT, data = BUF_INIT;
	struct rules_out pf;
	struct cdb old, oldpf;
	char key[ADDR_TEXT_MAX], val[24];
	const char *sp;
	unsigned long badline = 0;
	size_t i, klen;
	int r = 0, x, fd = -1, pffd = -1, outopen = 0, pfopen = 0;
	int timeval = strcmp(c->postfix_action, "TIME") == 0;

	memset(&m, 0, sizeof m);
	m.cfg = c;
	m.stats = stats;
	m.live_after = (long long)time(0) - (long long)c->clear_minutes * 60;
	if (!st->ops->load_tail || oldest < 0 || (oldest > 0 && oldest <= m.live_after))
		return 0;
	sp = memchr(have->s, ' ', have->len);
	if (!sp || buf_put(&since, have->s, (size_t)(sp - have->s)) == -1 || buf_terminate(&since) == -1)
		goto done;
	/* everything but the store as the last build left it? */
	if (rules_token(c, &rtok) == -1 || tokens(c, since.s, rtok.s, &now) == -1)
		goto done;
	if (now.len != have->len || memcmp(now.s, have->s, now.len) != 0 || !outputs_present(c))
		goto done;
	x = st->ops->load_tail(st, since.s, collect, &m, &tok);
	if (x != 1) {
		r = x == -1 ? -1 : 0;
		if (r == -1)
			snprintf(err, errlen, "%s", st->err);
		goto done;
	}
	if (buf_terminate(&tok) == -1)
		goto oom;
	stats->entries = m.n;
	if (m.n == 0) {
		/* only stale or foreign lines were added: the outputs stand */
		if (tokens(c, tok.s, rtok.s, state) == -1 || write_state(c, state, oldest) == -1)
			r = err_sys(err, errlen, "unable to write %s", c->state);
		else
			r = 1;
		goto done;
	}
	if (file_read(c->tcp_rules, &text) == -1 && errno != ENOENT)
		goto done; /* let the full build say why */
	if (rules_parse(text.s, text.len, rule_emit, &m, &badline) == -1)
		goto done;
	fd = open(c->cdb, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || cdb_init(&old, fd) == -1)
		goto done;
	if (rules_out_begin(&m.out, c->cdb, 0, 0644) == -1) {
		r = err_sys(err, errlen, "unable to create a temp file for %s", c->cdb);
		goto done;
	}
	outopen = 1;
	own_like_dir(m.out.at.fd, c->cdb);
	if (copy_cdb(c->cdb, &m.out, &old) == -1)
		goto bad;
	for (i = 0; i < m.n; ++i) {
		klen = ent_key(&m.ents[i], key, 0);
		if (cdb_find(&old, key, (unsigned)klen) > 0)
			continue; /* a full build keeps the first line of an address */
		x = roaming_record_data(&m, key, klen, &data);
		if (x == -1 || (x == 1 && rules_out_add(&m.out, key, klen, data.s, data.len) == -1))
			goto bad;
		stats->written += (unsigned long)x;
	}
	if (c->postfix_map[0]) {
		pffd = open(c->postfix_map_cdb, O_RDONLY | O_CLOEXEC);
		if (pffd == -1 || cdb_init(&oldpf, pffd) == -1) {
			r = 0;
			goto done;
		}
		if (rules_out_begin(&pf, c->postfix_map_cdb, 0, 0644) == -1) {
			r = err_sys(err, errlen, "unable to create a temp file for %s", c->postfix_map_cdb);
			goto done;
		}
		pfopen = 1;
		own_like_dir(pf.at.fd, c->postfix_map_cdb);
		if (copy_cdb(c->postfix_map_cdb, &pf, &oldpf) == -1)
			goto badpf;
		for (i = 0; i < m.n; ++i) {
			const char *v = c->postfix_action;
			size_t vlen = strlen(v);

			klen = ent_key(&m.ents[i], key, 1);
			if (cdb_find(&oldpf, key, (unsigned)klen) > 0)
				continue;
			if (timeval) {
				vlen = fmt_ulong(val, (unsigned long long)m.ents[i].ts);
				v = val;
			}
			if (rules_out_add(&pf, key, klen, v, vlen) == -1)
				goto badpf;
		}
	}
	outopen = 0;
	if (rules_out_commit(&m.out) == -1) {
		r = err_sys(err, errlen, "unable to write %s", c->cdb);
		goto done;
	}
	if (pfopen) {
		pfopen = 0;
		if (rules_out_commit(&pf) == -1) {
			r = err_sys(err, errlen, "unable to write %s", c->postfix_map_cdb);
			goto done;
		}
	}
	/* tcp.smtp's identity from before it was read, as a full build does */
	if (tokens(c, tok.s, rtok.s, state) == -1) {
		r = err_sys(err, errlen, "unable to stat %s", c->cdb);
		goto done;
	}
	if (write_state(c, state, oldest_live(&m, oldest)) == -1) {
		r = err_sys(err, errlen, "unable to write %s", c->state);
		goto done;
	}
	stats->rebuilt = 1;
	stats->incremental = 1;
	r = 1;
	goto done;
badpf:
	r = err_sys(err, errlen, "unable to write %s", c->postfix_map_cdb);
	goto done;
bad:
	r = err_sys(err, errlen, "unable to write %s", c->cdb);
	goto done;
oom:
	r = err_sys(err, errlen, "out of memory");
done:
	if (outopen)
		rules_out_abort(&m.out);
	if (pfopen)
		rules_out_abort(&pf);
	if (fd != -1) {
		cdb_free(&old);
		close(fd);
	}
	if (pffd != -1) {
		cdb_free(&oldpf);
		close(pffd);
	}
	merge_free(&m);
	buf_free(&since);
	buf_free(&now);
	buf_free(&rtok);
	buf_free(&text);
	buf_free(&tok);
	buf_free(&data);
	return r;
}

static int build(const struct cfg *c, struct store *st, struct rebuild_stats *stats,
                 struct buf *state, char *err, size_t errlen)
{
	struct merge m;
	struct buf text = BUF_INIT, tok = BUF_INIT, data = BUF_INIT, rtok = BUF_INIT;
	char key[ADDR_TEXT_MAX];
	size_t i, klen;
	int r = -1, x, outopen = 0;

	memset(&m, 0, sizeof m);
	m.cfg = c;
	m.stats = stats;
	m.live_after = (long long)time(0) - (long long)c->clear_minutes * 60;
	/* Identify tcp.smtp before reading it: an edit after this point
	   changes its identity and so causes another rebuild, never a miss. */
	if (rules_token(c, &rtok) == -1) {
		err_sys(err, errlen, "unable to stat %s", c->tcp_rules);
		goto done;
	}
	if (file_read(c->tcp_rules, &text) == -1 && errno != ENOENT) {
		err_sys(err, errlen, "unable to read %s", c->tcp_rules);
		goto done;
	}
	/* The store's token names exactly what load() saw. */
	if (st->ops->load(st, collect, &m, &tok) == -1) {
		snprintf(err, errlen, "%s", st->err[0] ? st->err : "unable to read the store");
		goto done;
	}
	if (buf_terminate(&tok) == -1) {
		err_sys(err, errlen, "out of memory");
		goto done;
	}
	stats->entries = m.n;
	if (rules_out_begin(&m.out, c->cdb, 0, 0644) == -1) {
		err_sys(err, errlen, "unable to create a temp file for %s", c->cdb);
		goto done;
	}
	outopen = 1;
	m.writing = 1;
	own_like_dir(m.out.at.fd, c->cdb);
	if (merge_rules(&m, &text, err, errlen) == -1)
		goto done;
	for (i = 0; i < m.n; ++i) {
		klen = ent_key(&m.ents[i], key, 0);
		x = roaming_record_data(&m, key, klen, &data);
		if (x == -1 || (x == 1 && rules_out_add(&m.out, key, klen, data.s, data.len) == -1)) {
			err_sys(err, errlen, "unable to write %s", c->cdb);
			goto done;
		}
		stats->written += (unsigned long)x;
	}
	/* the live index goes first: logins trust it only with the cdb it
	   was written with (refresh.c) */
	if (unlink(c->live) == -1 && errno != ENOENT) {
		err_sys(err, errlen, "unable to remove %s", c->live);
		goto done;
	}
	outopen = 0;
	if (rules_out_commit(&m.out) == -1) {
		err_sys(err, errlen, "unable to write %s", c->cdb);
		goto done;
	}
	if (c->postfix_map[0] && write_postfix(&m, err, errlen) == -1)
		goto done;
	if (c->db_kind == CFG_DB_MYSQL && write_live(&m, err, errlen) == -1)
		goto done;
	/* the state names the outputs just written, so a cdb replaced later
	   by anyone else makes the outputs "behind" */
	if (tokens(c, tok.s, rtok.s, state) == -1) {
		err_sys(err, errlen, "unable to stat %s", c->cdb);
		goto done;
	}
	if (write_state(c, state, oldest_live(&m, -1)) == -1) {
		err_sys(err, errlen, "unable to write %s", c->state);
		goto done;
	}
	stats->rebuilt = 1;
	r = 0;
done:
	if (outopen)
		rules_out_abort(&m.out);
	merge_free(&m);
	buf_free(&text);
	buf_free(&tok);
	buf_free(&rtok);
	buf_free(&data);
	return r;
}

int rebuild_explain(const struct cfg *c, const struct addr *a, int *verdict, int *matched,
                    struct buf *rulekey, char *err, size_t errlen)
{
	struct merge m;
	struct rebuild_stats stats;
	struct buf text = BUF_INIT, data = BUF_INIT;
	char key[ADDR_TEXT_MAX];
	int r = -1;

	memset(&m, 0, sizeof m);
	memset(&stats, 0, sizeof stats);
	m.cfg = c;
	m.stats = &stats;
	if (file_read(c->tcp_rules, &text) == -1 && errno != ENOENT) {
		err_sys(err, errlen, "unable to read %s", c->tcp_rules);
		goto done;
	}
	if (merge_rules(&m, &text, err, errlen) == -1)
		goto done;
	if (roaming_record_data(&m, key, addr_fmt_tcpserver(a, key), &data) == -1) {
		err_sys(err, errlen, "out of memory");
		goto done;
	}
	*verdict = m.verdict;
	*matched = m.verdict == EXPLAIN_EXACT || m.matched;
	rulekey->len = 0;
	if (buf_put(rulekey, m.matchkey.s, m.matchkey.len) == -1) {
		err_sys(err, errlen, "out of memory");
		goto done;
	}
	r = 0;
done:
	merge_free(&m);
	buf_free(&text);
	buf_free(&data);
	return r;
}

/* With the lock held: settle a new address that tcp.smtp already lets
   relay by moving the state from before to after. 1 if settled. */
static int settle(const struct cfg *c, const struct rebuild_hint *h, const struct buf *have,
                  const struct buf *want, long long oldest)
{
	struct buf b = BUF_INIT, a = BUF_INIT;
	struct rules_match match = { 0, BUF_INIT, 0, 0 };
	char key[ADDR_TEXT_MAX];
	struct cdb cdb;
	int fd, r = 0;

	if (c->postfix_map[0])
		return 0; /* the Postfix map lists every login */
	if (tokens(c, h->before, 0, &b) == -1 || tokens(c, h->after, 0, &a) == -1)
		goto done;
	if (have->len != b.len || memcmp(have->s, b.s, b.len) != 0
	    || want->len != a.len || memcmp(want->s, a.s, a.len) != 0)
		goto done;
	fd = open(c->cdb, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		goto done;
	addr_fmt_tcpserver(h->addr, key);
	if (cdb_init(&cdb, fd) == 0) {
		if (rules_lookup(rules_cdb_find, &cdb, key, 0, 0, &match) == 0 && match.found
		    && !rules_data_denies(match.data, match.dlen)
		    && rules_data_sets(match.data, match.dlen, "RELAYCLIENT"))
			r = write_state(c, &a, oldest) == 0;
		cdb_free(&cdb);
	}
	close(fd);
done:
	rules_match_free(&match);
	buf_free(&a);
	buf_free(&b);
	return r;
}

static int rebuild_locked(const struct cfg *c, struct store *st, int force,
                          const struct rebuild_hint *hint, struct rebuild_stats *stats,
                          char *err, size_t errlen)
{
	struct buf want = BUF_INIT, have = BUF_INIT, built = BUF_INIT;
	long long oldest = -1;
	int r = -1;

	if (read_state(c, &have, &oldest) == -1) {
		err_sys(err, errlen, "unable to read %s", c->state);
		goto done;
	}
	if (!force) {
		if (wanted_state(c, st, &want, err, errlen) == -1)
			goto done;
		if (state_current(c, &have, &want)) {
			r = 0; /* someone else's rebuild already covered this */
			goto done;
		}
		if (hint && settle(c, hint, &have, &want, oldest)) {
			r = 0;
			goto done;
		}
		r = build_incremental(c, st, stats, &have, oldest, &built, err, errlen);
		if (r != 0) {
			r = r == 1 ? 0 : -1;
			goto done;
		}
		memset(stats, 0, sizeof *stats);
	}
	r = build(c, st, stats, &built, err, errlen);
done:
	buf_free(&want);
	buf_free(&have);
	buf_free(&built);
	return r;
}

int rebuild_lock(const struct cfg *c, long timeout_ms, char *err, size_t errlen)
{
	/* 0600: a reader could hold a read lock */
	int lk = lock_take(c->rules_lock, 0600, timeout_ms);

	if (lk == -1)
		return err_sys(err, errlen, "unable to lock %s", c->rules_lock);
	own_like_dir(lk, c->rules_lock);
	return lk;
}

int rebuild(const struct cfg *c, struct store *st, int force, const struct rebuild_hint *hint,
            long timeout_ms, struct rebuild_stats *stats, char *err, size_t errlen)
{
	int lk, r;

	memset(stats, 0, sizeof *stats);
	lk = rebuild_lock(c, timeout_ms, err, errlen);
	if (lk == -1)
		return -1;
	r = rebuild_locked(c, st, force, hint, stats, err, errlen);
	lock_release(lk);
	return r;
}

int rebuild_expire(const struct cfg *c, struct store *st, long long cutoff,
                   unsigned long *removed, struct rebuild_stats *stats, char *err, size_t errlen)
{
	unsigned long flushed, moved;
	int lk, r;

	memset(stats, 0, sizeof *stats);
	*removed = 0;
	lk = rebuild_lock(c, REBUILD_WAIT_MS, err, errlen);
	if (lk == -1)
		return -1;
	/* the logins this host spooled reach the store before anything is
	   judged stale (refresh.c) */
	if (refresh_flush(c, st, 1, &flushed, &moved, err, errlen) == -1) {
		r = -1;
	} else if (st->ops->expire(st, cutoff, removed) == -1) {
		snprintf(err, errlen, "%s", st->err);
		r = -1;
	} else {
		r = rebuild_locked(c, st, 0, 0, stats, err, errlen);
	}
	lock_release(lk);
	return r;
}

int rebuild_postfix_init(const struct cfg *c, char *err, size_t errlen)
{
	struct rules_out pf;
	int lk, r = -1;

	if (!c->postfix_map[0]) {
		errno = EINVAL;
		snprintf(err, errlen, "ROAMING_POSTFIX_MAP is not set");
		return -1;
	}
	/* Under the rebuild lock: an empty map must never replace the one a
	   rebuild wrote after we found none. */
	lk = rebuild_lock(c, REBUILD_WAIT_MS, err, errlen);
	if (lk == -1)
		return -1;
	if (access(c->postfix_map_cdb, F_OK) == 0) {
		r = 0;
		goto done;
	}
	if (errno != ENOENT) {
		err_sys(err, errlen, "unable to access %s", c->postfix_map_cdb);
		goto done;
	}
	if (rules_out_begin(&pf, c->postfix_map_cdb, 0, 0644) == -1) {
		err_sys(err, errlen, "unable to create a temp file for %s", c->postfix_map_cdb);
		goto done;
	}
	own_like_dir(pf.at.fd, c->postfix_map_cdb);
	if (rules_out_commit(&pf) == -1) {
		err_sys(err, errlen, "unable to write %s", c->postfix_map_cdb);
		goto done;
	}
	/* The empty map lists none of the store's entries: forget what the
	   outputs were built from, so the next login or cron run rewrites it. */
	if (unlink(c->state) == -1 && errno != ENOENT) {
		err_sys(err, errlen, "unable to remove %s", c->state);
		goto done;
	}
	r = 1;
done:
	lock_release(lk);
	return r;
}

/* rules_out.c: write a rules cdb through tinycdb into an atomic temp file. */
#include <errno.h>
#include "rules.h"

int rules_out_begin(struct rules_out *o, const char *path, const char *tmp, mode_t mode)
{
	if (atomic_begin(&o->at, path, tmp, mode) == -1)
		return -1;
	if (cdb_make_start(&o->cm, o->at.fd) == -1) {
		atomic_abort(&o->at);
		return -1;
	}
	return 0;
}

int rules_out_add(void *ctx, const char *key, size_t klen, const char *data, size_t dlen)
{
	struct rules_out *o = ctx;

	/* tinycdb takes unsigned lengths; a cdb cannot exceed 4 GB anyway. */
	if (klen > 0xffffffffu || dlen > 0xffffffffu) {
		errno = EFBIG;
		return -1;
	}
	return cdb_make_add(&o->cm, key, (unsigned)klen, data, (unsigned)dlen) == -1 ? -1 : 0;
}

int rules_out_commit(struct rules_out *o)
{
	if (cdb_make_finish(&o->cm) == -1) {
		atomic_abort(&o->at); /* finish has freed the records */
		return -1;
	}
	return atomic_commit(&o->at);
}

void rules_out_abort(struct rules_out *o)
{
	int e = errno;

	/* tinycdb frees its record lists only in cdb_make_finish; the bytes it
	   writes go to the temp file, which is removed next. */
	cdb_make_finish(&o->cm);
	atomic_abort(&o->at);
	errno = e;
}

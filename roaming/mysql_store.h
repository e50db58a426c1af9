/* mysql_store.h: what the MySQL relay table store offers beyond struct
   store_ops: creating the table (roamingctl create-table). */
#ifndef MYSQL_STORE_H
#define MYSQL_STORE_H

#include <stddef.h>
#include "store.h"

/* Creates the relay table unless it exists (vpopmail's columns, InnoDB).
   *existed says whether it was there; sql receives the statement run.
   s must be a MySQL store. Returns 0, or -1 with errno and s->err. */
int store_mysql_create_table(struct store *s, int *existed, char *sql, size_t sqllen);

#endif

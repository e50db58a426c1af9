/* logwatch.h: recognises successful POP3/IMAP logins in syslog lines, from
   a table of patterns anchored on the syslog program tag and on the whole
   structure of the line. No I/O: one line in, one verdict out.

   The header forms understood: "Mmm dd hh:mm:ss host tag[pid]: msg",
   the same with an ISO 8601 timestamp (rsyslog's file formats), either of
   them without the host (Dovecot's own log_path files), an optional
   "<PRI>" in front, and RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID
   SD MSG"). */
#ifndef LOGWATCH_H
#define LOGWATCH_H

#include <stddef.h>
#include "addr.h"

#define LOGWATCH_USER_MAX 255  /* longer user fields never match (see logwatch.c) */
#define LOGWATCH_TAG_MAX 48

enum {
	LOGWATCH_NONE = 0,  /* not a successful login of a known format */
	LOGWATCH_LOGIN,     /* a successful login; addr is valid for record_login */
	LOGWATCH_BADADDR    /* a successful login whose address inet_pton refuses */
};

struct logwatch_hit {
	const char *format;                /* the format's name, e.g. "dovecot" */
	char tag[LOGWATCH_TAG_MAX + 1];    /* the syslog program tag of the line */
	char addr[ADDR_TEXT_MAX];          /* the address field as logged */
	char user[LOGWATCH_USER_MAX + 1];  /* the user field as logged, NUL-terminated (an
	                                      embedded NUL byte cuts it short) */
};

/* Compiles the pattern table (done by the first logwatch_parse too).
   Returns 0, or -1 with errno EINVAL if a pattern is malformed. */
int logwatch_init(void);
/* Looks at one line (without its newline). Returns LOGWATCH_NONE,
   LOGWATCH_LOGIN or LOGWATCH_BADADDR, filling hit for the last two; -1
   with errno EINVAL if the table does not compile. */
int logwatch_parse(const char *line, size_t len, struct logwatch_hit *hit);

/* The syslog header of a line: 1 and the program tag and message, or 0 if
   the line has no header roaming understands. */
int logwatch_header(const char *line, size_t len, const char **tag, size_t *taglen,
                    const char **msg, size_t *msglen);

/* The table, for documentation: the i-th format (0 past the end). */
struct logwatch_format {
	const char *name;     /* e.g. "dovecot" */
	const char *tags;     /* program tags, separated by spaces */
	const char *pattern;  /* the message pattern */
};
const struct logwatch_format *logwatch_format(size_t i);

#endif

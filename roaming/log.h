/* log.h: syslog for the programs (the login path must never use stderr). */
#ifndef LOG_H
#define LOG_H

#include <syslog.h>

/* Opens the log under ident, facility mail. If ROAMING_LOGSOCKET names a
   unix datagram socket, messages go there instead of /dev/log (tests). */
void log_init(const char *ident);
void log_msg(int pri, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

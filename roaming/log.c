/* log.c: syslog for the programs (the login path must never use stderr). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "log.h"

static const char *log_ident = "roaming";
static const char *log_socket;

void log_init(const char *ident)
{
	log_ident = ident;
	log_socket = getenv("ROAMING_LOGSOCKET");
	if (log_socket && !log_socket[0])
		log_socket = 0;
	if (!log_socket)
		openlog(ident, LOG_PID, LOG_MAIL); /* connect on first use: a plain refresh logs nothing */
}

void log_msg(int pri, const char *fmt, ...)
{
	char msg[1024], line[1200];
	struct sockaddr_un sun;
	va_list ap;
	size_t i;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* a logged value may come from a client: no control characters */
	for (i = 0; msg[i]; ++i)
		if ((unsigned char)msg[i] < 32 || msg[i] == 127)
			msg[i] = '?';
	if (!log_socket) {
		syslog(pri, "%s", msg);
		return;
	}
	n = snprintf(line, sizeof line, "<%d>%s[%ld]: %s", LOG_MAIL | pri, log_ident, (long)getpid(), msg);
	if (n < 0 || strlen(log_socket) >= sizeof sun.sun_path)
		return;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, log_socket, strlen(log_socket) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	sendto(fd, line, strlen(line), 0, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
}

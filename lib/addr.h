/* addr.h: client addresses: strict parsing with inet_pton, and the exact
   text forms that tcpserver and Postfix look up. */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

#define ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN, NUL included */

struct addr {
	int family;            /* AF_INET or AF_INET6 */
	unsigned char a[16];   /* network order; IPv4 uses a[0..3] */
};

/* Parses s[0..len) as one IPv4 or IPv6 address. IPv4-mapped IPv6 becomes
   IPv4. Refuses everything else (empty, prefixes, scope ids, names, spaces,
   NUL, the unspecified address): -1 with errno EINVAL. */
int addr_parse(const char *s, size_t len, struct addr *out);
/* The form ucspi-tcp's tcpserver (and tcpserver-ipv6) puts in TCPREMOTEIP
   and looks up: dotted quad; IPv6 lowercase with the longest zero run
   compressed even when it is a single group. Returns the length. */
size_t addr_fmt_tcpserver(const struct addr *a, char out[ADDR_TEXT_MAX]);
/* The form Postfix's smtpd looks up: inet_ntop's. Returns the length. */
size_t addr_fmt_postfix(const struct addr *a, char out[ADDR_TEXT_MAX]);
/* A hash key for the address: the family, then the 16 bytes, so IPv4
   1.2.3.4 and IPv6 102:304:: never collide. */
#define ADDR_KEY_LEN 17
void addr_key(const struct addr *a, char k[ADDR_KEY_LEN]);

#endif

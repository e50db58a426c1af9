/* addr.c: client addresses: strict parsing with inet_pton, and the exact
   text forms that tcpserver and Postfix look up. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "addr.h"

static const unsigned char v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int addr_parse(const char *s, size_t len, struct addr *out)
{
	char tmp[ADDR_TEXT_MAX];
	static const unsigned char zero[16];
	size_t i;

	/* Only address characters: this refuses scope ids, spaces, quotes,
	   commas, NUL and newlines before inet_pton sees anything. */
	if (len == 0 || len >= sizeof tmp)
		goto bad;
	for (i = 0; i < len; ++i) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
		      || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			goto bad;
	}
	memcpy(tmp, s, len);
	tmp[len] = 0;
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, tmp, out->a) == 1) {
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, tmp, out->a) == 1) {
		out->family = AF_INET6;
		if (memcmp(out->a, v4mapped, 12) == 0) {
			memmove(out->a, out->a + 12, 4);
			memset(out->a + 4, 0, 12);
			out->family = AF_INET;
		}
	} else {
		goto bad;
	}
	if (memcmp(out->a, zero, out->family == AF_INET ? 4 : 16) == 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

size_t addr_fmt_postfix(const struct addr *a, char out[ADDR_TEXT_MAX])
{
	if (!inet_ntop(a->family, a->a, out, ADDR_TEXT_MAX))
		out[0] = 0; /* cannot happen for a parsed address */
	return strlen(out);
}

/* inet_ntop leaves a single zero group uncompressed and prints IPv4-compatible
   addresses in dotted form; tcpserver-ipv6 (ip6_fmt) does neither, and a key
   must match its TCPREMOTEIP byte for byte. */
size_t addr_fmt_tcpserver(const struct addr *a, char out[ADDR_TEXT_MAX])
{
	static const char hex[] = "0123456789abcdef";
	int k, run = -1, runlen = 0, cur = -1, curlen = 0, started;
	size_t n = 0;

	if (a->family == AF_INET)
		return addr_fmt_postfix(a, out);
	for (k = 0; k < 8; ++k) {
		if (a->a[2 * k] == 0 && a->a[2 * k + 1] == 0) {
			if (cur < 0) {
				cur = k;
				curlen = 0;
			}
			++curlen;
			if (curlen > runlen) {
				run = cur;
				runlen = curlen;
			}
		} else {
			cur = -1;
		}
	}
	for (k = 0; k < 8; ++k) {
		unsigned v, d;
		int shift;

		if (k == run) {
			if (k == 0)
				out[n++] = ':';
			out[n++] = ':';
			k += runlen - 1;
			continue;
		}
		v = (unsigned)a->a[2 * k] << 8 | a->a[2 * k + 1];
		started = 0;
		for (shift = 12; shift >= 0; shift -= 4) {
			d = (v >> shift) & 15;
			if (d || started || shift == 0) {
				out[n++] = hex[d];
				started = 1;
			}
		}
		if (k < 7)
			out[n++] = ':';
	}
	out[n] = 0;
	return n;
}

void addr_key(const struct addr *a, char k[ADDR_KEY_LEN])
{
	k[0] = (char)(a->family == AF_INET ? 4 : 6);
	memcpy(k + 1, a->a, 16);
}

/* vpop-baseline.h: the vpopmail-style roaming baseline that the benchmarks
   compare roaming against (bench/vpop-baseline.c). */
#ifndef VPOP_BASELINE_H
#define VPOP_BASELINE_H

#define VPOP_PATH_MAX 512

/* vpopmail compiles these paths in under ~vpopmail/etc; here they all live
   in one directory: open-smtp, open-smtp.lock, open-smtp.tmp.PID,
   tcp.smtp, tcp.smtp.cdb, tcp.smtp.tmp.PID. */
struct vpop {
	char open_smtp[VPOP_PATH_MAX];
	char lock[VPOP_PATH_MAX];
	char tmp[VPOP_PATH_MAX];        /* OPEN_SMTP_TMP_FILE, without the .PID */
	char tcp_file[VPOP_PATH_MAX];   /* TCP_FILE */
	char cdb[VPOP_PATH_MAX];        /* TCP_FILE.cdb */
	char tcprules[VPOP_PATH_MAX];   /* TCPRULES_PROG */
	unsigned long clear_minutes;    /* RELAY_CLEAR_MINUTES */
	unsigned long busy;             /* times the lock stayed busy ("File busy") */
};

/* Fills v. Returns 0, or -1 if a path does not fit. */
int vpop_init(struct vpop *v, const char *etc, const char *tcprules, unsigned long clear_minutes);
/* open_smtp_relay() for the open-smtp file: rewrites the whole file under
   open-smtp.lock with ip's fresh line last and, if ip was not there, runs
   update_rules() while still holding the lock. Returns 1 if it rebuilt, 0
   if the address was known, -1 on error. */
int vpop_open_smtp_relay(struct vpop *v, const char *ip);
/* update_rules(): tcp.smtp then the open-smtp lines (time cut off) piped
   into a forked real tcprules. Returns 0, or -1 if tcprules failed. */
int vpop_update_rules(const struct vpop *v);
/* clearopensmtp: drops lines older than clear_minutes (no lock, as
   vpopmail's), then always runs update_rules(). Returns 0 or -1. */
int vpop_clearopensmtp(const struct vpop *v);

#endif

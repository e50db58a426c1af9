# Makefile: roaming. ./configure writes config.mk (run automatically if missing).
# make [all] | check [SANITIZE=1] | bench | fuzz | install [DESTDIR=] | clean

-include config.mk

ifeq ($(SANITIZE),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ALL_CFLAGS = $(CFLAGS) $(WARN) $(HARDEN) $(SANFLAGS) -I. -Ilib -Itcprules -Iroaming $(MYSQL_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

LIB_OBJS = lib/buf.o lib/atomic.o lib/addr.o lib/hmap.o lib/lock.o lib/errmsg.o
DIE_OBJ = lib/die.o
RULES_OBJS = tcprules/rules_parse.o tcprules/rules_out.o tcprules/rules_lookup.o
ROAMING_OBJS = roaming/cfg.o roaming/own.o roaming/store.o roaming/store_file.o roaming/store_mysql.o roaming/mysql_api.o roaming/mysql_conf.o roaming/rebuild.o roaming/refresh.o roaming/record.o roaming/login.o roaming/log.o roaming/logwatch.o roaming/follow.o

RULES_PROGS = tcprules/roaming-tcprules tcprules/roaming-tcprulescheck
ROAMING_PROGS = roaming/roaming-checkpassword roaming/roaming-allow roaming/clearopensmtp roaming/roamingctl roaming/roaming-logwatch
PROGS = $(RULES_PROGS) $(ROAMING_PROGS)
TEST_PROGS = tests/unit-lib tests/gen-rules tests/toy-checkpassword tests/gen-maillog
BENCH_PROGS = bench/bench-roaming bench/vpop-baseline bench/bench-postfix

LIBS_RULES = tcprules/librules.a lib/libutil.a $(CDB_LIBS)
LIBS_ROAMING = roaming/libroaming.a $(LIBS_RULES) $(MYSQL_LIBS)

all: config.mk $(PROGS)

config.mk config.h:
	./configure

# Objects are rebuilt when the flags change (SANITIZE=1 and back).
.flags: FORCE
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > .flags.new
	@if cmp -s .flags .flags.new; then rm -f .flags.new; else mv .flags.new .flags; fi
FORCE:

HDRS = config.h $(wildcard lib/*.h tcprules/*.h roaming/*.h)
%.o: %.c $(HDRS) .flags
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

lib/libutil.a: $(LIB_OBJS) $(DIE_OBJ)
	rm -f $@ && ar rcs $@ $^
tcprules/librules.a: $(RULES_OBJS)
	rm -f $@ && ar rcs $@ $^
roaming/libroaming.a: $(ROAMING_OBJS) lib/libutil.a
	rm -f $@ && ar rcs $@ $^

$(RULES_PROGS): %: %.o tcprules/librules.a lib/libutil.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS_RULES)
$(ROAMING_PROGS): %: %.o roaming/libroaming.a tcprules/librules.a lib/libutil.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS_ROAMING)
tests/%: tests/%.o roaming/libroaming.a tcprules/librules.a lib/libutil.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS_ROAMING)
# These two need no roaming code: linked on their own, they build while roaming/ changes.
tests/unit-lib: tests/unit-lib.o tcprules/librules.a lib/libutil.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS_RULES)
tests/gen-rules: tests/gen-rules.o
	$(CC) $(ALL_LDFLAGS) -o $@ $<
tests/gen-maillog: tests/gen-maillog.o
	$(CC) $(ALL_LDFLAGS) -o $@ $<
tests/toy-checkpassword: tests/toy-checkpassword.o
	$(CC) $(ALL_LDFLAGS) -o $@ $<

# The benchmark's vpopmail-style baseline: a program, and the same code
# without its main() linked into the timing driver.
bench/vpop-baseline.o bench/bench-roaming.o: bench/vpop-baseline.h
bench/vpop-baseline: bench/vpop-baseline.o
	$(CC) $(ALL_LDFLAGS) -o $@ $<
bench/vpop-baseline-lib.o: bench/vpop-baseline.c bench/vpop-baseline.h .flags
	$(CC) $(ALL_CFLAGS) -DVPOP_BASELINE_LIB -c -o $@ bench/vpop-baseline.c
bench/bench-roaming: bench/bench-roaming.o bench/vpop-baseline-lib.o roaming/libroaming.a tcprules/librules.a lib/libutil.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< bench/vpop-baseline-lib.o $(LIBS_ROAMING)
# bench-postfix includes roaming/rebuild.c to time its static map writer.
bench/bench-postfix.o: roaming/rebuild.c
bench/bench-postfix: bench/bench-postfix.o roaming/libroaming.a tcprules/librules.a lib/libutil.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS_ROAMING)

check: all $(TEST_PROGS)
	SANITIZE='$(SANITIZE)' sh tests/run

bench: all $(TEST_PROGS) $(BENCH_PROGS)
	sh bench/run

fuzz: config.mk
	sh tests/fuzz/run $(FUZZ_SECONDS)

install: all
	mkdir -p $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man7 $(DESTDIR)$(mandir)/man8
	for p in $(PROGS); do cp $$p $(DESTDIR)$(bindir)/ || exit 1; done
	for m in man/*.5 man/*.7 man/*.8; do [ -f "$$m" ] || continue; cp $$m $(DESTDIR)$(mandir)/man$${m##*.}/ || exit 1; done

clean:
	rm -f $(PROGS) $(TEST_PROGS) $(BENCH_PROGS) */*.o */*.a tests/fuzz/fuzz-* .flags .flags.new

distclean: clean
	rm -f config.mk config.h

.PHONY: all check bench fuzz install clean distclean FORCE
.SECONDARY:

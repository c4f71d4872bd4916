# SPDX-License-Identifier: GPL-2.0-or-later
# syncd: real-time directory mirroring.  See README.md.
VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/syncd
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
SYSCTLDIR ?= $(PREFIX)/lib/sysctl.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
LOCALSTATEDIR ?= /var
DESTDIR  ?=

# BUILD=build-san with SAN=1 gives the ASan+UBSan build the tests also run.
BUILD    ?= build
CC       ?= cc
PKGS      = inih
CFLAGS   ?= -O2 -g
WARN      = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(WARN) $(CPPFLAGS) $(CFLAGS) -DSYNCD_VERSION='"$(VERSION)"' -Icommon \
             $(shell pkg-config --cflags $(PKGS))
LIBS      = $(shell pkg-config --libs $(PKGS))
# syncctl alone reads XML (import-sersync); the worker does not link expat.
CTL_PKGS  = expat
CTL_LIBS  = $(shell pkg-config --libs $(CTL_PKGS))
# The worker alone speaks HTTP (http and cdn hooks), with libcurl's headers;
# it loads the library only for such hooks (daemon/curl_api.h).
DAEMON_PKGS = libcurl
DAEMON_LIBS = -ldl
CHECK_LIBS = $(shell pkg-config --libs check)

COMMON_SRC = common/log.c common/duration.c common/strv.c common/buf.c common/loop.c \
             common/config.c common/hook_conf.c common/filter.c common/lineserver.c common/json.c \
             common/fsutil.c common/proc.c common/field.c common/json_read.c common/sdnotify.c
DAEMON_LIB = daemon/pathtree.c daemon/changeset.c daemon/unclosed.c daemon/mounts.c \
             daemon/watch.c daemon/watch_inotify.c daemon/watch_fanotify.c daemon/child.c daemon/rsync_argv.c \
             daemon/sshmux.c daemon/preconnect.c \
             daemon/treewalk.c daemon/excludes.c daemon/push.c daemon/remote.c daemon/lane.c daemon/batch.c daemon/pace.c daemon/worker.c \
             daemon/journal.c daemon/statelock.c daemon/rsync_exit.c daemon/rsync_version.c daemon/faillog.c daemon/control.c daemon/status.c \
             daemon/hook.c daemon/hook_journal.c daemon/hook_command.c daemon/hook_socket.c daemon/linkpass.c daemon/verify.c \
             daemon/http.c daemon/http_fmt.c daemon/hook_http.c daemon/curl_api.c daemon/connector.c daemon/opening.c
DAEMON_SRC = $(DAEMON_LIB) daemon/main.c
CTL_LIB    = ctl/supervisor.c ctl/instance.c ctl/policy.c ctl/notify.c ctl/client.c ctl/show.c \
             ctl/import_sersync.c ctl/metrics.c ctl/metrics_http.c
CTL_SRC    = $(CTL_LIB) ctl/main.c
UNIT_SRC   = $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

all: $(BUILD)/syncd $(BUILD)/syncctl $(BUILD)/notify_listen $(BUILD)/ctl_send $(BUILD)/netlab_relay

# Small programs the integration tests use: an sd_notify receiver, a
# control socket client and the network lab's delaying relay.
$(BUILD)/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# Each program sees common/ and its own headers; the unit tests see the worker's.
$(BUILD)/tests/%.o: INC = -Idaemon -Ictl $(shell pkg-config --cflags $(DAEMON_PKGS))
$(BUILD)/daemon/%.o: INC = $(shell pkg-config --cflags $(DAEMON_PKGS))
$(BUILD)/ctl/%.o: INC = -DSYNCD_BINDIR='"$(BINDIR)"' $(shell pkg-config --cflags $(CTL_PKGS))

$(BUILD)/%.o: %.c $(wildcard common/*.h daemon/*.h ctl/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) $(INC) -c -o $@ $<

$(BUILD)/syncd: $(call obj,$(COMMON_SRC) $(DAEMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS)

$(BUILD)/syncctl: $(call obj,$(COMMON_SRC) $(CTL_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CTL_LIBS)

$(BUILD)/unit-tests: $(call obj,$(COMMON_SRC) $(DAEMON_LIB) $(CTL_LIB) $(UNIT_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS) $(CTL_LIBS) $(CHECK_LIBS)

# The configuration fuzzer's target with the seeded driver (tests/fuzz/).
$(BUILD)/fuzz-config: $(call obj,$(COMMON_SRC) tests/fuzz/fuzz_config.c tests/fuzz/driver.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The one test command: unit and integration tests on the normal build, then
# again on the ASan+UBSan build, then the worker under valgrind.
check: all $(BUILD)/unit-tests
	$(MAKE) BUILD=build-san SAN=1 build-san/syncd build-san/syncctl build-san/unit-tests build-san/notify_listen build-san/ctl_send build-san/netlab_relay \
	    build-san/fuzz-config
	tests/run-all

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# One integration test: make itest T=basic
itest: all
	tests/run-integration $(BUILD) $(T)

# syncctl running the shipped examples (instances.d/) against an rsync
# daemon on 127.0.0.1, in a temp dir (tests/demo.sh says how)
demo: all
	tests/demo.sh

# The churn test (tests/integration/churn.sh) with many more seeds:
# SOAK_SEEDS of them (default 300) from SOAK_BASE (default: a random base,
# printed first, to run the same seeds again).  The whole output is kept in
# TEST_LOG_DIR (default: a new /tmp/syncd-soak.XXXXXX), the logs of failing
# seeds in the directory the test names.  CHURN_* settings pass through.
SOAK_SEEDS ?= 300
SOAK_BASE  ?=
soak: all
	@base='$(SOAK_BASE)'; [ -n "$$base" ] || base=$$(od -An -N3 -tu4 /dev/urandom | tr -d ' '); \
	out=$${TEST_LOG_DIR:-$$(mktemp -d /tmp/syncd-soak.XXXXXX)}; \
	echo "soak: $(SOAK_SEEDS) seeds from $$base (again: make soak SOAK_BASE=$$base SOAK_SEEDS=$(SOAK_SEEDS)); output in $$out/churn.out"; \
	CHURN_BASE=$$base CHURN_COUNT=$(SOAK_SEEDS) TEST_LOG_DIR=$$out \
	TEST_TIMEOUT=$$(( $(SOAK_SEEDS) * 15 + 120 )) tests/run-integration $(BUILD) churn

# The configuration fuzzer for FUZZ_TIME seconds (default 300): libFuzzer
# when $(FUZZ_CC) has it (build-fuzz/; what it finds new goes to
# build-fuzz/corpus, a crash to build-fuzz/crash-*), else the seeded driver
# make check runs, on the ASan+UBSan build with a random seed (printed; a
# crash leaves its input in build-san/fuzz-crash.ini).  Both run under ASan
# and UBSan, from tests/fuzz/corpus with tests/fuzz/config.dict.
FUZZ_TIME ?= 300
FUZZ_CC   ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz:
	@if echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
	    $(FUZZ_CC) $(FUZZ_FLAGS) -x c -o /dev/null - 2>/dev/null; then \
		$(MAKE) build-fuzz/fuzz-config && mkdir -p build-fuzz/corpus && \
		build-fuzz/fuzz-config -max_total_time=$(FUZZ_TIME) -close_fd_mask=2 -timeout=10 \
		    -artifact_prefix=build-fuzz/ -dict=tests/fuzz/config.dict build-fuzz/corpus tests/fuzz/corpus; \
	else \
		echo "fuzz: no libFuzzer in $(FUZZ_CC): the seeded driver on the ASan+UBSan build"; \
		$(MAKE) BUILD=build-san SAN=1 build-san/fuzz-config && \
		build-san/fuzz-config --time $(FUZZ_TIME) --seed $$(od -An -N4 -tu4 /dev/urandom | tr -d ' ') \
		    --dict tests/fuzz/config.dict --crash build-san/fuzz-crash.ini tests/fuzz/corpus; \
	fi

build-fuzz/fuzz-config: $(COMMON_SRC) tests/fuzz/fuzz_config.c $(wildcard common/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) -Icommon $(shell pkg-config --cflags $(PKGS)) -o $@ \
	    $(COMMON_SRC) tests/fuzz/fuzz_config.c $(LIBS)

# syncd against lsyncd and the inotifywait loop; writes docs/BENCHMARKS.md.
# About 25 minutes (bench/run --quick: about 4); run as root.  Then the WAN
# figures in the network lab (bench/wan and bench/wan-relay, about 30-40 s
# each, bench/wan-tools, about 5 min, bench/fanout and bench/wan-hol, about
# 10 min each with the other tools beside syncd; alone: make bench-wan).
bench: all
	bench/run
	bench/wan
	bench/wan-tools
	bench/wan-relay
	bench/fanout
	bench/wan-hol

bench-wan: all
	bench/wan
	bench/wan-tools
	bench/wan-relay
	bench/fanout
	bench/wan-hol

deps:
	tests/install-deps

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	           $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)/examples/monitoring
	install -m 755 $(BUILD)/syncd $(BUILD)/syncctl $(DESTDIR)$(BINDIR)/
	install -m 644 docs/syncd.8 docs/syncctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 docs/syncd.ini.5 $(DESTDIR)$(MANDIR)/man5/syncd.ini.5
	install -m 644 instances.d/*.ini $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 packaging/monitoring/syncd-alerts.yml packaging/monitoring/syncd-grafana.json \
	           $(DESTDIR)$(DOCDIR)/examples/monitoring/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|' units/syncd@.service >$(DESTDIR)$(UNITDIR)/syncd@.service
	sed 's|@BINDIR@|$(BINDIR)|' units/syncctl.service >$(DESTDIR)$(UNITDIR)/syncctl.service
	install -m 644 units/syncd.target $(DESTDIR)$(UNITDIR)/syncd.target
	install -d $(DESTDIR)$(SYSCONFDIR)/syncd/instances.d $(DESTDIR)$(SYSCTLDIR) \
	           $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR)
	install -d -m 750 $(DESTDIR)$(LOCALSTATEDIR)/lib/syncd
	install -m 644 packaging/sysctl.d/60-syncd.conf $(DESTDIR)$(SYSCTLDIR)/60-syncd.conf
	install -m 644 packaging/tmpfiles.d/syncd.conf $(DESTDIR)$(TMPFILESDIR)/syncd.conf
	install -m 644 packaging/bash-completion/syncctl $(DESTDIR)$(COMPLETIONDIR)/syncctl

# build/deb/syncd_$(VERSION)_*.deb and build/rpm/RPMS/*/syncd-$(VERSION)-1.*.rpm
# from the working tree's files (committed or not, untracked ones too, not
# the ignored ones); PKG_FROM=HEAD packages the last commit instead.  See
# packaging/build.
deb rpm:
	packaging/build $@

clean:
	rm -rf build build-san build-fuzz

.PHONY: all check unit itest demo soak fuzz bench bench-wan deps install deb rpm clean

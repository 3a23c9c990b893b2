# motcua - one Makefile for the gateway, the understanding library, tests and benchmarks.
# `make run` and `make test` are the two commands a newcomer needs (see README.md); `make run`
# installs only what serving needs (`make deps`), `make test` also the test tools (`make test-deps`).

CC      ?= cc
CFLAGS  ?= -O2 -g
STD      = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     = -Wall -Wextra -Werror -Wpedantic -Wstrict-prototypes -Wmissing-prototypes \
           -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare \
           -Wformat=2 -Wvla -fno-common
PKGS     = libwebsockets libpcre2-8 sqlite3 jansson icu-uc icu-i18n openssl libqrencode xlsxwriter \
           pangocairo libpq
TESTPKGS = cmocka

# Debian 12 packages, in two sets. APT_RUN: what `make run` needs to build and serve (the
# compiler, the libraries' headers, and sqlite3 for the documented backup of the state
# database; cairo, Pango and fonts-dejavu-core draw the checklist's picture /p/<token>.png;
# espeak-ng reads the kiosk's answers aloud when kiosk.speech is on);
# `make deps` installs only these. APT_TEST: what `make test` adds (cmocka, the
# browser, the formatter, valgrind, promtool from prometheus, python3-yaml, postgresql-15 for the
# throwaway clusters of the PostgreSQL tests, nginx-light for the two-node test behind the
# cluster's nginx configuration, and APT_DEB for the Debian package's test); `make test-deps`.
APT_RUN  = build-essential pkg-config libwebsockets-dev libpcre2-dev libsqlite3-dev \
           libjansson-dev libicu-dev libssl-dev libqrencode-dev libxlsxwriter-dev sqlite3 \
           libcairo2-dev libpango1.0-dev fonts-dejavu-core espeak-ng libpq-dev
APT_TEST = libcmocka-dev chromium python3 python3-yaml clang-format valgrind prometheus postgresql-15 \
           nginx-light $(APT_DEB)
# `make deb` (packaging/, docs/operations.md "Installing on Debian") and its test in `make test`:
# dpkg-buildpackage is in dpkg-dev (build-essential), debhelper runs the packaging's steps, and
# systemd brings systemd-analyze, which checks the unit.
APT_DEB = dpkg-dev debhelper fakeroot systemd
# `make fuzz` only (docs/fuzzing.md): clang and its libFuzzer runtime (libclang_rt.fuzzer,
# `dpkg -S libclang_rt.fuzzer`); not installed by `make run` or `make test`.
APT_FUZZ = clang-14 libclang-rt-14-dev
# Node.js may come from Debian or from another vendor's package that bundles npm (and
# conflicts with Debian's npm), so it is checked by command, not by package name.
APT_NODE = nodejs npm

# $(call apt_ensure,TARGET,PACKAGES[,MORE]): installs the missing PACKAGES (and MORE, a shell
# snippet adding to $$missing) non-interactively; a no-op when everything is there.
apt_ensure = missing=""; for p in $(2); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	$(3) \
	if [ -n "$$missing" ]; then \
	  echo "$(1): installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "$(1): run as root (or install:$$missing)" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

# SANITIZE=1 builds with ASan+UBSan into $(BUILD)/asan (build/asan by default;
# `make BUILD=build/x SANITIZE=1` uses build/x/asan), never into $(BUILD) itself.
BUILD   ?= build
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
  ASAN_BUILD := $(BUILD)/asan
  override BUILD := $(ASAN_BUILD)
  SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
  ASAN_BUILD := $(BUILD)/asan
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS = $(shell pkg-config --cflags $(TESTPKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TESTPKGS) 2>/dev/null)

INCS     = -Icommon -Iintents -Igateway -Igateway/conv -Igateway/kb -Igateway/store -Igateway/officer -Igateway/admin -Ichannels
ALL_CFLAGS = $(STD) $(WARN) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(INCS) $(PKG_CFLAGS) -MMD -MP
LDLIBS   = $(PKG_LIBS) -lm

COMMON_SRC   = $(wildcard common/*.c)
INTENTS_SRC  = $(wildcard intents/*.c)
# gateway/ is the server; its subsystems have folders (gateway/conv/: the conversation).
GATEWAY_SRC  = $(filter-out gateway/main.c,$(wildcard gateway/*.c gateway/*/*.c))
CHANNELS_SRC = $(wildcard channels/*.c)
LIB_SRC  = $(COMMON_SRC) $(INTENTS_SRC) $(GATEWAY_SRC) $(CHANNELS_SRC)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ = $(BUILD)/obj/gateway/main.o
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# bench/ws_*.c and bench/lat_*.c (make bench-ws, bench-ws-latency) are stand-alone programs
# without libmotcua: rules of their own.
BENCH_SRC = $(filter-out bench/ws_%.c bench/lat_%.c,$(wildcard bench/*.c))
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
DEPS = $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d) $(BENCH_BIN:=.d) \
       $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.d) $(BUILD)/fuzz/obj/fuzz/common.d \
       $(patsubst fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%.d,$(wildcard fuzz/fuzz_*.c))

DB        = $(BUILD)/motcua.db
DATA_SRC  = $(shell find data -type f 2>/dev/null)
STATE_DIR = $(BUILD)/state

.PHONY: fuzz fuzz-deps fuzz-build
.PHONY: install deb deb-deps
.PHONY: all deps test-deps run test test-unit test-e2e test-asan asan-build test-asan-unit test-asan-e2e print-asan-e2e test-valgrind eval bench clean fmt \
        check-fmt db node-deps verify-report screenshots bench-server unit-bins bench-ws bench-ws-latency test-pg \
        test-e2e-pg

all: $(BUILD)/motcua $(DB)

# What building and serving need (APT_RUN); `make run` installs nothing else.
deps:
	@$(call apt_ensure,deps,$(APT_RUN))

# What the tests add (APT_TEST, Node.js). Debian's prometheus package is installed for its
# promtool only: where systemd runs, the Prometheus service it brings is stopped and disabled
# when this target installed it.
test-deps:
	@$(call apt_ensure,test-deps,$(APT_TEST),{ command -v node >/dev/null && command -v npm >/dev/null; } || missing="$$missing $(APT_NODE)";); \
	case " $$missing " in *" prometheus "*) \
	  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus.service >/dev/null 2>&1 || true; fi;; \
	esac

$(BUILD)/libmotcua.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@ # anew: "ar r" would keep the object of a source since removed or renamed
	$(AR) rcs $@ $^

$(BUILD)/motcua: $(MAIN_OBJ) $(BUILD)/libmotcua.a
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmotcua.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Wno-missing-prototypes -Wno-missing-declarations \
	    -o $@ $< $(BUILD)/libmotcua.a $(TEST_LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libmotcua.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libmotcua.a $(LDLIBS)

$(DB): $(BUILD)/motcua $(DATA_SRC)
	$(BUILD)/motcua import data $@.tmp && mv $@.tmp $@

db: $(DB)

run: deps all
	@mkdir -p $(STATE_DIR)
	MOTCUA_DATA_KNOWLEDGE_DB=$(DB) MOTCUA_DATA_STATE_DB=$(STATE_DIR)/state.db \
	  $(BUILD)/motcua serve $(if $(CONFIG),--config $(CONFIG))

# `make install` to the FHS paths (docs/operations.md, "Installing on Debian"), DESTDIR-aware: the
# binary to $(BINDIR), the pages and the built knowledge database to $(DATADIR), the configuration
# to /etc/motcua (never over an edited one: the new one is written beside it as .dist), the
# systemd unit and its sysusers.d entry. The shipped files name the Debian paths (/usr/bin,
# /usr/share/motcua); another PREFIX is written into them as they are installed. State lives in
# /var/lib/motcua, made by systemd (StateDirectory=). The package runs it with PREFIX=/usr.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/motcua
DOCDIR      ?= $(PREFIX)/share/doc/motcua
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,/etc/systemd/system)
SYSUSERSDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/sysusers.d,/etc/sysusers.d)
INSTALL_SED  = sed -e 's|/usr/bin/motcua|$(BINDIR)/motcua|g' -e 's|/usr/share/motcua|$(DATADIR)|g' \
                   -e 's|/usr/share/doc/motcua|$(DOCDIR)|g' -e 's|/etc/motcua|$(SYSCONFDIR)/motcua|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/web $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(SYSCONFDIR)/motcua $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/motcua $(DESTDIR)$(BINDIR)/motcua
	install -m 0644 $(DB) $(DESTDIR)$(DATADIR)/motcua.db
	cp -R channels/web/. $(DESTDIR)$(DATADIR)/web/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/web
	$(INSTALL_SED) packaging/systemd/motcua.service > $(DESTDIR)$(UNITDIR)/motcua.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/motcua.service
	install -m 0644 packaging/systemd/motcua.sysusers $(DESTDIR)$(SYSUSERSDIR)/motcua.conf
	@set -e; for f in motcua.json:0644 motcua.env:0600; do \
	  name=$${f%:*}; mode=$${f#*:}; dst=$(DESTDIR)$(SYSCONFDIR)/motcua/$$name; \
	  if [ -e "$$dst" ]; then echo "install: keeping $$dst (the new one is $$name.dist)"; dst=$$dst.dist; fi; \
	  echo "install: $$dst"; $(INSTALL_SED) packaging/$$name > "$$dst.tmp"; chmod $$mode "$$dst.tmp"; \
	  mv "$$dst.tmp" "$$dst"; \
	done
	install -m 0644 README.md docs/operations.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL_SED) packaging/nginx/motcua.conf > $(DESTDIR)$(DOCDIR)/examples/nginx-motcua.conf
	install -m 0644 packaging/nginx/cluster.conf $(DESTDIR)$(DOCDIR)/examples/nginx-motcua-cluster.conf
	install -m 0644 packaging/journald/motcua.conf $(DESTDIR)$(DOCDIR)/examples/journald-motcua.conf
	chmod 0644 $(DESTDIR)$(DOCDIR)/examples/*

# `make deb`: a binary package built by dpkg-buildpackage from a copy of the sources in
# $(BUILD)/deb/src, with packaging/debian as its debian/; the .deb lands in $(BUILD)/deb.
# The copy is the whole tree but for what the build never reads (so a new source folder needs no
# change here).
DEB_DIR = $(BUILD)/deb
DEB_EXCLUDE = ./build ./$(BUILD) ./.git ./tests ./bench ./fuzz ./docs/img ./docs/screenshots

deb-deps:
	@$(call apt_ensure,deb-deps,$(APT_DEB))

deb: deps deb-deps
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	tar $(DEB_EXCLUDE:%=--exclude=%) -cf - . | tar -xf - -C $(DEB_DIR)/src
	cp -R packaging/debian $(DEB_DIR)/src/debian
	@# the package is built with its own settings, not this make's BUILD, SANITIZE or flags
	cd $(DEB_DIR)/src && env -u BUILD -u SANITIZE -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    dpkg-buildpackage -b -us -uc --jobs-try=auto
	@ls $(DEB_DIR)/*.deb

node-deps:
	@cd tests && { [ -d node_modules/ws ] && [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund --loglevel=error; }

unit-bins: $(UNIT_BIN)

test-unit: $(UNIT_BIN)
	@tests/run-unit.sh $(BUILD)/tests

# The store's contract on PostgreSQL too (docs/scaling.md): a throwaway cluster (tests/lib/pg.sh:
# initdb in a temporary folder, a Unix socket there, stopped by PID) for the store unit tests that
# read MOTCUA_TEST_PG_URL; a step of `make test` (tests/run-all.sh). The server on two nodes is
# tests/e2e/cluster.test.js, cluster-outbox.test.js (a node killed under webhook load) and
# cluster-race.test.js (two nodes saving one session at once), in the e2e run.
PG_UNIT = $(BUILD)/tests/test_store_contract $(BUILD)/tests/test_store_contract_admin
PG_UNIT += $(BUILD)/tests/test_store_contract_handoff $(BUILD)/tests/test_store_contract_feed
PG_UNIT += $(BUILD)/tests/test_store_contract_report
PG_UNIT += $(BUILD)/tests/test_store_listen $(BUILD)/tests/test_store_pg_link
PG_UNIT += $(BUILD)/tests/test_store_contract_commit
PG_UNIT += $(BUILD)/tests/test_store_contract_resend
PG_UNIT += $(BUILD)/tests/test_store_contract_queue $(BUILD)/tests/test_store_contract_request
PG_UNIT += $(BUILD)/tests/test_store_contract_vote
PG_UNIT += $(BUILD)/tests/test_store_contract_webhook
PG_UNIT += $(BUILD)/tests/test_handoff_resume
test-pg: $(PG_UNIT)
	@command -v /usr/lib/postgresql/15/bin/initdb >/dev/null || { echo "test-pg: postgresql-15 is not installed (make test-deps)"; exit 1; }
	@tests/lib/pg.sh sh -c 'rc=0; for t in $(PG_UNIT); do $$t >$$t.pg.log 2>&1 || { rc=1; cat $$t.pg.log; }; \
	  grep -E "^store contract|^\[  (PASSED|FAILED) +\]" $$t.pg.log | sed "s|^|$$(basename $$t): |"; done; exit $$rc'

test-e2e: all node-deps
	@MOTCUA_BIN=$(abspath $(BUILD)/motcua) MOTCUA_DB=$(abspath $(DB)) \
	  tests/node-test.sh tests/e2e/*.test.js

# The e2e files again with the state on a throwaway PostgreSQL (issue 18): each server its own
# database; tests/e2e-pg.sh lists the files left out and why. Prints "e2e-pg: N passed, N failed".
test-e2e-pg: all node-deps
	@command -v /usr/lib/postgresql/15/bin/initdb >/dev/null || { echo "test-e2e-pg: postgresql-15 is not installed (make test-deps)"; exit 1; }
	@MOTCUA_BIN=$(abspath $(BUILD)/motcua) MOTCUA_DB=$(abspath $(DB)) tests/e2e-pg.sh

# Refreshes docs/screenshots from the browser tests.
screenshots: all node-deps
	@MOTCUA_SCREENSHOTS=1 MOTCUA_BIN=$(abspath $(BUILD)/motcua) MOTCUA_DB=$(abspath $(DB)) \
	  tests/node-test.sh tests/e2e/browser.test.js

# The understanding gate of `make test`: the frozen held-out split and the dev set at the
# stated targets (tests/understanding-gate.sh; docs/understanding.md, "Figures").
eval: all
	tests/understanding-gate.sh $(BUILD)

# End-to-end load on the real server over loopback (20 clients x 200 turns).
bench-server: all node-deps
	@MOTCUA_BIN=$(abspath $(BUILD)/motcua) MOTCUA_DB=$(abspath $(DB)) node bench/ws_load.js

# The WebSocket benchmark with its peers (docs/performance.md): a C load generator, a C echo
# server and a Node.js ws echo server beside `motcua serve`, and motcua on PostgreSQL (1 and 2
# nodes) when postgresql-15 is installed; ~3.5 minutes, not part of `make test`.
WSBENCH_BIN = $(BUILD)/bench-ws/ws_loadgen $(BUILD)/bench-ws/ws_echo

$(BUILD)/bench-ws/%: bench/%.c bench/ws_proto.c bench/ws_proto.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(shell pkg-config --cflags libcrypto 2>/dev/null) -o $@ $< \
	    bench/ws_proto.c $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)

# the load generator also reads its texts and the server's frames (bench/ws_text.[ch]); one
# connection's life is in bench/ws_loadgen_conn.[ch]
$(BUILD)/bench-ws/ws_loadgen: bench/ws_loadgen.c bench/ws_loadgen_conn.c bench/ws_loadgen_conn.h \
                              bench/ws_text.c bench/ws_text.h bench/ws_proto.c bench/ws_proto.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(shell pkg-config --cflags libcrypto 2>/dev/null) -o $@ $< \
	    bench/ws_loadgen_conn.c bench/ws_text.c bench/ws_proto.c \
	    $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)

bench-ws: all node-deps $(WSBENCH_BIN)
	@BUILD=$(BUILD) bench/bench_ws.sh

# motcua on PostgreSQL with the database at a distance: a relay adding RTT_MS ms a round trip
# (docs/performance.md, "A database at a distance"); ~4 minutes, not part of `make test`.
# RTT_MS="0 1 5" NODES="1 2" HANDOFF="0 1" ROUNDS=2 ... make bench-ws-latency
$(BUILD)/bench-ws/lat_relay: bench/lat_relay.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $<

bench-ws-latency: all $(WSBENCH_BIN) $(BUILD)/bench-ws/lat_relay
	@BUILD=$(BUILD) bench/bench_latency.sh

bench: $(BENCH_BIN) $(DB)
	@for b in $(BENCH_BIN); do $$b $(DB) || exit 1; done

test: deps test-deps
	@$(MAKE) --no-print-directory -j$(shell nproc) all $(UNIT_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) tests/run-all.sh

# The unit tests, then the gateway, webhook, conversation, reload, officer, report, admin and guide e2e files against
# the ASan+UBSan server in $(ASAN_BUILD); both always run, and either failing
# fails the target (an e2e server's sanitizer report fails its test file:
# tests/e2e/lib/server.js checks every server's exit and stderr). ASAN_E2E names the e2e
# files. tests/run-all.sh runs the parts in its lanes: `make asan-build`, then
# `make test-asan-unit` and `make test-asan-e2e ASAN_E2E=NAME` (each assumes the build is done).
ASAN_E2E ?= gateway webhooks conversations reload officer handoff-citizen handoff-officer report office admin guides share
asan_unit = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run-unit.sh $(ASAN_BUILD)/tests
asan_e2e = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	  MOTCUA_BIN=$(abspath $(ASAN_BUILD)/motcua) MOTCUA_DB=$(abspath $(ASAN_BUILD)/motcua.db) \
	  timeout 1200 tests/node-test.sh --test-reporter=dot $(ASAN_E2E:%=tests/e2e/%.test.js)

test-asan: asan-build
	@rc=0; $(asan_unit) || rc=1; \
	echo "e2e against the sanitized server:"; \
	$(asan_e2e) || rc=1; \
	exit $$rc

# -j: in make test the other lane's e2e files leave part of the 2 cores idle (they wait on
# servers and browsers), and this build is the longest step of its lane before the e2e files
asan-build: deps test-deps
	@$(MAKE) --no-print-directory -j$(shell nproc) SANITIZE=1 all unit-bins
	@$(MAKE) --no-print-directory node-deps

test-asan-unit:
	@$(asan_unit)

test-asan-e2e:
	@echo "e2e against the sanitized server:"; $(asan_e2e)

# the ASan e2e list, for tests/run-all.sh's check that its queue names the same files
print-asan-e2e:
	@echo $(ASAN_E2E)

# libFuzzer harnesses (fuzz/, docs/fuzzing.md), built with clang into $(FUZZ_BUILD) and run
# one after the other, each for FUZZ_SECONDS as one job, from its seed corpus fuzz/corpus/NAME
# (read only) and a working corpus in $(FUZZ_BUILD)/corpus/NAME. A crash, a leak, a UBSan report,
# a timeout or running out of memory fails the target: its input is kept as
# $(FUZZ_BUILD)/artifacts/NAME-crash-..., and the run ends with "fuzz: N passed, N failed".
# FUZZ_TARGETS=ws_frame runs one; `make fuzz-build` only builds.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_RSS_MB  ?= 2048
FUZZ_BUILD    = $(BUILD)/fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(STD) $(WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(INCS) $(PKG_CFLAGS) -MMD -MP
FUZZ_ALL     := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_LIB_OBJ  = $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(FUZZ_BUILD)/obj/fuzz/common.o
FUZZ_BIN      = $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_JSON     = ws_frame http messenger zalo import # targets fed fuzz/json.dict
.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz-deps:
	@$(call apt_ensure,fuzz-deps,$(APT_FUZZ))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(LDLIBS)

fuzz-build: deps fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

fuzz: fuzz-build
	@pass=0; fail=0; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts $(FUZZ_BUILD)/log; \
	  log=$(FUZZ_BUILD)/log/$$t.log; dict=""; \
	  case " $(FUZZ_JSON) " in *" $$t "*) dict=-dict=fuzz/json.dict;; esac; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=$(FUZZ_RSS_MB) -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t >$$log 2>&1; \
	  rc=$$?; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -1); \
	  if [ $$rc -eq 0 ] && [ -n "$$runs" ]; then \
	    pass=$$((pass + 1)); echo "ok   $$t: $$runs runs"; \
	  else \
	    fail=$$((fail + 1)); failed="$$failed $$t"; \
	    echo "FAIL $$t (exit $$rc): see $$log"; grep -m 20 -E 'ERROR|runtime error|SUMMARY|Test unit written' $$log; \
	  fi; \
	done; \
	echo "fuzz: $$pass passed, $$fail failed$${failed:+ (}$${failed# }$${failed:+)}"; \
	[ $$fail -eq 0 ]

test-valgrind: $(UNIT_BIN)
	@VALGRIND="valgrind --quiet --error-exitcode=99 --leak-check=full" tests/run-unit.sh $(BUILD)/tests

verify-report: all
	$(BUILD)/motcua verify-report data > docs/verify-report.md

fmt:
	clang-format -i $(shell find common intents gateway channels tests/unit bench fuzz -name '*.[ch]')

check-fmt:
	@command -v clang-format >/dev/null || { echo "check-fmt: clang-format is not installed (make test-deps)"; exit 1; }
	@clang-format --dry-run -Werror $(shell find common intents gateway channels tests/unit bench fuzz -name '*.[ch]')

clean:
	rm -rf build

-include $(DEPS)

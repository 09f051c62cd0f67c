# vigil build. `make` builds ./vigil; `make help` lists the targets.

CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
BUILD    := build
ARCH     := x86

VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

# make install (FHS; DESTDIR for staging, as the Debian package does).
PREFIX        ?= /usr
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
BASHCOMPDIR   ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
UNITDIR       ?= /lib/systemd/system
# What packaging/ holds today: the default config, man pages, completion and logrotate files
# come from other work and are installed when present.
PKG_CONFIG_FILE := $(wildcard packaging/vigil.yaml)
PKG_MAN5        := $(wildcard packaging/man/*.5)
PKG_MAN8        := $(wildcard packaging/man/*.8)
PKG_BASHCOMP    := $(wildcard packaging/bash-completion/vigil)
PKG_LOGROTATE   := $(wildcard packaging/logrotate/vigil)

LIBS_PC  := libbpf libdw libelf zlib yaml-0.1 libsystemd gnutls libmicrohttpd libnats json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null || \
		echo -lbpf -ldw -lelf -lz -lyaml -lsystemd -lgnutls -lmicrohttpd -lnats -ljson-c)

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE \
	    -Iinclude -Isrc -I$(BUILD)/skel $(PKG_CFLAGS) -MMD -MP
# vigil top's screen; not its --cflags, which would set _XOPEN_SOURCE for every object
NCURSES_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
LDLIBS   := $(PKG_LIBS) $(NCURSES_LIBS) -lpthread

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) \
	      -Wno-unused-parameter -I$(BUILD) -Iinclude -Ibpf/include -MMD -MP

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))

MAIN_SRC := src/cli/main.c
# The static build's stand-in for what uses libnats (Debian ships no libnats.a).
NATS_NONE_SRC := src/sinks/nats_none.c
# The static build's stand-in for the DWARF unwinder (libdw): `vigil profile` says it is missing.
UNWIND_NONE_SRC := src/profile/unwind_none.c
LIB_SRCS := $(filter-out $(MAIN_SRC) $(NATS_NONE_SRC) $(UNWIND_NONE_SRC),$(wildcard src/*/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS)) $(BUILD)/gen/builtin_rules.o \
	    $(BUILD)/gen/syscall_names.o
# The default ruleset, embedded in the binary.
RULES    := $(sort $(wildcard rules/*.yaml))
LIBVIGIL := $(BUILD)/libvigil.a
# The readiness notices (agent/notify.c) and the journald sink use libsystemd, the TLS sinks
# GnuTLS, the metrics endpoint (export/http.c) libmicrohttpd; Debian ships none of them as a
# static library usable here, so the static build has its own libvigil with these built
# without them (no-ops there, or "not built in").
OPTIONAL_SRCS   := src/agent/notify.c src/sinks/journald.c src/sinks/tls.c src/export/http.c
OPTIONAL_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(OPTIONAL_SRCS))
# Nor libnats.a: there src/sinks/nats_none.c stands in for what uses libnats.
NATS_OBJS       := $(patsubst %,$(BUILD)/src/sinks/%.o,nats nats_conn nats_reader)
UNWIND_OBJS     := $(BUILD)/src/profile/unwind.o $(BUILD)/src/profile/symtab.o
STATIC_LIBVIGIL := $(BUILD)/static/libvigil.a

# Every tests/<suite>/test_*.c is one test binary; tests/harness.c is linked into each.
TEST_SUITES := unit integration xdp
TEST_SRCS   := $(foreach s,$(TEST_SUITES),$(wildcard tests/$s/test_*.c))
TEST_BINS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# Tests in shell (tests/<suite>/test_*.sh) run beside the binaries and end with the same line.
TEST_SCRIPTS := $(foreach s,$(TEST_SUITES),$(wildcard tests/$s/test_*.sh))
# tests/package/: the install and the Debian package (shell, no root; builds the package).
PACKAGE_TESTS := $(wildcard tests/package/test_*.sh)
# Programs tests run as workloads (tests/helpers/), built as Debian builds: no frame pointers.
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))
# The harness and tests/lib/*.c (helpers shared by tests) are linked into every test binary.
TEST_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,tests/harness.c $(wildcard tests/lib/*.c))

# The VM suite: statically linked vigil and tests, run under Debian's 6.1 and 6.12 kernels
# (scripts/vm/).
# vigil top's screen: Debian's libncurses-dev has the static ncursesw and tinfo.
STATIC_LDLIBS := -static -l:libbpf.a -l:libelf.a -l:libz.a -l:libyaml.a -l:libjson-c.a \
		 -l:libncursesw.a -l:libtinfo.a -lpthread
VM_TESTS      := process file priv kernel net probe lsm guard pin
# The shield's BPF_PROG_TEST_RUN tests too: its program must load on their verifiers (~30 s).
VM_XDP_TESTS  := shield
VM_TEST_BINS  := $(patsubst %,$(BUILD)/static/tests/integration/test_%,$(VM_TESTS)) \
		 $(patsubst %,$(BUILD)/static/tests/xdp/test_%,$(VM_XDP_TESTS))

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/lib/*.c))

# The policy fuzzer (fuzz/): the target, src/policy/ and the shield's rule parser (a policy's
# shield: section) built with clang's libFuzzer and sanitizers, the rest of libvigil as it is.
# Seeds from rules/ and docs/ at build time.
# clang, unlike gcc, warns of positional initialisers that leave later fields zero.
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer $(WARN) -Wno-missing-field-initializers -std=gnu11 \
		-D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD)/skel $(PKG_CFLAGS) -MMD -MP
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/san/%.o,fuzz/fuzz_policy.c $(wildcard src/policy/*.c) \
		src/shield/yaml.c src/shield/yaml_balance.c src/shield/rules.c)

# Debian packages for building, testing and benchmarking (bookworm names).
DEB_PKGS := make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	    libyaml-dev libjson-c-dev iproute2 procps python3 busybox-static cpio \
	    qemu-system-x86 auditd bpftrace nftables libclang-rt-14-dev man-db \
	    bash-completion libsystemd-dev debhelper lintian fakeroot dpkg-dev debootstrap \
	    logrotate libmicrohttpd-dev prometheus libgnutls28-dev rsyslog rsyslog-gnutls \
	    gnutls-bin libnats-dev nats-server openssl libncurses-dev libdw-dev linux-perf \
	    sharutils xxd \
	    redis-server redis-tools nginx wrk

.SECONDARY: $(BPF_OBJS) $(SKELS) $(TEST_LIB_OBJS) $(BENCH_LIB_OBJS)

.PHONY: FORCE all deps run test test-unit test-integration test-vm test-service bench fuzz \
	format format-check clean help install uninstall deb test-package

all: vigil

help:
	@echo "make            build ./vigil"
	@echo "make deps       install build, test and bench dependencies (Debian, needs root)"
	@echo "make run        deps + build + ./vigil run (needs root)"
	@echo "make test       deps + build + every test suite (needs root for integration)"
	@echo "make test-package  make install/uninstall, make deb, lintian, the unit (tests/package/)"
	@echo "make test-vm    boot Debian 12's and 13's kernels (6.1, 6.12) in qemu, run the VM tests (root)"
	@echo "make test-service  boot Debian with systemd in qemu, test the package as a service (root)"
	@echo "make bench      run the benchmarks and print a table (needs root)"
	@echo "make fuzz       fuzz the policy parser and compiler for FUZZ_SECONDS (default 60)"
	@echo "make install    install vigil, its config, unit and man pages (PREFIX=/usr, DESTDIR)"
	@echo "make uninstall  remove what make install put there (edited config and policies stay)"
	@echo "make deb        build the Debian package: build/deb/vigil_<version>_amd64.deb"
	@echo "make format     reformat the C sources with .clang-format"
	@echo "make format-check  fail if any source is not formatted"

deps:
	@scripts/deps.sh $(DEB_PKGS)

run: deps vigil
	./vigil run

# Every suite: the host's (the package test builds build/deb/), the VMs' (BPF LSM, Debian's 6.1
# and 6.12 kernels), the booted Debian's (the package under systemd), one total.
test: deps vigil tests $(BUILD)/static/vigil $(VM_TEST_BINS)
	@scripts/test-all.sh "$(TEST_BINS) $(TEST_SCRIPTS) $(PACKAGE_TESTS)" $(BUILD)/deb \
		$(BUILD)/static/vigil $(VM_TEST_BINS)

tests: $(TEST_BINS) $(TEST_HELPERS)

test-unit: vigil $(filter $(BUILD)/tests/unit/%,$(TEST_BINS))
	@scripts/run-tests.sh $(filter $(BUILD)/tests/unit/%,$(TEST_BINS)) \
		$(filter tests/unit/%,$(TEST_SCRIPTS))

test-integration: vigil $(filter $(BUILD)/tests/integration/%,$(TEST_BINS)) $(TEST_HELPERS)
	@scripts/run-tests.sh $(filter $(BUILD)/tests/integration/%,$(TEST_BINS))

# The VM suite (scripts/vm/run.sh) boots Debian's cloud kernels, which have BPF LSM, and runs
# statically linked binaries from a busybox initramfs; scripts/vm/suites.sh boots Debian 12's
# (6.1) and 13's (6.12) side by side. Same objects, linked with -static.

test-package: deps vigil
	@scripts/run-tests.sh $(PACKAGE_TESTS)

test-vm: deps $(BUILD)/static/vigil $(VM_TEST_BINS)
	@scripts/vm/suites.sh $(BUILD)/static/vigil $(VM_TEST_BINS)

# The booted-Debian suite (scripts/vm/debian-run.sh): Debian bookworm made by debootstrap (cached
# in .vm-cache/), systemd as pid 1, the package of `make deb` installed with apt, the service
# tested.
test-service: deps deb
	@scripts/vm/debian-run.sh $(BUILD)/deb/vigil_*_amd64.deb

$(BUILD)/static/vigil: $(BUILD)/src/cli/main.o $(STATIC_LIBVIGIL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(STATIC_LDLIBS)

$(BUILD)/static/tests/%: tests/%.c $(TEST_LIB_OBJS) $(STATIC_LIBVIGIL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -Itests/lib -o $@ $< $(TEST_LIB_OBJS) $(STATIC_LIBVIGIL) \
		-l:libjson-c.a $(STATIC_LDLIBS)

$(STATIC_LIBVIGIL): $(filter-out $(OPTIONAL_OBJS) $(NATS_OBJS) $(UNWIND_OBJS),$(LIB_OBJS)) \
		    $(patsubst src/%.c,$(BUILD)/static/%.o,$(OPTIONAL_SRCS) $(NATS_NONE_SRC) \
		    $(UNWIND_NONE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/static/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

bench: deps vigil $(BENCH_BINS) $(BUILD)/tests/integration/test_baseline
	@bench/run.sh

# Fails on a crash, a leak, undefined behaviour or a hang (-timeout); what failed is kept in
# build/fuzz/artifacts/ (add it to fuzz/regressions/ once fixed). The corpus grows across runs.
fuzz: $(FUZZ_DIR)/fuzz_policy $(FUZZ_DIR)/seeds/.done
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	UBSAN_OPTIONS=print_stacktrace=1 $(FUZZ_DIR)/fuzz_policy -max_total_time=$(FUZZ_SECONDS) \
		-timeout=10 -max_len=32768 -print_final_stats=1 -dict=fuzz/policy.dict \
		-artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds \
		fuzz/corpus fuzz/regressions

$(FUZZ_DIR)/fuzz_policy: $(FUZZ_OBJS) $(LIBVIGIL)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $^ $(LDLIBS)

$(FUZZ_DIR)/san/%.o: %.c $(SKELS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/seeds/.done: $(RULES) docs/policy.md scripts/fuzz-seeds.sh
	scripts/fuzz-seeds.sh $(@D) $(RULES) docs/policy.md
	@touch $@

vigil: $(BUILD)/src/cli/main.o $(LIBVIGIL)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Directories vigil owns are made here; /run/vigil and /var/log/vigil by the unit at start.
install: vigil
	install -D -m 0755 vigil $(DESTDIR)$(SBINDIR)/vigil
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/vigil/policies.d
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/vigil
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/vigil|$(SBINDIR)/vigil|g' packaging/systemd/vigil.service \
		> $(DESTDIR)$(UNITDIR)/vigil.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vigil.service
	$(if $(PKG_CONFIG_FILE),install -m 0644 $(PKG_CONFIG_FILE) $(DESTDIR)$(SYSCONFDIR)/vigil/)
	$(if $(PKG_MAN5),install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man5 $(PKG_MAN5))
	$(if $(PKG_MAN8),install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(PKG_MAN8))
	$(if $(PKG_BASHCOMP),install -D -m 0644 $(PKG_BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/vigil)
	$(if $(PKG_LOGROTATE),install -D -m 0644 $(PKG_LOGROTATE) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/vigil)

# A config file that was edited stays, and so do policies and state (rmdir of empty ones only).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vigil $(DESTDIR)$(UNITDIR)/vigil.service \
		$(DESTDIR)$(BASHCOMPDIR)/vigil $(DESTDIR)$(SYSCONFDIR)/logrotate.d/vigil \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(PKG_MAN5))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(PKG_MAN8)))
	$(if $(PKG_CONFIG_FILE),! cmp -s $(PKG_CONFIG_FILE) $(DESTDIR)$(SYSCONFDIR)/vigil/vigil.yaml \
		|| rm -f $(DESTDIR)$(SYSCONFDIR)/vigil/vigil.yaml)
	-rmdir $(DESTDIR)$(SYSCONFDIR)/vigil/policies.d $(DESTDIR)$(SYSCONFDIR)/vigil \
		$(DESTDIR)$(LOCALSTATEDIR)/lib/vigil 2>/dev/null

# The package is built from a copy of the tree with packaging/debian/ as debian/ (see
# scripts/build-deb.sh): dpkg-buildpackage leaves it in build/deb/.
deb:
	@scripts/build-deb.sh $(BUILD)/deb

# Only this object carries the version, and it is rebuilt every time: commits rebuild nothing else.
$(BUILD)/src/core/version.o: CFLAGS += -DVIGIL_VERSION='"$(VERSION)"'
$(BUILD)/src/core/version.o: FORCE
FORCE:

$(BUILD)/gen/builtin_rules.c: $(RULES) scripts/embed-rules.sh
	@mkdir -p $(@D)
	scripts/embed-rules.sh $@ $(RULES)

$(BUILD)/gen/builtin_rules.o: $(BUILD)/gen/builtin_rules.c
	$(CC) $(CFLAGS) -c -o $@ $<

# Syscall names by number for `vigil latency syscall`, from the C library's <asm/unistd.h>.
$(BUILD)/gen/syscall_names.c: scripts/gen-syscalls.sh
	@mkdir -p $(@D)
	scripts/gen-syscalls.sh $@ $(CC)

$(BUILD)/gen/syscall_names.o: $(BUILD)/gen/syscall_names.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(OPTIONAL_OBJS): CFLAGS += -DHAVE_LIBSYSTEMD -DHAVE_GNUTLS -DHAVE_LIBMICROHTTPD

$(LIBVIGIL): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# User-space objects depend on every skeleton: skeletons are small and this keeps rules simple.
$(BUILD)/%.o: %.c $(SKELS) | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TEST_LIB_OBJS) $(LIBVIGIL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -Itests/lib -o $@ $< $(TEST_EXTRA_OBJS) $(TEST_LIB_OBJS) $(LIBVIGIL) \
		$(LDLIBS) -ljson-c

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -fomit-frame-pointer $(WARN) -o $@ $<

# test_policy runs the fuzz target, built without sanitizers, on the corpus and regressions.
$(BUILD)/tests/unit/test_policy: TEST_EXTRA_OBJS := $(BUILD)/fuzz/fuzz_policy.o
$(BUILD)/tests/unit/test_policy: $(BUILD)/fuzz/fuzz_policy.o

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -c -o $@ $<

$(BUILD)/bench/%: bench/%.c $(BENCH_LIB_OBJS) $(LIBVIGIL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ibench/lib -o $@ $< $(BENCH_LIB_OBJS) $(LIBVIGIL) $(LDLIBS)

# vmlinux.h is generated from the running kernel's BTF (see README, build notes).
$(BUILD)/vmlinux.h: | $(BUILD)
	@test -r /sys/kernel/btf/vmlinux || { echo "vigil: this kernel has no BTF" \
		"(/sys/kernel/btf/vmlinux); build on a kernel with CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h | $(BUILD)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $(@:.o=.tmp.o)
	$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BUILD):
	@mkdir -p $@

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@out=$$(for f in $(FORMAT_SRCS); do clang-format --dry-run --Werror $$f >/dev/null 2>&1 \
		|| echo $$f; done); test -z "$$out" || { echo "not formatted:"; echo "$$out"; exit 1; }
	@echo "format-check: all sources formatted"

clean:
	rm -rf $(BUILD) vigil

# build/deb/ holds the package's own build tree (and policies.d directories)
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

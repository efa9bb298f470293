# Cove — see README.md.
PREFIX ?= /usr/local
# Fully static: no dynamic loader at start-up (its symbol binding cost more than all of `cove unshare`).
# glibc then loads NSS modules itself for user names, which needs the same glibc at run time as at build time.
# lld places the functions the hot commands run next to each other (linker/hot-symbols.txt, made by
# scripts/hot-symbols.sh): fewer text pages touched, so fewer page faults and a smaller RSS per command.
RELEASE_FLAGS = -c release --static-swift-stdlib -Xswiftc -static-executable \
	-Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
	-Xswiftc -use-ld=lld -Xlinker --symbol-ordering-file=$(CURDIR)/linker/hot-symbols.txt -Xlinker --no-warn-symbol-ordering
BIN = .build/release/cove
DEPS = busybox-static iproute2 util-linux uidmap procps iputils-ping libseccomp-dev podman containerd docker.io runc jq python3 gdb

.PHONY: all build install setup test demo bench bench-quick clean

all: build

# SwiftPM leaves three empty TemporaryDirectory.* in $TMPDIR per run: keep them in .build, not /tmp.
SWIFT = mkdir -p .build/tmp && TMPDIR=$(CURDIR)/.build/tmp swift

build:
	@# SwiftPM does not track the ordering file: relink when it changed.
	@if [ -e $(BIN) ] && [ linker/hot-symbols.txt -nt $(BIN) ]; then rm -f $(BIN); fi
	$(SWIFT) build $(RELEASE_FLAGS)
	@./scripts/hot-symbols.sh --check $(BIN)

install: build
	install -m 0755 $(BIN) $(PREFIX)/bin/cove

# Installs the Debian packages Cove's demo and tests use (needs root).
setup:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEPS)
	id covetest >/dev/null 2>&1 || useradd --create-home --shell /bin/sh covetest

# The tests as `swift test` runs them, through scripts/run-tests.sh: a deadline with a report of what hangs, and
# output line by line (see the script).
# The bench harness's own unit tests (pure Python, a second) come first. Last, on the release binary: no command
# an engine runs per container may make the Swift runtime scan its conformance records (~0.1-0.2 ms each; one
# `joined(separator:)` is enough), which no functional test notices.
test:
	python3 -m unittest discover -s bench/tests
	$(SWIFT) build --build-tests
	./scripts/run-tests.sh
	$(MAKE) build
	./scripts/conformance-scans.sh --check $(BIN)

demo: build
	./scripts/demo.sh $(BIN)

bench: build
	./bench/run.sh

bench-quick: build
	./bench/run.sh --quick

clean:
	rm -rf .build work

# Cove — see README.md.
PREFIX ?= /usr/local
# Fully static: no dynamic loader at start-up (its symbol binding cost more than all of `cove unshare`).
# glibc then loads NSS modules itself for user names, which needs the same glibc at run time as at build time.
RELEASE_FLAGS = -c release --static-swift-stdlib -Xswiftc -static-executable
BIN = .build/release/cove
DEPS = busybox-static iproute2 util-linux uidmap procps iputils-ping libseccomp-dev podman containerd docker.io runc jq

.PHONY: all build install setup test demo bench bench-quick clean

all: build

build:
	swift build $(RELEASE_FLAGS)

install: build
	install -m 0755 $(BIN) $(PREFIX)/bin/cove

# Installs the Debian packages Cove's demo and tests use (needs root).
setup:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEPS)
	id covetest >/dev/null 2>&1 || useradd --create-home --shell /bin/sh covetest

test:
	swift build
	swift test

demo: build
	./scripts/demo.sh $(BIN)

bench: build
	./bench/run.sh

bench-quick: build
	./bench/run.sh --quick

clean:
	rm -rf .build work

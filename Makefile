# Bidcast: `make run` starts everything, `make test` checks everything.
# Both install what is missing (as root, from Debian's packages) and start a
# private Postgres and Redis under .data/ unless DATABASE_URL and REDIS_URL are set.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
STATICCHECK_VERSION ?= v0.8.2
TOOLS := $(CURDIR)/.data/bin
# with_env loads .data/env (written by `make services`) into the recipe's shell.
with_env = set -a; . ./.data/env; set +a;

.PHONY: all build run services services-stop clean-data migrate test test-steps vet lint staticcheck unit fmt loadtest interop screenshots clean bench-sfu-peers

all: build

check-go:
	@command -v $(GO) >/dev/null 2>&1 || { echo "Go is not installed: install Go 1.25 or newer (https://go.dev/doc/install)"; exit 2; }

build: check-go
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

services:
	@scripts/services.sh start

# services-stop stops this checkout's Postgres and Redis, and the clusters
# of deleted clones left under /var/lib/bidcast.
services-stop:
	@scripts/services.sh stop

# clean-data stops the services and deletes their data: .data/ (but the
# tools in .data/bin) and this checkout's and deleted clones' clusters
# under /var/lib/bidcast.
clean-data:
	@scripts/services.sh clean

migrate: services build
	@$(with_env) bin/auctiond migrate

# run starts the demo room too (a synthetic broadcast guests may bid in);
# `DEMO=false make run` leaves it out.
run: services build
	@$(with_env) DEMO=$${DEMO:-true} exec bin/auctiond serve

vet: check-go
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on: $$unformatted"; exit 1; fi

$(TOOLS)/staticcheck:
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(TOOLS)/staticcheck
	$(TOOLS)/staticcheck ./...

lint: vet staticcheck

# unit runs the whole test suite (integration tests included) against the
# services named in .data/env, with the race detector.
unit: services
	@$(with_env) $(GO) test -race -count=1 -timeout 9m ./...

# test starts the services, lints and runs every test, then stops the
# services it started itself (those already up stay up), pass or fail.
test:
	@scripts/services.sh with $(MAKE) --no-print-directory test-steps

# test-steps is test's body, with the services already up.
test-steps: lint
	@$(with_env) $(GO) test -race -count=1 -timeout 9m ./...

# interop publishes over WHIP and watches over WHEP with aiortc, a
# third-party WebRTC stack (Debian's python3-aiortc, installed here only),
# in H.264 and VP8 against an in-process server, and in headless Chromium
# with Eyevinn's npm WHIP client and WHEP player (vendored in
# cmd/auctiond/testdata/interop) and Chromium's own three-layer simulcast;
# not part of `make test`.
interop: services
	@/usr/bin/python3 -c 'import aiortc' 2>/dev/null || scripts/services.sh install python3-aiortc
	@$(with_env) $(GO) test -tags interop -count=1 -timeout 5m -run Interop -v ./cmd/auctiond/

# screenshots runs the Chromium page tests (with a Korean font, installed
# here only) and copies the screens they took into docs/screenshots.
screenshots: services
	@fc-list :lang=ko family 2>/dev/null | grep -q . || scripts/services.sh install fonts-nanum
	@rm -rf artifacts/e2e
	@$(with_env) $(GO) test -count=1 -timeout 5m -run 'InChromium' ./web/
	@for f in artifacts/e2e/*.png; do case $$(basename $$f) in failed-*) ;; *) cp $$f docs/screenshots/ ;; esac; done
	@echo "screenshots: $$(ls artifacts/e2e/*.png | grep -vc /failed-) screens copied into docs/screenshots/"

fmt:
	gofmt -w $$(git ls-files '*.go')

# loadtest is a short standard run against a local server on a database of
# its own (scripts/loadtest.sh says what it runs); reports land in
# artifacts/loadtest/.
loadtest: services build
	@scripts/loadtest.sh

# bench-sfu-peers measures Bidcast's SFU, MediaMTX (built outside this
# repository when absent) and the kernel's floor side by side in one run
# (scripts/bench-sfu-peers.sh; docs/PERFORMANCE.md, "SFU side by side").
bench-sfu-peers: check-go
	@scripts/bench-sfu-peers.sh $(or $(VIEWERS),200) $(or $(DURATION),30s)

clean:
	rm -rf bin artifacts

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

.PHONY: all build run services services-stop migrate test vet lint staticcheck unit fmt loadtest clean

all: build

check-go:
	@command -v $(GO) >/dev/null 2>&1 || { echo "Go is not installed: install Go 1.25 or newer (https://go.dev/doc/install)"; exit 2; }

build: check-go
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

services:
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

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

test: services lint unit

fmt:
	gofmt -w $$(git ls-files '*.go')

# loadtest is a short standard run against a local server: it starts
# bin/auctiond on free loopback ports (guests may bid, no rate limits),
# creates rooms, runs 20 WHEP viewers for 15 s and 20 bidders + 40 watchers
# bidding 10/s for 15 s (audited against Postgres), then stops the server.
# Reports: artifacts/loadtest/{viewers,bids}.{json,html}.
LOADTEST_OUT := artifacts/loadtest
loadtest: services build
	@set -euo pipefail; $(with_env) mkdir -p $(LOADTEST_OUT); \
	port=$$(bin/loadtest freeport tcp); udp=$$(bin/loadtest freeport udp); url=http://127.0.0.1:$$port; \
	export HTTP_ADDR=127.0.0.1:$$port PUBLIC_URL=$$url ADMIN_ADDR= SFU_UDP_ADDR=127.0.0.1:$$udp SFU_TCP_ADDR=off \
	  SFU_LOOPBACK_CANDIDATES=true AUTH_GUESTS_MAY_BID=true AUTH_RATE_LIMIT_DISABLED=true API_RATE_LIMIT_DISABLED=true \
	  DEMO=false LOG_LEVEL=warn; \
	bin/auctiond serve > $(LOADTEST_OUT)/server.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null || true' EXIT; \
	for i in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; \
	  kill -0 $$pid 2>/dev/null || { cat $(LOADTEST_OUT)/server.log; exit 1; }; sleep 0.2; done; \
	room() { bin/auctiond room create --title "$$1" --seller "lt-seller-$$2" --live --lots 3 --duration 120s --json \
	  2>$(LOADTEST_OUT)/room-create.log || { cat $(LOADTEST_OUT)/room-create.log >&2; return 1; }; }; \
	room "Load test video" v > $(LOADTEST_OUT)/rooms-viewers.json; \
	: > $(LOADTEST_OUT)/rooms-bids.json; for r in 1 2; do room "Load test bids $$r" b$$r >> $(LOADTEST_OUT)/rooms-bids.json; done; \
	echo "== viewers: 20 WHEP viewers, 15 s, against $$url (pid $$pid)"; \
	bin/loadtest viewers -url $$url -rooms $(LOADTEST_OUT)/rooms-viewers.json -viewers 20 -ramp 10 -duration 15s \
	  -server-pid $$pid -json $(LOADTEST_OUT)/viewers.json -html $(LOADTEST_OUT)/viewers.html; \
	echo "== bids: 20 bidders, 40 watchers, 2 rooms, 10 bids/s, 15 s"; \
	bin/loadtest bids -url $$url -rooms $(LOADTEST_OUT)/rooms-bids.json -bidders 20 -watchers 40 -rate 10 -chat-rate 2 \
	  -duration 15s -server-pid $$pid -audit-db "$$DATABASE_URL" -json $(LOADTEST_OUT)/bids.json -html $(LOADTEST_OUT)/bids.html

clean:
	rm -rf bin artifacts

# MagFlock's build. CI runs `make lint` and `make test` (see .ci/run).
SHELL := /bin/bash
GO ?= go
GOLANGCI_VERSION := v2.15.0
GOBIN ?= $(shell $(GO) env GOPATH)/bin
TESTDB_DIR := $(CURDIR)/.testdb
export CGO_ENABLED ?= 1

.PHONY: help run build test test-go test-faults soak test-e2e lint fmt bench bench-bus bench-boot bench-realtime bench-rest bench-metrics bench-tracing bench-auth bench-projects bench-share bench-graphql bench-vs bench-sentinel fuzz tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-12s %s\n", $$1, $$2}'

run: ## run the platform on its managed PostgreSQL (./mobo_data)
	$(GO) run ./cmd/mobo serve

build: ## build bin/mobo
	$(GO) build -o bin/mobo ./cmd/mobo

test: ## all tests: one managed PostgreSQL for the whole run, go test -race, then the e2e client suite
	@set -euo pipefail; \
	rm -rf $(TESTDB_DIR); mkdir -p $(TESTDB_DIR); \
	$(GO) build -o $(TESTDB_DIR)/pgtestserver ./internal/pg/pgtest/cmd/pgtestserver; \
	$(TESTDB_DIR)/pgtestserver -dir $(TESTDB_DIR) > $(TESTDB_DIR)/server.log 2>&1 & srv=$$!; \
	trap 'kill -TERM $$srv 2>/dev/null; wait $$srv 2>/dev/null || true' EXIT; \
	for i in $$(seq 1 600); do [ -s $(TESTDB_DIR)/url ] && break; kill -0 $$srv 2>/dev/null || { cat $(TESTDB_DIR)/server.log; exit 1; }; sleep 0.1; done; \
	[ -s $(TESTDB_DIR)/url ] || { echo "test PostgreSQL did not start"; cat $(TESTDB_DIR)/server.log; exit 1; }; \
	export MOBO_TEST_DATABASE_URL=$$(cat $(TESTDB_DIR)/url); \
	$(GO) test -race -count=1 ./...; \
	if [ -f e2e/package.json ]; then $(MAKE) --no-print-directory test-e2e; fi

test-go: ## go tests only, each package starting its own PostgreSQL
	$(GO) test -race -count=1 ./...

test-faults: ## the fault suite alone: postmaster and backend kill -9, a 30 s SIGSTOP of PostgreSQL, under load (also part of make test)
	$(GO) test -count=1 -v -run 'TestPostmasterCrashRecovers|TestBackendCrashRecovers|TestFrozenPostgresRecovers|TestQuotaFilledStillShrinks' ./cmd/mobo/

soak: ## 30 minutes of REST and realtime load with a postmaster kill every 5 minutes (SOAK=30m); figures for closing notes
	$(GO) test -count=1 -v -timeout 0 -run '^TestSoak$$' ./cmd/mobo/ -soak=$(or $(SOAK),30m)

test-e2e: ## the Node client suite against a running `mobo serve`
	cd e2e && npm ci --no-audit --no-fund && npm test

lint: tools ## go vet + golangci-lint (staticcheck, gosec, errorlint, …)
	$(GO) vet ./...
	$(GOBIN)/golangci-lint run --allow-serial-runners ./...

fmt: tools ## format with gofumpt (through golangci-lint)
	$(GOBIN)/golangci-lint fmt ./...

tools: ## install the pinned golangci-lint if missing
	@if ! $(GOBIN)/golangci-lint version 2>/dev/null | grep -q "$(GOLANGCI_VERSION:v%=%)"; then \
		echo "installing golangci-lint $(GOLANGCI_VERSION)"; \
		$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION); \
	fi

bench: bench-bus bench-boot bench-rest bench-metrics bench-tracing bench-auth bench-realtime bench-projects bench-share bench-graphql bench-sentinel ## all benchmarks (figures go in closing notes)

bench-bus: ## event bus publish→deliver, against a bare channel baseline
	$(GO) test -run='^$$' -bench='Bus|Baseline' -benchmem -count=3 ./internal/kernel/

bench-realtime: ## realtime: commit-to-delivery p50/p99 at 1, 100, 1000 sockets, sustained rate to 100, raw pglogrepl decode baseline
	$(GO) run ./cmd/realtimebench -changes 200 -sustained 20000 -timeout 10m

bench-boot: build ## boot time: cold (initdb) and warm (existing data dir)
	$(GO) run ./cmd/bootbench -bin bin/mobo -runs 3

bench-projects: build ## projects: creation time, memory and connections per idle project, REST GETs over 50 projects vs one
	$(GO) run ./cmd/projectbench -bin bin/mobo

bench-share: ## the fair share of backends: enter+leave per request, one project and 50, against a bare mutex
	$(GO) test -run='^$$' -bench='Share' -benchmem -count=3 ./internal/tenant/

bench-rest: ## /rest/v1 against a bare pgx handler: GET by pk and list-20 at 1 and 32 clients
	set -o pipefail; $(GO) test -run='^$$' -bench='RESTvsBaseline' -benchtime=12000x -v ./internal/rest/ | grep -E 'ratio'

bench-metrics: ## the HTTP metrics' cost: REST GET by pk through the gateway, metrics on vs off (and off vs off: the noise floor), at 1 and 32 clients; then the cost of one observation
	set -o pipefail; $(GO) test -run='^$$' -bench='MetricsOnOff' -benchtime=12000x -v ./internal/rest/ | grep -E 'ratio'
	$(GO) test -run='^$$' -bench='Observe' -benchmem -count=3 ./internal/gateway/

bench-tracing: ## tracing's cost: REST GET by pk through the gateway, tracing on (default sample ratio, exporting to an in-process OTLP receiver) vs off (and off vs off: the noise floor), at 1 and 32 clients
	set -o pipefail; $(GO) test -run='^$$' -bench='TracingOnOff' -benchtime=12000x -v ./internal/rest/ | grep -E 'ratio|spans exported'

bench-auth: ## auth: HS256 verification (cached, cold) vs golang-jwt on one core; refresh grants; password sign-in vs raw bcrypt
	$(GO) test -run='^$$' -bench='VerifyHS256|BaselineJWTParse' -benchmem -cpu 1 -count=3 ./internal/auth/
	$(GO) test -run='^$$' -bench='RefreshGrant|PasswordSignIn|BaselineBcrypt' -benchmem -count=3 ./internal/auth/

bench-sentinel: ## the sentinel: each value agent's time per value (ns/op, p50, p99 over benign, attack and mixed corpora), its work per request, and REST through the gateway with it on vs off (and off vs off: the noise floor) at 1 and 32 clients
	$(GO) test -run='^$$' -bench='Inspect|Prefilter' -benchmem -count=3 ./internal/sentinel/sqlguard/ ./internal/sentinel/xssguard/ ./internal/sentinel/pathguard/
	$(GO) test -run='^$$' -bench='RequestPath' -benchtime=200000x -benchmem -count=3 ./internal/sentinel/
	set -o pipefail; $(GO) test -run='^$$' -bench='SentinelOnOff' -benchtime=12000x -v ./internal/rest/ | grep -E 'ratio'

bench-graphql: build ## /graphql/v1 against PostGraphile 5 (Node 22, bench/graphql) on the same data: one-row lookup and 20-row list with 5 children each, 32 clients
	cd bench/graphql && npm ci --no-audit --no-fund --loglevel=error
	$(GO) run ./cmd/graphqlbench -bin bin/mobo -clients 32

bench-vs: build ## this build beside another mobo binary (VS=path, the previous commit's say): /graphql/v1 and /rest/v1 on the same data, 32 clients, alternated
	@test -n "$(VS)" || { echo "bench-vs: give the other binary as VS=path"; exit 2; }
	$(GO) run ./cmd/graphqlbench -bin bin/mobo -vs $(VS) -clients 32

fuzz: ## run every fuzz target for a while (FUZZTIME=60s)
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for f in $$(grep -h '^func Fuzz' $$t/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$t $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$${FUZZTIME:-60s} $$t || exit 1; \
		done; \
	done

clean: ## remove build and test leftovers
	rm -rf bin $(TESTDB_DIR)

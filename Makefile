# filedge: build, run the example, test, lint, fuzz, bench.
# `make help` lists the targets. Tests need PostgreSQL and NATS JetStream
# (see check-services); everything else needs only Go.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-print-directory

GO ?= go
# The release binary is pure Go (SQLite is modernc.org/sqlite): static,
# runs on distroless. Set CGO_ENABLED=1 for cgo-only destinations (DuckDB).
CGO_ENABLED ?= 0
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN := bin/filedge

STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

EXAMPLE ?= examples/pipeline.yaml
EXAMPLE_DB ?= examples/out/filedge.db
TEST_PKGS ?= ./...
TEST_TIMEOUT ?= 15m
TEST_LOG := bin/go-test.log
FUZZTIME ?= 30s
# Packages whose concurrency matters most; `make test-race RACE_PKGS=./...` for all.
RACE_PKGS ?= ./pkg/bus/... ./pkg/record/... ./pkg/destination/... ./services/...
BENCH_PKGS ?= ./pkg/record/ ./pkg/format/... ./pkg/decode/

# Servers the tests use; the environment overrides these defaults.
FILEDGE_NATS_URL ?= nats://127.0.0.1:4222
FILEDGE_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
CORPUS_DIR := $(abspath ../shared/corpus)

TEST_TARGETS := check-services test test-go test-race bench fuzz
$(TEST_TARGETS): export FILEDGE_NATS_URL := $(FILEDGE_NATS_URL)
$(TEST_TARGETS): export FILEDGE_POSTGRES_URL := $(FILEDGE_POSTGRES_URL)
# Corpus-based tests run when the shared corpus sits beside the repository
# (or FILEDGE_CORPUS names it) and skip when it is absent.
ifeq ($(origin FILEDGE_CORPUS),undefined)
ifneq ($(wildcard $(CORPUS_DIR)/.),)
$(TEST_TARGETS): export FILEDGE_CORPUS := $(CORPUS_DIR)
endif
endif

.PHONY: help build run test test-go test-race check-services vet fmt-check \
	staticcheck staticcheck-if-installed arch lint bench fuzz tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/filedge (static, CGO_ENABLED=0)
	CGO_ENABLED=$(CGO_ENABLED) $(GO) build -trimpath -ldflags '-X main.version=$(VERSION)' -o $(BIN) ./cmd/filedge

run: build ## load examples/data into examples/out/filedge.db once
	@mkdir -p $(dir $(EXAMPLE_DB))
	./$(BIN) run -c $(EXAMPLE) --once
	@echo
	@echo "Loaded the files of $(EXAMPLE) into $(EXAMPLE_DB). Look at them with:"
	@echo "  sqlite3 $(EXAMPLE_DB) 'select count(*) from orders'"
	@command -v sqlite3 >/dev/null || echo "  (sqlite3 is not installed here: apt-get install sqlite3, or any SQLite browser)"
	@echo "Keep watching the folder and load new or changed files as they arrive:"
	@echo "  ./$(BIN) run -c $(EXAMPLE)"

check-services: ## check that PostgreSQL and NATS JetStream answer
	@scripts/check-services.sh

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when gofmt would change a file
	@files=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path './vendor/*' -print0 \
		| xargs -0 -r gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt would change:"; echo "$$files"; echo "run: gofmt -w \$$(git ls-files '*.go')"; exit 1; fi

staticcheck: ## staticcheck (installed by make tools)
	@[ -x "$(STATICCHECK)" ] || { echo "staticcheck is not installed: run make tools" >&2; exit 1; }
	$(STATICCHECK) ./...

staticcheck-if-installed:
	@if [ -x "$(STATICCHECK)" ]; then echo "$(STATICCHECK) ./..."; $(STATICCHECK) ./...; \
	else echo "staticcheck not installed (make tools): skipped"; fi

arch: ## the dependency-direction test (arch_test.go)
	$(GO) test -count=1 -run '^TestArchitecture' .

lint: fmt-check vet staticcheck arch ## gofmt, go vet, staticcheck, architecture

test: check-services vet fmt-check staticcheck-if-installed test-go ## services check, vet, gofmt, staticcheck, go test ./... (CI runs this)

test-go:
	@mkdir -p $(dir $(TEST_LOG))
	@echo "$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TEST_PKGS)  (FILEDGE_CORPUS=$${FILEDGE_CORPUS:-unset})"
	@status=0; start=$$(date +%s); \
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TEST_PKGS) 2>&1 | tee $(TEST_LOG) || status=$$?; \
	ok=$$(grep -cE '^ok\s' $(TEST_LOG) || true); \
	failed=$$(grep -cE '^FAIL\s+\S' $(TEST_LOG) || true); \
	echo "go test took $$(( $$(date +%s) - start ))s; full output in $(TEST_LOG)"; \
	echo "packages: $$ok passed, $$failed failed"; \
	exit $$status

test-race: ## go test -race on the concurrent packages (RACE_PKGS)
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(RACE_PKGS)

bench: ## package benchmarks, then the end-to-end benchmark program
	$(GO) test -run='^$$' -bench=. -benchmem $(BENCH_PKGS)
	$(MAKE) build
	$(GO) run ./integration/bench

fuzz: ## run every fuzz target for FUZZTIME (default 30s)
	@FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

tools: ## install staticcheck (STATICCHECK_VERSION, default v0.8.2)
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

clean: ## remove bin/, examples/out/ and the example's .filedge state
	rm -rf bin examples/out
	@[ ! -d examples ] || find examples -type d -name .filedge -prune -exec rm -rf {} +

# secrets-store-integration — every entry point of the repository.
# Run as root on Debian 12 with Go: the targets install what they need (apt packages, tools
# pinned by version) and cache the local cluster's binaries outside the repository.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Modules the checksum database does not know; their hashes are pinned in go.sum.
export GONOSUMDB := github.com/deckhouse/module-sdk,github.com/openbao/go-kms-wrapping,github.com/sylabs/oci-tools
export GOFLAGS := -buildvcs=false

STACK_DIR ?= /tmp/ssi-stack
export STACK_CACHE ?= /var/cache/secrets-store-integration
OUT := _out
STACK := $(OUT)/bin/stack
# postgresql-15 (Debian 12's server, with psql through postgresql-client-15): the stack runs its
# own PostgreSQL for the store's database secrets engine (see test/stack/postgres.go).
PG_PACKAGES := postgresql-15 postgresql-client-15
# gcc and libc6-dev: the race detector of `make unit` needs cgo. containerd (and ctr) is not among
# them: the stack builds containerd 2.x from the Go module proxy (hack/stack/build.sh); runc is
# Debian's (1.1.5; containerd 2.x needs 1.1 or later).
APT_PACKAGES := runc containernetworking-plugins busybox-static ca-certificates gcc libc6-dev $(PG_PACKAGES)
# The stack never uses Debian's own "main" cluster (it would listen on the fixed port 5432), so
# `deps` turns off its creation before the server is installed; see pg-no-main-cluster.
# (PGCOMMON_ETC is a variable only so that the check can be tried on a copy.)
PGCOMMON_ETC ?= /etc/postgresql-common
FUZZTIME ?= 30s
E2E_FLAGS ?=
UNIT_PKGS = $$(go list ./... | grep -v -e /test/e2e -e /test/stack/pause)

.PHONY: help
help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z0-9-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## install the Debian packages the tests and the local cluster need (gcc for -race, runc, CNI, busybox, PostgreSQL)
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo ">> apt-get install$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; \
	  case "$$missing" in *postgresql*) $(MAKE) --no-print-directory pg-no-main-cluster;; esac; \
	  apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# pg-no-main-cluster makes sure installing a PostgreSQL server creates no cluster. The server
# package's postinst runs `pg_createcluster <version> main` (then starts it on port 5432) unless
# `pg_conftool createcluster.conf show create_main_cluster` says off. The switch goes into a
# drop-in under createcluster.d/ (read through the include_dir line of createcluster.conf)
# rather than into createcluster.conf itself: that file is ucf-managed by postgresql-common, which
# would take a copy written before the package for a local change to reconcile. postgresql-common
# (tiny, no server) is installed first so the very check the postinst makes can be run before the
# server is installed; an install that would still create a cluster stops here. A policy-rc.d
# would only keep the cluster from starting (it would still be created, and start at the next
# boot), and an existing one (container images ship one) must not be replaced, so none is used.
.PHONY: pg-no-main-cluster
pg-no-main-cluster:
	@mkdir -p $(PGCOMMON_ETC)/createcluster.d; \
	f=$(PGCOMMON_ETC)/createcluster.d/00-no-main-cluster.conf; \
	[ -f $$f ] || printf '%s\n' '# written by `make deps` (secrets-store-integration): no default cluster on port 5432' 'create_main_cluster = false' > $$f; \
	dpkg-query -W -f='$${Status}' postgresql-common 2>/dev/null | grep -q 'ok installed' || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null; \
	create=$$(pg_conftool $(PGCOMMON_ETC)/createcluster.conf show -bs create_main_cluster || :); \
	if [ "$$create" != off ]; then \
	  echo "installing PostgreSQL would create a cluster on port 5432: create_main_cluster is '$$create' in" \
	    "$(PGCOMMON_ETC)/createcluster.conf or a later file of createcluster.d/; set it to false there and run make deps again" >&2; \
	  exit 1; \
	fi

$(STACK): $(shell find test/stack -name '*.go') go.mod go.sum
	@mkdir -p $(dir $@)
	go build -o $@ ./test/stack/cmd/stack

.PHONY: cluster-build
cluster-build: deps $(STACK) ## build the cluster binaries (cached in $(STACK_CACHE), once per version)
	$(STACK) build

.PHONY: cluster-up
cluster-up: cluster-build ## start the local real cluster + OpenBao in $(STACK_DIR)
	$(STACK) up -dir $(STACK_DIR)

.PHONY: cluster-down
cluster-down: $(STACK) ## stop the local cluster by PID and wipe $(STACK_DIR)
	$(STACK) down -dir $(STACK_DIR) -wipe

.PHONY: build
build: ## build every program into $(OUT)/bin
	@mkdir -p $(OUT)/bin
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o $(OUT)/bin/ ./images/...
	go build ./...

.PHONY: test
test: unit e2e ## all tests: unit, integration against the real store, e2e on the real cluster

.PHONY: unit
unit: deps ## unit tests (race detector on) and go vet
	go vet ./...
	go test -race -count=1 $(UNIT_PKGS)
	@# The store client's socket calls without the runtime's bookkeeping are built only
	@# without the race detector (internal/rawconn/rawio.go): test them that way too.
	go test -count=1 ./internal/rawconn/ && go test -count=1 -run 'ClientConnectsRaw' ./internal/store/

.PHONY: e2e
e2e: cluster-build ## e2e suite: starts its own cluster + store once, runs, stops it
	go test -count=1 -timeout 40m $(E2E_FLAGS) ./test/e2e/...

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME (default 30s) each; fails only on a real failing input
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

.PHONY: bench
bench: ## benchmarks and measurements; results go to docs/internal/BENCHMARKS.md (+ .ru.md)
	go run ./test/bench -out docs/internal

.PHONY: demo
demo: cluster-build ## bring the cluster up, show each delivery mode, tear it down
	go run ./test/demo -dir $(STACK_DIR)

GOLANGCI_VERSION := v2.15.0
GOLANGCI := $(STACK_CACHE)/tools/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint

$(GOLANGCI):
	@echo ">> building golangci-lint $(GOLANGCI_VERSION) into $(dir $@) (once; 3-10 minutes on 2 cores)"
	@mkdir -p $(dir $@)
	GOBIN=$(abspath $(dir $@)) GOFLAGS= go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

.PHONY: lint
lint: $(GOLANGCI) ## golangci-lint (pinned, cached in $(STACK_CACHE)/tools) and gofmt check; never rewrites code
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GOLANGCI) run ./...

ACTIONLINT_VERSION := v1.7.7

.PHONY: lint-workflows
lint-workflows: ## actionlint (pinned) on the GitHub Actions workflows in .github/workflows
	go run github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) .github/workflows/*.yml

# dmt is the linter Deckhouse's module CI runs. The Go module proxy serves neither dmt nor one of
# its dependencies, so hack/dmt/build.sh builds it from git clones given to it; `make dmt` runs a
# binary built before and only prints how to build one otherwise. Keep in step with the script.
DMT_VERSION := v0.1.104
DMT := $(STACK_CACHE)/tools/dmt-$(DMT_VERSION)/dmt

.PHONY: dmt
dmt: ## dmt lint (Deckhouse's module linter) if hack/dmt/build.sh has built it; a notice otherwise
	@if [ -x $(DMT) ]; then $(DMT) lint $(CURDIR); else \
	  echo "dmt $(DMT_VERSION) is not built, skipping: build it with" \
	    "DMT_SRC=<clone of github.com/deckhouse/dmt> KUBEDOG_SRC=<clone of github.com/werf/kubedog> hack/dmt/build.sh" \
	    "(10-25 minutes; see the script's header)"; fi

.PHONY: fmt
fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

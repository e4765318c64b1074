# fieldreg: `make run` opens the app, `make test` runs everything CI checks.
# Both install the Debian/Ubuntu packages they need when they are missing.

SHELL := /bin/bash
export LANG := C.UTF-8
export LC_ALL := C.UTF-8
# Fyne reads the locale at start-up and logs an error for "C": LANGUAGE wins.
export LANGUAGE := en
export CGO_ENABLED := 1

GO ?= go
DATA ?=
# Packages Fyne needs to build (OpenGL and X11 headers), and what the tests
# use: Xvfb for real-window checks, zbarimg to read receipts with a standard
# QR reader, imagemagick for screenshots, postgresql for the hub's
# PostgreSQL back end (.ci/pg starts a throw-away cluster of it).
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev xorg-dev libxxf86vm-dev
TEST_PKGS := $(BUILD_PKGS) xvfb zbar-tools imagemagick xauth postgresql
# The hub suites run a second time on PostgreSQL (the first run is SQLite).
PG_SUITES := ./sync/hub/ ./sync/e2e/ ./sync/bundle/e2e/

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build deps test-deps test test-suites test-hub test-hub-suites attack vet lint fmt-check bench clean

run: deps build
	./fieldreg $(if $(DATA),--data $(DATA))

deps:
	$(call install_missing,$(BUILD_PKGS))

test-deps:
	$(call install_missing,$(TEST_PKGS))

build:
	$(GO) build -o fieldreg .
	$(GO) build -o reghub ./cmd/reghub
	@# The hub runs on servers without X11: it must not link Fyne.
	@if $(GO) list -deps ./cmd/reghub | grep -q '^fyne.io/'; then echo "reghub imports Fyne"; exit 1; fi

vet:
	$(GO) vet ./...
	# The screenshot programs are tests behind build tags: they must compile too.
	$(GO) vet -tags screenshots,syncshots,fedshots ./app/

lint:
	GOFLAGS= $(GO) run $(STATICCHECK) ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Everything CI checks: formatting, vet, staticcheck, every binary builds,
# the whole suite under -race (with Xvfb when there is no display), then the
# hub, sync and bundle suites again with the hub on PostgreSQL (one package
# at a time: one test there restarts the cluster). .ci/pg
# starts the throw-away PostgreSQL cluster both runs use (the store's own
# tests need it in the first) and stops it.
test: test-deps fmt-check vet lint build
	@if [ -z "$$DISPLAY" ]; then \
		Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$$!; \
		export DISPLAY=:97; sleep 1; \
		trap "kill $$xvfb 2>/dev/null" EXIT; \
		.ci/pg $(MAKE) --no-print-directory test-suites; \
	else \
		.ci/pg $(MAKE) --no-print-directory test-suites; \
	fi

test-suites:
	$(GO) test -race -timeout 40m ./...
	FIELDREG_HUB_BACKEND=postgres $(GO) test -p 1 -timeout 30m $(PG_SUITES)

# Only the hub's packages, on both back ends (a quick check of a hub change).
test-hub:
	.ci/pg $(MAKE) --no-print-directory test-hub-suites

test-hub-suites:
	$(GO) test -race ./sync/hubstore/... $(PG_SUITES)
	FIELDREG_HUB_BACKEND=postgres $(GO) test -p 1 $(PG_SUITES)

# The reproductions of the attacks of issue 11 alone: every test named
# TestAttack... (make test runs them too, as part of the whole suite).
attack: test-deps
	$(GO) test -race -run Attack ./...

# Benchmarks of the speed targets; numbers are kept in docs/benchmarks.md.
bench: deps
	$(GO) test -run '^$$' -bench 'UnlockDefault' -benchtime 5x ./device/
	$(GO) test -run '^$$' -bench 'RegisterDurable|BulkImport' -benchtime 3000x ./device/
	$(GO) test -run '^$$' -bench 'Search100k' -benchtime 300x -timeout 30m ./device/

clean:
	rm -f fieldreg reghub

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
# QR reader, imagemagick for screenshots.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev xorg-dev libxxf86vm-dev
TEST_PKGS := $(BUILD_PKGS) xvfb zbar-tools imagemagick xauth

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build deps test-deps test vet lint fmt-check bench crash clean

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
# and the whole suite under -race (with Xvfb when there is no display).
test: test-deps fmt-check vet lint build
	@if [ -z "$$DISPLAY" ]; then \
		Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$$!; \
		export DISPLAY=:97; sleep 1; \
		trap "kill $$xvfb 2>/dev/null" EXIT; \
		$(GO) test -race -timeout 40m ./...; \
	else \
		$(GO) test -race -timeout 40m ./...; \
	fi

# Randomised kill -9 trials between real processes (register --json, sync
# with the device or the hub killed, both bundle imports, a full disk):
# nothing lost, nothing duplicated. A failed trial prints its seed
# (FIELDREG_CRASH_SEED replays it). Results: docs/benchmarks.md.
TRIALS ?= 10
crash: test-deps
	FIELDREG_CRASH_TRIALS=$(TRIALS) $(GO) test -count=1 -timeout 90m -v -run 'Crash' ./device/ ./sync/e2e/

# Benchmarks of the speed targets; numbers are kept in docs/benchmarks.md.
bench: deps
	$(GO) test -run '^$$' -bench 'UnlockDefault' -benchtime 5x ./device/
	$(GO) test -run '^$$' -bench 'RegisterDurable|BulkImport' -benchtime 3000x ./device/
	$(GO) test -run '^$$' -bench 'Search100k' -benchtime 300x -timeout 30m ./device/

clean:
	rm -f fieldreg reghub

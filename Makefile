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
# QR reader, imagemagick for screenshots, Tesseract with its Arabic, Persian,
# Urdu and English data to read the information notice back (notice/ocr_test.go),
# postgresql for the hub's PostgreSQL back end (.ci/pg starts a throw-away
# cluster of it), Chromium for the web dashboard's browser tests (run
# headless, --no-sandbox as root in CI) and poppler-utils (pdftoppm,
# pdftotext) to render and read the PDF report.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev xorg-dev libxxf86vm-dev
OCR_PKGS := tesseract-ocr tesseract-ocr-eng tesseract-ocr-ara tesseract-ocr-fas tesseract-ocr-urd
TEST_PKGS := $(BUILD_PKGS) xvfb zbar-tools imagemagick xauth postgresql chromium poppler-utils $(OCR_PKGS)
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

# The release: the version from FyneApp.toml and the commit ("-dirty" when
# tracked files have uncommitted changes) are stamped into both binaries.
VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
APP_BUILD := $(shell sed -n 's/^Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo -dirty)
VERSION_PKG := github.com/fieldreg/fieldreg/internal/version
LDFLAGS := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).commit=$(COMMIT)

# `make package` (docs/install.md): cross compilers for the Windows app and
# the arm64 hub, and what packs, checks and signs. Tools are pinned.
PACKAGE_PKGS := $(BUILD_PKGS) gcc-mingw-w64-x86-64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	xz-utils zip openssh-client
FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4
WINRES_TOOL := github.com/tc-hib/go-winres@v0.3.3
DIST := dist
PKGBUILD := build/package
# RELEASE_KEY: the release engineer's OpenSSH Ed25519 private key. Without
# it a throw-away test key is made for this build and named as such.
RELEASE_KEY ?=
RELEASE_PRINCIPAL := $(if $(RELEASE_KEY),release@fieldreg,TEST-KEY-NOT-A-RELEASE@fieldreg)
SIGN_KEY := $(abspath $(if $(RELEASE_KEY),$(RELEASE_KEY),$(PKGBUILD)/test-release-key))
# The hub: static, so one file runs on any Linux server (glibc's resolver
# and user lookups replaced by Go's; SQLite's extension loading left out).
HUB_TAGS := netgo,osusergo,sqlite_omit_load_extension
HUB_LDFLAGS := $(LDFLAGS) -s -w -linkmode=external -extldflags=-static
# The app: without Fyne's bundled colour emoji font (parsed, it held 11 MB
# of the window's heap; docs/benchmarks.md). Emoji still show where the
# system has an emoji font, through Fyne's fallback to system fonts.
APP_TAGS := no_emoji

.PHONY: run build deps test-deps test test-suites test-hub test-hub-suites attack vet lint fmt-check bench crash crash-trials clean \
	package package-deps package-linux package-windows package-reghub package-sign package-check

run: deps build
	./fieldreg $(if $(DATA),--data $(DATA))

deps:
	$(call install_missing,$(BUILD_PKGS))

test-deps:
	$(call install_missing,$(TEST_PKGS))

build:
	$(GO) build -tags $(APP_TAGS) -ldflags "$(LDFLAGS)" -o fieldreg .
	$(GO) build -ldflags "$(LDFLAGS)" -o reghub ./cmd/reghub
	@# The hub runs on servers without X11: it must not link Fyne.
	@if $(GO) list -deps ./cmd/reghub | grep -q '^fyne.io/'; then echo "reghub imports Fyne"; exit 1; fi

vet:
	$(GO) vet ./...
	# The screenshot programs are tests behind build tags: they must compile too.
	$(GO) vet -tags screenshots,syncshots,fedshots,centreshots ./app/

lint:
	GOFLAGS= $(GO) run $(STATICCHECK) ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Everything CI checks: formatting, vet, staticcheck, every binary builds,
# the whole suite under -race (with Xvfb when there is no display), then the
# hub, sync and bundle suites again with the hub on PostgreSQL (one package
# at a time: one test there restarts the cluster), then the packages of a
# release, built and checked (docs/install.md). .ci/pg starts the throw-away
# PostgreSQL cluster both runs use (the store's own tests need it in the
# first) and stops it. The OCR and browser tests may not skip here:
# Tesseract, Chromium and poppler-utils are installed above.
test: export FIELDREG_REQUIRE_OCR := 1
test: export FIELDREG_REQUIRE_BROWSER := 1
test: test-deps fmt-check vet lint build
	@if [ -z "$$DISPLAY" ]; then \
		Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$$!; \
		export DISPLAY=:97; sleep 1; \
		trap "kill $$xvfb 2>/dev/null" EXIT; \
		.ci/pg $(MAKE) --no-print-directory test-suites; \
	else \
		.ci/pg $(MAKE) --no-print-directory test-suites; \
	fi
	$(MAKE) --no-print-directory package package-check

test-suites:
	$(GO) test -race -timeout 40m ./...
	FIELDREG_HUB_BACKEND=postgres $(GO) test -p 1 -timeout 30m $(PG_SUITES)
	$(MAKE) --no-print-directory crash-trials TRIALS=10

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

# Randomised kill -9 trials between real processes (register --json, sync
# with the device or the hub killed, both bundle imports, a full disk):
# nothing lost, nothing duplicated. A failed trial prints its seed
# (FIELDREG_CRASH_SEED replays it). Results: docs/benchmarks.md.
# `make test` runs the 10 trials of each too (about 3 minutes; without
# -race: the trials are about processes killed, not data races). Without
# root (no tmpfs to fill) the full disk is injected (sync/e2e/testdata/diskfull.c).
TRIALS ?= 10
crash: test-deps
	$(MAKE) --no-print-directory crash-trials

crash-trials:
	FIELDREG_CRASH_TRIALS=$(TRIALS) $(GO) test -count=1 -timeout 90m -v -run 'Crash' ./device/ ./sync/e2e/

# Benchmarks of the speed targets; numbers are kept in docs/benchmarks.md.
bench: deps
	$(GO) test -run '^$$' -bench 'Limits' -benchtime 1x ./internal/limits/
	$(GO) test -run '^$$' -bench 'Ratios' -benchtime 1x ./device/
	$(GO) test -run '^$$' -bench 'SaveAtSize' -benchtime 3x -timeout 30m ./device/
	$(GO) test -run '^$$' -bench 'UnlockDefault' -benchtime 5x ./device/
	$(GO) test -run '^$$' -bench 'RegisterDurable|BulkImport' -benchtime 3000x ./device/
	$(GO) test -run '^$$' -bench 'RegisterJSON' -benchtime 100000x ./cli/
	$(GO) test -run '^$$' -bench 'Search100k' -benchtime 300x -timeout 30m ./device/
	$(GO) test -run '^$$' -bench 'NoticePage' -benchtime 20x ./notice/

# Installable packages and signed checksums in dist/ (docs/install.md).
package: package-deps
	rm -rf $(DIST) $(PKGBUILD) && mkdir -p $(DIST) $(PKGBUILD)
	$(MAKE) --no-print-directory package-linux package-windows package-reghub package-sign
	@ls -l $(DIST)

package-deps:
	$(call install_missing,$(PACKAGE_PKGS))

# The Linux app: built here as `make build` builds it (so the C parts
# compiled for `make build` are reused: -trimpath would compile them all
# again), packed by `fyne package` with the .desktop file and the icon of
# FyneApp.toml. fyne counts Build up in FyneApp.toml after each package;
# the checkout is left as it was.
package-linux:
	mkdir -p $(PKGBUILD)/linux-amd64 $(DIST)
	$(GO) build -tags $(APP_TAGS) -ldflags "$(LDFLAGS) -s -w" -o $(PKGBUILD)/linux-amd64/fieldreg .
	cp FyneApp.toml $(PKGBUILD)/FyneApp.toml.kept
	rc=0; GOFLAGS= $(GO) run $(FYNE_TOOL) package -os linux --executable $(PKGBUILD)/linux-amd64/fieldreg || rc=$$?; \
	cp $(PKGBUILD)/FyneApp.toml.kept FyneApp.toml; rm -rf tmp-pkg; exit $$rc
	mv fieldreg.tar.xz $(DIST)/fieldreg-$(VERSION)-linux-amd64.tar.xz

# The Windows app: cgo through mingw-w64, linked statically (no mingw DLL
# to ship), with the icon, a manifest and the version in its resources
# (go-winres; the .syso is picked up from the main package). fieldreg.exe
# is a GUI program (no console window behind the app); fieldreg-cli.exe is
# the same program linked as a console program, for the command line:
# cmd.exe and PowerShell neither wait for a GUI program nor show its output.
WIN_ENV := GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc
WIN_LDFLAGS := $(LDFLAGS) -s -w -extldflags=-static
package-windows:
	mkdir -p $(PKGBUILD)/windows-amd64 $(DIST)
	GOFLAGS= $(GO) run $(WINRES_TOOL) simply --arch amd64 --out fieldreg_res --manifest gui --icon assets/icon.png \
		--product-name fieldreg --file-description "fieldreg registration app" --original-filename fieldreg.exe \
		--product-version "$(VERSION) ($(COMMIT))" --file-version "$(VERSION).$(APP_BUILD)"
	rc=0; \
	$(WIN_ENV) $(GO) build -trimpath -tags $(APP_TAGS) -ldflags "$(WIN_LDFLAGS) -H=windowsgui" -o $(PKGBUILD)/windows-amd64/fieldreg.exe . && \
	$(WIN_ENV) $(GO) build -trimpath -tags $(APP_TAGS) -ldflags "$(WIN_LDFLAGS)" -o $(PKGBUILD)/windows-amd64/fieldreg-cli.exe . || rc=$$?; \
	rm -f fieldreg_res_windows_amd64.syso; exit $$rc
	rm -f $(DIST)/fieldreg-$(VERSION)-windows-amd64.zip
	cd $(PKGBUILD)/windows-amd64 && zip -q -X ../../../$(DIST)/fieldreg-$(VERSION)-windows-amd64.zip fieldreg.exe fieldreg-cli.exe

# The hub for linux/amd64 and linux/arm64 (cgo: mattn/go-sqlite3, the
# SQLite the app uses), with its systemd unit and example configuration.
package-reghub:
	mkdir -p $(DIST)
	set -e; for arch in amd64 arm64; do \
		cc=gcc; [ $$arch = arm64 ] && cc=aarch64-linux-gnu-gcc; \
		d=$(PKGBUILD)/reghub-$(VERSION)-linux-$$arch; mkdir -p $$d; \
		GOARCH=$$arch CC=$$cc $(GO) build -trimpath -tags $(HUB_TAGS) -ldflags "$(HUB_LDFLAGS)" -o $$d/reghub ./cmd/reghub; \
		cp packaging/reghub.service packaging/reghub.env docs/install.md $$d/; \
		tar -C $(PKGBUILD) --owner=0 --group=0 -cJf $(DIST)/reghub-$(VERSION)-linux-$$arch.tar.xz reghub-$(VERSION)-linux-$$arch; \
	done

# SHA256SUMS over every artifact, signed with ssh-keygen -Y (Ed25519);
# allowed_signers holds the public key the signature is checked against.
package-sign:
	@if [ -z "$(RELEASE_KEY)" ]; then \
		echo "RELEASE_KEY not set: signing with a TEST key made for this build; this is not a release"; \
		rm -f $(SIGN_KEY) $(SIGN_KEY).pub; \
		ssh-keygen -q -t ed25519 -N "" -C "$(RELEASE_PRINCIPAL)" -f $(SIGN_KEY); \
	fi
	cd $(DIST) && rm -f SHA256SUMS SHA256SUMS.sig allowed_signers && \
	sha256sum -- *.tar.xz *.zip > SHA256SUMS && \
	echo "$(RELEASE_PRINCIPAL) namespaces=\"fieldreg-release\" $$(cut -d' ' -f1,2 $(SIGN_KEY).pub)" > allowed_signers && \
	ssh-keygen -q -Y sign -f $(SIGN_KEY) -n fieldreg-release SHA256SUMS && \
	ssh-keygen -Y verify -f allowed_signers -I $(RELEASE_PRINCIPAL) -n fieldreg-release -s SHA256SUMS.sig < SHA256SUMS

# Checks the packages in dist/ as an IT department would: the signature with
# ssh-keygen, each file's checksum, fieldreg.exe's PE headers, imports and
# resources, the Linux tarball installed into a temporary prefix and run,
# the hub binaries static and for their machine (packaging/package_test.go).
package-check:
	FIELDREG_DIST=$(CURDIR)/$(DIST) FIELDREG_COMMIT=$(COMMIT) \
		FIELDREG_PRINCIPAL=$(RELEASE_PRINCIPAL) $(GO) test -count=1 ./packaging/

clean:
	rm -f fieldreg reghub
	rm -rf $(DIST) build

# extdisco — the two front-door commands:
#   make run    install what is missing, build, start the dev server
#   make test   install what is missing, build, run every test suite
# Other targets: build, test-unit, test-san, fuzz, bench, package, clean.

BUILD     ?= build
BUILD_SAN ?= build-san
BUILD_DEB ?= build-deb
FUZZ_SECONDS ?= 20
MESON_TEST = meson test --print-errorlogs --num-processes 2

.PHONY: all deps build build-san run test test-unit test-interop test-san fuzz bench clean \
	package test-package

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# clang with ASan + UBSan, and the libFuzzer targets.
$(BUILD_SAN)/build.ninja:
	CC=clang meson setup $(BUILD_SAN) --buildtype=debug -Dfuzz=true \
	  -Db_sanitize=address,undefined -Db_lundef=false -Ddefault_library=static

build-san: deps $(BUILD_SAN)/build.ninja
	ninja -C $(BUILD_SAN)

run: build
	@bash scripts/run.sh $(BUILD)

test-unit: build
	$(MESON_TEST) -C $(BUILD) --suite unit --suite transcripts

test-interop: build
	$(MESON_TEST) -C $(BUILD) --suite interop
	@bash scripts/no_skips.sh $(BUILD)

test-san: build-san
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	  $(MESON_TEST) -C $(BUILD_SAN) --suite unit --suite transcripts --suite interop \
	  --no-suite cluster
	@bash scripts/no_skips.sh $(BUILD_SAN)

fuzz: build-san
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(BUILD_SAN)

# The Debian packages (debian/), built from a scratch copy of the tree into
# $(BUILD_DEB)/, then lintian (errors fail).  test-package installs them into
# a scratch root (an overlay of / in private namespaces) and checks them.
package: deps
	bash scripts/package.sh $(BUILD_DEB)

test-package: package
	bash tests/package/check.sh $(BUILD_DEB)

# Everything: plain build (unit, transcripts, interop), then all of it again
# under ASan+UBSan (the daemon and client the interop tests start included),
# then each fuzzer for a short bounded time, then the Debian packages.
# A skipped test fails the run (scripts/no_skips.sh): every peer is installed.
test: build
	$(MESON_TEST) -C $(BUILD)
	@bash scripts/no_skips.sh $(BUILD)
	$(MAKE) --no-print-directory test-san
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) --no-print-directory test-package

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_DEB)

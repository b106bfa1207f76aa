# Thin wrapper: every target only calls scripts/deps.sh, CMake or CTest.
PRESET ?= dev
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all deps configure build test demo bench fuzz clean

all: build

deps:
	@./scripts/deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The release preset is built too: `make demo` and `make bench` use it, and
# only its optimiser sees some warnings (-Werror there as well).
test: build
	@$(MAKE) --no-print-directory PRESET=release build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo:
	@$(MAKE) --no-print-directory PRESET=release build
	@./scripts/demo.sh build/release

bench:
	@$(MAKE) --no-print-directory PRESET=release build
	@./bench/run.sh build/release

fuzz:
	@$(MAKE) --no-print-directory PRESET=fuzz build

clean:
	rm -rf build

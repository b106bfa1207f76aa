# Thin wrapper: every target only calls scripts/deps.sh, CMake or CTest.
PRESET ?= dev
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all deps configure build test demo bench fuzz clean install deb

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

# The chaos tests' long versions (docs/testing-sync.md "Chaos"): ~45 min;
# their short versions run in `make test`.
.PHONY: chaos
chaos: build
	@$(MAKE) --no-print-directory PRESET=release build
	./tests/chaos/run.sh $(BUILD)

demo:
	@$(MAKE) --no-print-directory PRESET=release build
	@./scripts/demo.sh build/release

# Every bench BENCH_REPEAT times (default 3) at BENCH_SIZES (default
# "10000 100000"), then the report (bench/report.md, bench/report.json) from
# the runs kept, also when a bench failed; `bench/report.py build/release`
# alone rewrites it.
bench:
	@$(MAKE) --no-print-directory PRESET=release build
	@rc=0; BENCH_REPORT=0 ./bench/run.sh build/release || rc=$$?; \
	    ./bench/report.py build/release && exit $$rc

# Every libFuzzer harness FUZZ_SECONDS (default 600) on its corpus, FUZZ_JOBS
# at once (default nproc); new inputs are merged into tests/fuzz/corpus.
fuzz: deps
	@./scripts/fuzz.sh build/fuzz

# The release build installed under PREFIX (default /usr/local), staged
# under DESTDIR when given (docs/packaging.md "make install"):
#   make install                      # /usr/local/sbin/adsync, ...
#   make install PREFIX=/usr DESTDIR=/tmp/stage
PREFIX ?= /usr/local
install:
	@$(MAKE) --no-print-directory PRESET=release build
	DESTDIR="$(DESTDIR)" cmake --install build/release --prefix "$(PREFIX)"

# The Debian packages adsync and adsync-dc-hooks, and the Windows filter's
# zip, built from a copy of the tree into build/deb, then lintian
# (scripts/deb.sh, docs/packaging.md).
deb: deps
	@./scripts/deb.sh

clean:
	rm -rf build

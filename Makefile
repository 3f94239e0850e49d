# genesys-bulk: the README's two commands and a few helpers.
#
#   make demo   set up, build release into build/, run ./build/genesys-bulk demo
#   make demo-worker  the same build, then scripts/demo-worker: a private
#               RabbitMQ, the simulator with faults, two workers, a Python producer
#   make test   set up, build with ASan+UBSan into build-san/, run every test,
#               then every fuzz target briefly (clang, build-fuzz/)
#   make build  set up, build release into build/
#   make bench  build release, run every benchmark under build/bench/
#   make fuzz   build the libFuzzer targets (clang) into build-fuzz/, run each
#               for FUZZ_SECONDS on a copy of its corpus (docs/fuzzing.md)
#   make clean  remove build/, build-san/ and build-fuzz/
#
# CMake is configured once per build directory; later runs only build, and
# CMake re-configures by itself when a CMakeLists.txt changes.

SHELL := /bin/bash
# Quiet the "Entering directory" lines of the make that CMake drives.
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR ?= build
SAN_DIR ?= build-san
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 300
CMAKE ?= cmake
CTEST ?= ctest

.PHONY: all setup build demo demo-worker test bench fuzz fuzz-build clean

all: build

setup:
	bash scripts/setup

# Release: the binary users run, and the benchmarks (tests are built in SAN_DIR).
# RelWithDebInfo (-O2 -g): what every area is developed and benchmarked with;
# GCC 12 at -O3 (CMake's Release) also reports false -Wrestrict warnings in
# inlined std::string code (a known GCC 12 false positive), which -Werror
# turns into failures.
build: setup
	@test -f $(BUILD_DIR)/CMakeCache.txt || $(CMAKE) -S . -B $(BUILD_DIR) \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGB_WERROR=ON -DGB_SANITIZE=OFF \
	    -DGB_BUILD_TESTS=OFF -DGB_BUILD_BENCH=ON
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

demo: build
	./$(BUILD_DIR)/genesys-bulk demo

# The fleet's counterpart of `make demo`: exits non-zero when a result is
# wrong, and stops everything it started.
demo-worker: build
	bash scripts/demo-worker ./$(BUILD_DIR)/genesys-bulk

# Every test (unit, integration, e2e, conformance) under AddressSanitizer and
# UndefinedBehaviorSanitizer; scripts/run-tests fails on any failed or
# skipped test. Then a short run of every fuzz target (fuzz_* in FUZZ_DIR);
# both must pass.
test: setup fuzz-build
	@test -f $(SAN_DIR)/CMakeCache.txt || $(CMAKE) -S . -B $(SAN_DIR) \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGB_WERROR=ON -DGB_SANITIZE=ON \
	    -DGB_BUILD_TESTS=ON -DGB_BUILD_BENCH=OFF
	$(CMAKE) --build $(SAN_DIR) -j $(JOBS)
	bash scripts/run-tests $(SAN_DIR) $(JOBS)
	bash scripts/run-tests $(FUZZ_DIR) $(JOBS)

# Each benchmark prints its own figures beside this machine's raw limits.
bench: build
	@set -e; found=0; \
	for exe in $$(find $(BUILD_DIR)/bench -path '*/CMakeFiles' -prune -o -type f -perm -u+x -print 2>/dev/null | sort); do \
	  found=1; echo "== $$exe"; "$$exe"; \
	done; \
	if [ $$found = 0 ]; then echo "make bench: no benchmark executables under $(BUILD_DIR)/bench/"; fi

# The fuzz targets need clang (libFuzzer); only the libraries they fuzz are
# built, instrumented with ASan+UBSan, warnings as errors.
fuzz-build: setup
	@test -f $(FUZZ_DIR)/CMakeCache.txt || CC=clang CXX=clang++ $(CMAKE) -S . -B $(FUZZ_DIR) \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGB_WERROR=ON -DGB_BUILD_FUZZ=ON \
	    -DGB_BUILD_TESTS=OFF -DGB_BUILD_BENCH=OFF
	$(CMAKE) --build $(FUZZ_DIR) -j $(JOBS)

# Long runs: each target for FUZZ_SECONDS on its corpus copy in
# FUZZ_DIR/long/<target> (kept between runs); stops at the first crash,
# whose input is in FUZZ_DIR/long/<target>/artifacts/.
fuzz: fuzz-build
	@set -e; while IFS=$$'\t' read -r name exe seeds dict; do \
	  echo "== fuzz_$$name for $(FUZZ_SECONDS) s"; \
	  bash scripts/fuzz-run "$$exe" "$$seeds" $(FUZZ_DIR)/long/$$name \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict; \
	done < $(FUZZ_DIR)/fuzz/targets.tsv

clean:
	rm -rf $(BUILD_DIR) $(SAN_DIR) $(FUZZ_DIR)

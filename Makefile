# genesys-bulk: the README's two commands and a few helpers.
#
#   make demo   set up, build release into build/, run ./build/genesys-bulk demo
#   make test   set up, build with ASan+UBSan into build-san/, run every test
#   make build  set up, build release into build/
#   make bench  build release, run every benchmark under build/bench/
#   make clean  remove build/ and build-san/
#
# CMake is configured once per build directory; later runs only build, and
# CMake re-configures by itself when a CMakeLists.txt changes.

SHELL := /bin/bash
# Quiet the "Entering directory" lines of the make that CMake drives.
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR ?= build
SAN_DIR ?= build-san
CMAKE ?= cmake
CTEST ?= ctest

.PHONY: all setup build demo test bench clean

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

# Every test (unit, integration, e2e, conformance) under AddressSanitizer and
# UndefinedBehaviorSanitizer; scripts/run-tests fails on any failed or
# skipped test.
test: setup
	@test -f $(SAN_DIR)/CMakeCache.txt || $(CMAKE) -S . -B $(SAN_DIR) \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGB_WERROR=ON -DGB_SANITIZE=ON \
	    -DGB_BUILD_TESTS=ON -DGB_BUILD_BENCH=OFF
	$(CMAKE) --build $(SAN_DIR) -j $(JOBS)
	bash scripts/run-tests $(SAN_DIR) $(JOBS)

# Each benchmark prints its own figures beside this machine's raw limits.
bench: build
	@set -e; found=0; \
	for exe in $$(find $(BUILD_DIR)/bench -path '*/CMakeFiles' -prune -o -type f -perm -u+x -print 2>/dev/null | sort); do \
	  found=1; echo "== $$exe"; "$$exe"; \
	done; \
	if [ $$found = 0 ]; then echo "make bench: no benchmark executables under $(BUILD_DIR)/bench/"; fi

clean:
	rm -rf $(BUILD_DIR) $(SAN_DIR)

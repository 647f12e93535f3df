# The README's two commands (make demo, make test) and their friends. Every target installs
# the Debian packages its purpose needs on a fresh machine (tools/deps.sh PURPOSE).

LUAS      ?= 5.1 5.2 5.3 5.4 luajit
JOBS      ?= 2
BUILD     := build
SERVER    := $(BUILD)/lua5.4/referrals-fake-server

.PHONY: all deps build build-5.4 build-receiver asan-build fuzz-build fuzz demo check test soak bench bench-latency bench-sync bench-stream docs \
  format clean

all: build

deps:
	@tools/deps.sh test

# One build tree per Lua; the bundled server, the C tests and examples come from the 5.4 tree.
$(BUILD)/lua%/Makefile:
	cmake -S . -B $(BUILD)/lua$* -DREFERRALS_LUA=$* \
	  -DREFERRALS_BUILD_TOOLS=$(if $(filter 5.4,$*),ON,OFF) \
	  -DREFERRALS_BUILD_TESTS=$(if $(filter 5.4,$*),ON,OFF) >/dev/null

# The Lua 5.4 tree alone: the module, the bundled server, the C tests (make demo, make check).
build-5.4: $(BUILD)/lua5.4/Makefile
	@cmake --build $(BUILD)/lua5.4 -j$(JOBS) >/dev/null

build: deps $(foreach v,$(LUAS),$(BUILD)/lua$(v)/Makefile)
	@for v in $(LUAS); do cmake --build $(BUILD)/lua$$v -j$(JOBS) >/dev/null || exit 1; done

$(BUILD)/asan/Makefile:
	cmake -S . -B $(BUILD)/asan -DREFERRALS_LUA=5.4 -DREFERRALS_SANITIZE=ON \
	  -DREFERRALS_BUILD_TOOLS=ON -DREFERRALS_BUILD_TESTS=ON >/dev/null

asan-build: deps $(BUILD)/asan/Makefile
	@cmake --build $(BUILD)/asan -j$(JOBS) >/dev/null

$(BUILD)/fuzz/Makefile:
	CC=clang cmake -S . -B $(BUILD)/fuzz -DREFERRALS_LUA=5.4 -DREFERRALS_FUZZ=ON \
	  -DREFERRALS_BUILD_TOOLS=OFF -DREFERRALS_BUILD_TESTS=OFF >/dev/null

fuzz-build: deps $(BUILD)/fuzz/Makefile
	@cmake --build $(BUILD)/fuzz -j$(JOBS) >/dev/null

# Every libFuzzer target for FUZZ_SECONDS each (make test runs them for 30 s), growing a
# corpus under build/ from the committed seeds in fuzz/corpus/; then the Lua fuzz loop over
# the CLI's output, longer than in make test.
FUZZ_SECONDS ?= 300
fuzz: fuzz-build
	@for f in $(BUILD)/fuzz/fuzz_*; do \
	  name=$$(basename $$f); mkdir -p $(BUILD)/fuzz-corpus/$$name; \
	  echo "$$name: $(FUZZ_SECONDS) s"; \
	  log=$(BUILD)/fuzz-corpus/$$name.log; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=5 $(BUILD)/fuzz-corpus/$$name \
	    fuzz/corpus/$${name#fuzz_} >$$log 2>&1 || { tail -30 $$log; exit 1; }; \
	  tail -1 $$log; \
	done
	@echo "the CLI's output (a Lua fuzz loop, spec/cli_output_fuzz_spec.lua): 200000 documents"
	@$(MAKE) --no-print-directory build-5.4
	@FUZZ_ITERATIONS=200000 lua5.4 /usr/bin/busted spec/cli_output_fuzz_spec.lua

# Needs only the runtime build for Lua 5.4 and the bundled server.
demo:
	@tools/deps.sh demo
	@$(MAKE) --no-print-directory build-5.4
	@tools/demo.sh $(SERVER)

# The Lua 5.1 tree alone: examples/webhook_receiver.lua runs on lua-http, which Debian
# packages for 5.1, 5.2 and LuaJIT only, and spec/webhook_e2e_spec.lua runs it on 5.1.
build-receiver: $(BUILD)/lua5.1/Makefile
	@cmake --build $(BUILD)/lua5.1 -j$(JOBS) >/dev/null

# The fast loop for daily work: Lua 5.4 build (and the receiver's), C unit tests, busted on 5.4.
check:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory build-5.4 build-receiver
	@QUICK=1 LUAS=5.4 tools/run-tests.sh

# Everything, ending with one line "N passed, M failed" (tools/run-tests.sh).
test: build asan-build fuzz-build
	@tools/run-tests.sh

# Not part of test: about five quiet minutes. 100,000 creates and gets with 1% injected faults.
soak: build-5.4
	@env LUA_CPATH="$(CURDIR)/$(BUILD)/lua5.4/?.so;;" \
	  LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/spec/?.lua;;" \
	  REFERRALS_FAKE_SERVER="$(CURDIR)/$(SERVER)" lua5.4 tools/soak.lua 100000 10000

bench: build
	@tools/deps.sh bench
	@bench/run.sh
	@bench/latency.sh

# create_many of 2,000 against the bundled server answering 100 ms late, over HTTP/1.1 and
# HTTP/2 through a loopback nginx (issue 16; part of bench): requests/s against the ideal.
bench-latency: build-5.4
	@tools/deps.sh bench
	@bench/latency.sh

# client:sync of 5,000 items against the bundled server (issue 15; apart from bench's nginx
# rows): requests per item, time and RSS for plan, apply and a rerun; then of 1,000 against
# the server 100 ms away (issue 16), at concurrency 8 and 1 (creates and look-ups by filter).
bench-sync: build-5.4
	@for args in "5000" "1000 100 8" "1000 100 1"; do \
	  env LUA_CPATH="$(CURDIR)/$(BUILD)/lua5.4/?.so;;" \
	    LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;" \
	    lua5.4 bench/sync.lua $(CURDIR)/$(SERVER) $$args || exit 1; \
	done

# Bulk that streams (issue 16): peak RSS of create_many/get_many, a table in and a results
# table out against an iterator in and opts.on_result out, at 10k, 100k and 1M items, and of
# sync against sync_each, each row in a process of its own against a fresh bundled server.
# Takes about 20 minutes.
bench-stream: build-5.4
	@env LUA_CPATH="$(CURDIR)/$(BUILD)/lua5.4/?.so;;" \
	  LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;" \
	  lua5.4 bench/stream.lua $(CURDIR)/$(SERVER) $(STREAM_ROWS)

# The reference (LDoc, config.ld) into doc/; doc/api.luadoc documents the C functions.
docs:
	@tools/deps.sh docs
	@ldoc . && echo "doc/index.html"

# clang-format (.clang-format) over every C file of the repository, in place.
format: deps
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) luarocks-tree doc/index.html doc/ldoc.css doc/modules

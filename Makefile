# lime: live migration of P4 switches. `make demo` and `make test` are all a
# new user needs on a fresh Debian machine with Go; both install what they need.

GO        ?= go
BIN       := bin/lime
PKGS      := ./...
# staticcheck is run from the module proxy at an exact version (not a go.mod dependency).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TESTFLAGS ?=

.PHONY: all build demo test bench lint deps sysdeps fuzz clean

all: build

# Go modules (exact versions from go.sum).
deps:
	$(GO) mod download

# The real switch and the compiler shared beside the checkout (their
# install-runtime.sh installs the Debian libraries they need).
SHARED_TOOLS := ../shared/tools

# Debian packages the tests use: iproute2 for network-namespace hosts, and
# the run-time libraries of the shared real bmv2 (simple_switch_grpc) and
# p4c, so that the real-bmv2 tests run. Installed only when missing, and
# only as root (CI runs as root).
sysdeps:
	@if ! command -v ip >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2; \
		else \
			echo "note: 'ip' (iproute2) is missing and cannot be installed without root; namespace tests will skip"; \
		fi; \
	fi
	@for t in bmv2 p4c; do \
		s=$(SHARED_TOOLS)/$$t/install-runtime.sh; \
		if [ -f $$s ]; then sh $$s || echo "note: $$s failed: the tests that need $$t will fail"; fi; \
	done

build: deps
	$(GO) build -o $(BIN) ./cmd/lime

# The main job on the embedded simulator.
demo: build
	./$(BIN) demo

# Every test, with the race detector (the simulator, proxy and client are concurrent).
test: deps sysdeps
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 14m $(TESTFLAGS) $(PKGS)

# Benchmarks; ratios are measured in one run (absolute times on shared machines are noise).
# One package at a time (-p 1): go test would run packages' benchmarks side by
# side, each taking CPU from the other's ratios.
bench: deps
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -timeout 60m $(PKGS)

# Short fuzzing (FUZZTIME each) of canonicalisation, translation, the wire
# decoder of cells, the plan parser, the proxy's and the simulator's
# P4Runtime servers (Write, Read, stream) and the admin API, then longer
# differential sessions of the simulator against real bmv2. Seed corpora:
# testdata/fuzz beside each target.
# The differential test against real bmv2 (bmv2/sim/difftest) runs
# DIFFTEST_SEEDS sessions of DIFFTEST_STEPS requests per shared program, and
# its packet twin DIFFTEST_SEEDS scenarios of DIFFTEST_FRAMES inputs.
FUZZTIME ?= 20s
DIFFTEST_SEEDS ?= 10
DIFFTEST_STEPS ?= 300
DIFFTEST_FRAMES ?= 150
fuzz: deps sysdeps
	$(GO) test -run '^$$' -fuzz FuzzCanonical -fuzztime $(FUZZTIME) ./p4/canon
	$(GO) test -run '^$$' -fuzz FuzzTranslate -fuzztime $(FUZZTIME) ./p4/translate
	$(GO) test -run '^$$' -fuzz FuzzPortMatch -fuzztime $(FUZZTIME) ./p4/translate
	$(GO) test -run '^$$' -fuzz FuzzUpdateShared -fuzztime $(FUZZTIME) ./p4/translate
	$(GO) test -run '^$$' -fuzz FuzzUpdateWire -fuzztime $(FUZZTIME) ./p4/translate
	$(GO) test -run '^$$' -fuzz FuzzDecodeCell -fuzztime $(FUZZTIME) ./p4/entity
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./migrator/plan
	$(GO) test -run '^$$' -fuzz FuzzProxy -fuzztime $(FUZZTIME) ./migrator/proxy
	$(GO) test -run '^$$' -fuzz FuzzServer -fuzztime $(FUZZTIME) ./bmv2/sim/p4rt
	$(GO) test -run '^$$' -fuzz FuzzAdminAPI -fuzztime $(FUZZTIME) ./migrator/service
	LIME_DIFFTEST_SEEDS=$(DIFFTEST_SEEDS) LIME_DIFFTEST_STEPS=$(DIFFTEST_STEPS) LIME_DIFFTEST_FRAMES=$(DIFFTEST_FRAMES) \
		$(GO) test -count=1 -timeout 60m -run 'TestDifferential|TestPacketDifferential' ./bmv2/sim/difftest

lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

clean:
	rm -rf bin

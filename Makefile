# kiln build and test entry points. Every target installs what it needs and
# is missing, without asking: Debian packages with apt-get (sudo only when
# not root), ONNX Runtime's CPU library from npm into .cache/ort.

SHELL      := /bin/bash
GO         ?= go
FUZZTIME   ?= 10m
ONNX_DATA  := /usr/share/libonnx-testdata/data
ORT_VER    := 1.30.0
ORT_DIR    := $(CURDIR)/.cache/ort
ORT_LIB    := $(ORT_DIR)/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SUITES     := $(ONNX_DATA)/node $(ONNX_DATA)/simple $(ONNX_DATA)/pytorch-converted $(ONNX_DATA)/pytorch-operator

# Tests find ONNX Runtime here (see frontend/onnx/modeltest).
export KILN_ORT_LIB := $(ORT_LIB)

.PHONY: all test check deps deps-test deps-demo build vet fmt-check conformance demo fuzz generate clean

all: build

build:
	$(GO) build ./...
	$(GO) build -o bin/kiln ./cmd/kiln

# apt-install PKG... installs the packages not yet installed.
define apt-install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing </dev/null; \
	fi
endef

deps-test:
	$(call apt-install,libonnx-testdata protobuf-compiler)

deps-demo:
	$(call apt-install,espeak-ng sox)

$(ORT_LIB):
	mkdir -p $(ORT_DIR)
	cd $(ORT_DIR) && npm install --prefix $(ORT_DIR) --ignore-scripts --no-save --no-audit --no-fund onnxruntime-node@$(ORT_VER) </dev/null
	test -f $@

deps: deps-test $(ORT_LIB)

fmt-check:
	@bad=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi

vet:
	$(GO) vet ./...

# The conformance test runs once more at the end, verbosely, so its table
# closes the log.
test: deps fmt-check vet
	KILN_REQUIRE_ORT=1 $(GO) test -timeout 40m ./...
	$(GO) test -count=1 -timeout 20m -v -run '^TestConformance$$' ./frontend/onnx/onnxtest

check: test

# The per-test report of the four ONNX backend suites.
conformance: deps-test
	$(GO) run ./cmd/kiln conformance $(SUITES)

demo: deps-demo
	bash examples/vad/demo.sh

# Minimizing the large model-derived seeds can stall a fuzz run for
# minutes, so minimization gets a short budget.
FUZZFLAGS ?= -fuzzminimizetime 5s

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./ir
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./frontend/onnx

# Regenerates the ONNX protobuf bindings from the onnx.proto Debian's
# libonnx-dev installs, with the protoc-gen-go version go.mod pins.
generate:
	$(call apt-install,libonnx-dev protobuf-compiler)
	GOBIN=$(CURDIR)/.cache/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go
	PATH="$(CURDIR)/.cache/bin:$$PATH" $(GO) generate ./frontend/onnx/onnxpb

clean:
	rm -rf bin demo-out

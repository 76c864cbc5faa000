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

.PHONY: all test test-vec check deps deps-test deps-demo build vet fmt-check conformance conformance-compiled demo fuzz generate graph-check clean

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

# qemu-user-static runs the linux/arm64 build of compiled models
# (codegen's TestCrossArm64).
deps-test:
	$(call apt-install,libonnx-testdata protobuf-compiler qemu-user-static)

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
# closes the log. KILN_REQUIRE_QEMU=1 makes a missing qemu-aarch64-static a
# failure instead of a skip.
test: deps fmt-check vet
	KILN_REQUIRE_ORT=1 KILN_REQUIRE_QEMU=1 $(GO) test -timeout 40m ./...
	$(MAKE) test-vec
	$(GO) test -count=1 -timeout 20m -v -run '^TestConformance$$' ./frontend/onnx/onnxtest

check: test

# The vector kernels build only with Go's experimental simd package: the
# compiled language models' (codegen/llmrt/vec_amd64.go; their tests, and
# llmgen's: the generated packages, greedy ids and logits against
# llama.cpp) and the ONNX kernels' vector units (codegen/kernels with the
# kiln_simd tag: the GEMM micro-kernels, depthwise rows, vecmath, each
# against its scalar form) run once more in that build.
test-vec:
	GOEXPERIMENT=simd $(GO) vet ./codegen/llmrt ./codegen/llmgen
	GOEXPERIMENT=simd $(GO) test -count=1 -timeout 20m ./codegen/llmrt ./codegen/llmgen
	GOEXPERIMENT=simd $(GO) vet -tags kiln_simd ./codegen/kernels
	GOEXPERIMENT=simd $(GO) test -count=1 -timeout 20m -tags kiln_simd ./codegen/kernels

# The per-test report of the four ONNX backend suites.
conformance: deps-test
	$(GO) run ./cmd/kiln conformance $(SUITES)

# The per-test report of the four suites in the compiled engine, every
# test. make test runs a fixed sample of one test in 12 instead
# (TestConformanceCompiledSample in cmd/kiln): the whole run builds ~930
# generated packages, minutes of a cold Go build on 2 cores.
conformance-compiled: deps-test
	$(GO) run ./cmd/kiln conformance --engine compiled $(SUITES)

demo: deps-demo
	bash examples/vad/demo.sh

# Minimizing the large model-derived seeds can stall a fuzz run for
# minutes, so minimization gets a short budget.
FUZZFLAGS ?= -fuzzminimizetime 5s

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./ir
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./frontend/onnx
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./frontend/gguf
	$(GO) test -run '^$$' -fuzz '^FuzzOp$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./ir/interp
	$(GO) test -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./codegen
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./targets
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeValue$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./frontend/onnx
	$(GO) test -run '^$$' -fuzz '^FuzzReadNPY$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./ir/tensor
	$(GO) test -run '^$$' -fuzz '^FuzzEncode$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./tokenizer

# Regenerates the ONNX protobuf bindings from the onnx.proto Debian's
# libonnx-dev installs, with the protoc-gen-go version go.mod pins.
generate:
	$(call apt-install,libonnx-dev protobuf-compiler)
	GOBIN=$(CURDIR)/.cache/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go
	PATH="$(CURDIR)/.cache/bin:$$PATH" $(GO) generate ./frontend/onnx/onnxpb

# graph-check draws two shared models with kiln graph (an HTML page and an
# SVG each) and screenshots them with Debian's headless Chromium: the page
# as it opens (the top of the graph), the page opened on a search
# (page.html#find=OP, which centres the first match), and the SVG as it
# is. It fails when a screenshot is blank. Look at the PNGs in GRAPH_OUT.
# Not part of make test: it needs Chromium.
GRAPH_CASES ?= minilm-like-opset17:Softmax paddleocr-det:Resize
GRAPH_OUT   ?= $(CURDIR)/.cache/graph-check
SHARED_ONNX := $(CURDIR)/../shared/models/onnx
CHROMIUM    := chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --virtual-time-budget=5000 --window-size=1400,1000

# shot URL PNG takes one screenshot with a fresh profile.
define shot
	profile=$$(mktemp -d); \
	$(CHROMIUM) --user-data-dir=$$profile --screenshot=$(2) "$(1)" </dev/null >>$(GRAPH_OUT)/chromium.log 2>&1; \
	rm -rf $$profile; \
	test -s $(2) || { echo "no screenshot $(2); see $(GRAPH_OUT)/chromium.log"; exit 1; }
endef

graph-check: build
	$(call apt-install,chromium)
	@rm -rf $(GRAPH_OUT) && mkdir -p $(GRAPH_OUT)
	@set -e; TIMEFORMAT="%Rs"; for c in $(GRAPH_CASES); do \
		m=$${c%%:*}; q=$${c#*:}; \
		for f in html svg; do \
			t=$$( { time bin/kiln graph $(SHARED_ONNX)/$$m.onnx -o $(GRAPH_OUT)/$$m.$$f >/dev/null; } 2>&1 ); \
			echo "kiln graph $$m.onnx -o $$m.$$f: $$t"; \
		done; \
		$(call shot,file://$(GRAPH_OUT)/$$m.html,$(GRAPH_OUT)/$$m.html.png); \
		$(call shot,file://$(GRAPH_OUT)/$$m.html#find=$$q,$(GRAPH_OUT)/$$m.find.png); \
		$(call shot,file://$(GRAPH_OUT)/$$m.svg,$(GRAPH_OUT)/$$m.svg.png); \
	done
	$(GO) run ./internal/pngcheck -skip-top 80 $(GRAPH_OUT)/*.html.png $(GRAPH_OUT)/*.find.png
	$(GO) run ./internal/pngcheck $(GRAPH_OUT)/*.svg.png
	@echo "screenshots: $(GRAPH_OUT)/*.png"

clean:
	rm -rf bin demo-out

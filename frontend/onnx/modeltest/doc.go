// Package modeltest checks kiln against ONNX Runtime on the real models in
// ../shared/models (relative to the folder holding go.mod): the stored
// ONNX Runtime 1.30 reference outputs, a live side-by-side run through
// ONNX Runtime's C library (github.com/yalue/onnxruntime_go, cgo), and the
// MNIST test-set accuracy. It holds tests only.
//
// Environment: KILN_ORT_LIB names libonnxruntime.so (default: the copy
// `make test` installs under .cache/ort); KILN_REQUIRE_ORT=1 turns a
// missing library from a skip into a failure.
package modeltest

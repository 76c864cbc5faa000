// Package onnxtest runs ONNX backend test cases (the node, simple,
// pytorch-converted and pytorch-operator suites: a model.onnx beside
// test_data_set_N folders of input_K.pb and output_K.pb) through the ONNX
// importer and the reference interpreter, and compares outputs the way
// ONNX's own runner does.
package onnxtest

// Package onnx imports ONNX models into kiln's IR.
//
// Import reads a ModelProto, turns initializers and Constant nodes into
// module constants, graph inputs and outputs into the parameters and results
// of function @main, and every node into kiln ops through the conversion
// table (table.go, ops_*.go): one entry per (op type, opset range). Opset
// differences live in that table and nowhere else.
//
// Weights are not copied: Import maps the model file (and any external
// data files, which must lie inside the model's folder) read-only, and
// constants' bytes alias the mapping (payload.go explains how the payloads
// are located without the generated decoder copying them).
//
// The package also reads ONNX TensorProto, SequenceProto and OptionalProto
// files (the ONNX backend test data format) into ir/tensor values.
//
// It imports ir, ir/tensor and the generated bindings in onnxpb, never
// ir/interp.
package onnx

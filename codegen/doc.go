// Package codegen will emit specialized, dependency-free Go packages from an
// ir.Module, with a memory plan and a machine-readable manifest. It imports
// ir only.
package codegen

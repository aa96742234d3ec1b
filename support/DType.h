//===- DType.h - element types, their names and sizes ---------*- C++ -*-===//
//
// The one table of element types: what a checkpoint may hold (safetensors names: "BF16",
// "F8_E4M3", ...) and what an artifact's buffers and kernel contracts use (lower-case names:
// "bf16", "f8e4m3", ...). The compiler maps MLIR element types onto these; nothing else keeps a
// list of names.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_DTYPE_H
#define AXE_SUPPORT_DTYPE_H

#include <cstddef>
#include <string>

namespace axe {

// Element types axe accepts in a checkpoint ("dtype" strings of the safetensors format).
enum class DType { BF16, F16, F32, F64, F8_E4M3, I8, U8, I16, I32, I64, BOOL };

// Bytes per element of `dtype`.
size_t dtypeSize(DType dtype);
// The safetensors name of `dtype` ("BF16", "F8_E4M3", ...).
const char *dtypeName(DType dtype);
// Parses a safetensors dtype name; returns false for names outside the whitelist.
bool parseDType(const std::string &name, DType &dtype);

// The artifact's name of `dtype` ("bf16", "f8e4m3", ...), or nullptr for a type an artifact
// buffer cannot hold (only bf16, f16, f32, i32, i64 and f8e4m3 can).
const char *artifactDTypeName(DType dtype);
// Parses an artifact dtype name; returns false for any other.
bool parseArtifactDType(const std::string &name, DType &dtype);
// "bf16, f16, f32, i32, i64, f8e4m3", for messages.
const char *artifactDTypeList();

} // namespace axe

#endif // AXE_SUPPORT_DTYPE_H

//===- DType.cpp - element types, their names and sizes -------------------===//

#include "support/DType.h"

namespace axe {

namespace {

struct DTypeEntry {
  DType dtype;
  const char *name;         // safetensors
  const char *artifactName; // nullptr: not an artifact dtype
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::BF16, "BF16", "bf16", 2},   {DType::F16, "F16", "f16", 2},
    {DType::F32, "F32", "f32", 4},      {DType::F64, "F64", nullptr, 8},
    {DType::F8_E4M3, "F8_E4M3", "f8e4m3", 1}, {DType::I8, "I8", nullptr, 1},
    {DType::U8, "U8", nullptr, 1},      {DType::I16, "I16", nullptr, 2},
    {DType::I32, "I32", "i32", 4},      {DType::I64, "I64", "i64", 8},
    {DType::BOOL, "BOOL", nullptr, 1},
};

const DTypeEntry *find(DType dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (e.dtype == dtype)
      return &e;
  return nullptr;
}

} // namespace

size_t dtypeSize(DType dtype) {
  const DTypeEntry *e = find(dtype);
  return e ? e->size : 0;
}

const char *dtypeName(DType dtype) {
  const DTypeEntry *e = find(dtype);
  return e ? e->name : "?";
}

bool parseDType(const std::string &name, DType &dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (name == e.name) {
      dtype = e.dtype;
      return true;
    }
  return false;
}

const char *artifactDTypeName(DType dtype) {
  const DTypeEntry *e = find(dtype);
  return e ? e->artifactName : nullptr;
}

bool parseArtifactDType(const std::string &name, DType &dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (e.artifactName && name == e.artifactName) {
      dtype = e.dtype;
      return true;
    }
  return false;
}

const char *artifactDTypeList() { return "bf16, f16, f32, i32, i64, f8e4m3"; }

} // namespace axe

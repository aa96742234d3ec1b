//===- Artifact.h - a loaded, validated model.axe/ ------------*- C++ -*-===//
//
// Loads the artifact that axe-compile writes (docs/artifact.md) and refuses a bad one with a
// one-line axe::Error naming the file and the field, buffer or kernel:
//   - manifest.json: schema, buffer plan and step program (Manifest::parse);
//   - file sizes and SHA-256: cpu/kernels.so always, weights.safetensors only on request (it can be
//     tens of GB);
//   - weights.safetensors: mmapped; every weight buffer exists with exactly its dtype and shape;
//   - cpu/kernels.so: the CPU has AVX2, FMA and F16C, then dlopen(RTLD_NOW | RTLD_LOCAL) and dlsym
//     of every kernel's symbol.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_ARTIFACT_H
#define AXE_RUNTIME_ARTIFACT_H

#include "models/Safetensors.h"
#include "runtime/Manifest.h"

#include <memory>
#include <string>
#include <vector>

namespace axe {

struct ArtifactOptions {
  // Also hash weights.safetensors (reads the whole file).
  bool verifyWeights = false;
};

class Artifact {
public:
  // Loads and validates the artifact directory `dir`; throws axe::Error on any defect.
  static std::unique_ptr<Artifact> load(const std::string &dir, const ArtifactOptions &options = {});
  ~Artifact(); // unloads kernels.so
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const std::string &dir() const { return dir_; }
  const Manifest &manifest() const { return manifest_; }
  // The weight tensor of weight buffer `bufferId`, inside the mmapped weights file.
  const void *weightData(int64_t bufferId) const { return weightData_[size_t(bufferId)]; }
  // The entry point of kernel `index` (manifest().kernels[index]).
  void *kernelEntry(int64_t index) const { return kernelEntries_[size_t(index)]; }

private:
  Artifact() = default;

  std::string dir_;
  Manifest manifest_;
  std::unique_ptr<SafetensorsFile> weights_;
  std::vector<const void *> weightData_; // by buffer id; null for other kinds
  void *library_ = nullptr;              // dlopen handle of cpu/kernels.so
  std::vector<void *> kernelEntries_;
};

// Throws axe::Error naming `what` and the missing features unless the CPU has AVX2, FMA and F16C
// (what x86-64-v3 kernels need).
void checkCpuFeatures(const std::string &what);

} // namespace axe

#endif // AXE_RUNTIME_ARTIFACT_H

//===- ManifestDigest.cpp - binds manifest.json to cpu/kernels.so ---------===//

#include "artifact/ManifestDigest.h"

#include "support/Sha256.h"

namespace axe {

std::string manifestDigest(const nlohmann::json &manifest) {
  nlohmann::json bound = manifest;
  if (bound.is_object() && bound.contains("files") && bound["files"].is_object()) {
    bound["files"].erase("cpu_kernels");
    bound["files"].erase("cpu_kernels_v4"); // both libraries embed the same digest
  }
  std::string text = bound.dump();
  return sha256Hex(text.data(), text.size());
}

} // namespace axe

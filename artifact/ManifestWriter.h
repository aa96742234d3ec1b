//===- ManifestWriter.h - model.axe/manifest.json from a Manifest -*- C++ -*-===//
//
// The inverse of Manifest::parse: axe-compile fills a Manifest and writes it with this, so the
// compiler and the runtime share one schema (artifact/Manifest.h). Keys keep the order of
// docs/artifact.md, for people reading the file.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_ARTIFACT_MANIFESTWRITER_H
#define AXE_ARTIFACT_MANIFESTWRITER_H

#include "artifact/Manifest.h"

#include <nlohmann/json.hpp>

namespace axe {

// The manifest as JSON. `files.cpu_kernels` is left out while its path is empty (before the
// kernels are compiled: the digest they embed covers everything else).
nlohmann::ordered_json manifestJson(const Manifest &manifest);

} // namespace axe

#endif // AXE_ARTIFACT_MANIFESTWRITER_H

//===- ManifestDigest.h - binds manifest.json to cpu/kernels.so -*- C++ -*-===//
//
// The kernels of an artifact are compiled for one step program: its buffers, views, workgroup
// counts and kv_block_size. A manifest edited after compilation would make them read and write
// outside their buffers. So axe-compile embeds a digest of the manifest in kernels.so, and the
// loader finds the digest of the manifest it read in the library's bytes before loading them.
//
// The digest covers the whole manifest except `files.cpu_kernels` and `files.cpu_kernels_v4` (which
// record the libraries' own sizes and hashes): SHA-256 of the compact JSON text with sorted keys (nlohmann's dump()). The
// library holds it as the string kManifestDigestPrefix + 64 hex digits, exported as the symbol
// kManifestDigestSymbol.
//
// This detects edits; it does not authenticate the artifact. Whoever can write the artifact can
// write kernels.so, which is native code: load only artifacts you trust (docs/trust.md).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_ARTIFACT_MANIFESTDIGEST_H
#define AXE_ARTIFACT_MANIFESTDIGEST_H

#include <nlohmann/json.hpp>

#include <string>

namespace axe {

constexpr const char kManifestDigestPrefix[] = "axe-manifest-digest:";
constexpr const char kManifestDigestSymbol[] = "axe_manifest_digest";

// 64 lowercase hex digits; `manifest` is the parsed manifest.json.
std::string manifestDigest(const nlohmann::json &manifest);

} // namespace axe

#endif // AXE_ARTIFACT_MANIFESTDIGEST_H

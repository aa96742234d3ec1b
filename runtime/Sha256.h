//===- Sha256.h - SHA-256 of bytes and files ------------------*- C++ -*-===//
//
// The artifact's manifest records the SHA-256 of kernels.so and weights.safetensors; the loader
// recomputes them. Small and self-contained so that the runtime needs no crypto library.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SHA256_H
#define AXE_RUNTIME_SHA256_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace axe {

// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t bytes);
  // Finishes the hash and returns it as 64 lowercase hex digits; the object is then spent.
  std::string hexDigest();

private:
  void compress(const uint8_t *block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

// SHA-256 of `bytes` bytes at `data`, as lowercase hex.
std::string sha256Hex(const void *data, size_t bytes);
// SHA-256 of the file at `path`, read in chunks; throws axe::Error naming the file on I/O errors.
std::string sha256File(const std::string &path);

} // namespace axe

#endif // AXE_RUNTIME_SHA256_H

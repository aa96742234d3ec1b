//===- Sha256.h - SHA-256 of bytes, files and file chunks -----*- C++ -*-===//
//
// The artifact's manifest records SHA-256 digests of cpu/kernels.so and of weights.safetensors in
// fixed-size chunks; axe-compile writes them, the loader recomputes them. Backed by OpenSSL's
// libcrypto (SHA extensions where the CPU has them: ~1.3 GB/s per core here, about 3x a portable
// implementation). Chunks hash in parallel, so verifying tens of GB is bound by the disk, not a core.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_SHA256_H
#define AXE_SUPPORT_SHA256_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace axe {

// Incremental SHA-256.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;
  void update(const void *data, size_t bytes);
  // Finishes the hash and returns it as 64 lowercase hex digits; the object is then spent.
  std::string hexDigest();

private:
  struct State;
  std::unique_ptr<State> state_;
};

// SHA-256 of `bytes` bytes at `data`, as lowercase hex.
std::string sha256Hex(const void *data, size_t bytes);
// SHA-256 of the file at `path`, read in chunks; throws axe::Error naming the file on I/O errors.
std::string sha256File(const std::string &path);

// The SHA-256 of each consecutive `chunkBytes`-byte piece of the `bytes` bytes at `data` (the last
// piece may be shorter; none when `bytes` is 0), hashed by up to `threads` threads. For a mapped
// file, this hashes exactly the bytes the mapping shows.
std::vector<std::string> sha256Chunks(const void *data, uint64_t bytes, uint64_t chunkBytes,
                                      unsigned threads);

// The same digests as sha256Chunks, over bytes that arrive in order (a file as it is written).
class ChunkedSha256 {
public:
  explicit ChunkedSha256(uint64_t chunkBytes);
  void update(const void *data, size_t bytes);
  // Finishes the last chunk; the object is then spent.
  std::vector<std::string> finish();

private:
  uint64_t chunkBytes_, inChunk_ = 0;
  std::unique_ptr<Sha256> current_;
  std::vector<std::string> digests_;
};

} // namespace axe

#endif // AXE_SUPPORT_SHA256_H

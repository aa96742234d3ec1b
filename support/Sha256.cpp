//===- Sha256.cpp - SHA-256 of bytes, files and file chunks ---------------===//

#include "support/Sha256.h"

#include "support/Error.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace axe {

struct Sha256::State {
  EVP_MD_CTX *ctx = nullptr;
};

Sha256::Sha256() : state_(new State) {
  state_->ctx = EVP_MD_CTX_new();
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot start a SHA-256 digest");
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->ctx); }

void Sha256::update(const void *data, size_t bytes) {
  if (bytes && EVP_DigestUpdate(state_->ctx, data, bytes) != 1)
    throw Error("OpenSSL: SHA-256 update failed");
}

std::string Sha256::hexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->ctx, digest, &length) != 1 || length != 32)
    throw Error("OpenSSL: SHA-256 final failed");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string sha256Hex(const void *data, size_t bytes) {
  Sha256 hash;
  hash.update(data, bytes);
  return hash.hexDigest();
}

std::string sha256File(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(path + ": cannot open: " + std::strerror(errno));
  Sha256 hash;
  std::vector<uint8_t> chunk(size_t(1) << 20);
  for (;;) {
    ssize_t got = ::read(fd, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int err = errno;
      ::close(fd);
      throw Error(path + ": read error: " + std::strerror(err));
    }
    if (got == 0)
      break;
    hash.update(chunk.data(), static_cast<size_t>(got));
  }
  ::close(fd);
  return hash.hexDigest();
}

std::vector<std::string> sha256Chunks(const void *data, uint64_t bytes, uint64_t chunkBytes,
                                      unsigned threads) {
  if (chunkBytes == 0)
    throw Error("internal: SHA-256 chunks of 0 bytes");
  size_t count = size_t((bytes + chunkBytes - 1) / chunkBytes);
  std::vector<std::string> digests(count);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < count;) {
      uint64_t begin = uint64_t(i) * chunkBytes;
      digests[i] = sha256Hex(static_cast<const uint8_t *>(data) + begin,
                             size_t(std::min(chunkBytes, bytes - begin)));
    }
  };
  unsigned n = std::max(1u, unsigned(std::min<size_t>(threads, count)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  return digests;
}

ChunkedSha256::ChunkedSha256(uint64_t chunkBytes) : chunkBytes_(chunkBytes) {
  if (chunkBytes == 0)
    throw Error("internal: SHA-256 chunks of 0 bytes");
}

void ChunkedSha256::update(const void *data, size_t bytes) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  while (bytes > 0) {
    if (!current_)
      current_.reset(new Sha256());
    size_t take = size_t(std::min<uint64_t>(bytes, chunkBytes_ - inChunk_));
    current_->update(p, take);
    p += take;
    bytes -= take;
    inChunk_ += take;
    if (inChunk_ == chunkBytes_) {
      digests_.push_back(current_->hexDigest());
      current_.reset();
      inChunk_ = 0;
    }
  }
}

std::vector<std::string> ChunkedSha256::finish() {
  if (current_)
    digests_.push_back(current_->hexDigest());
  current_.reset();
  return std::move(digests_);
}

} // namespace axe

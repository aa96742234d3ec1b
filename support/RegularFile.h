//===- RegularFile.h - open only regular files, with a size cap -*- C++ -*-===//
//
// Every file a user or an artifact hands to axe (checkpoints, configs, manifests, tokenizers) is
// opened here. A FIFO would block the open or the read forever and /dev/zero would never end, so
// the file must be a regular one (checked on the descriptor that is then read, not by path) and
// no larger than a cap chosen per kind of file. Failures are one axe::Error line naming the file.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_REGULARFILE_H
#define AXE_SUPPORT_REGULARFILE_H

#include <cstdint>
#include <string>

namespace axe {

/// A read-only descriptor of a regular file of at most `maxBytes`, closed when destroyed.
class RegularFile {
public:
  /// Opens `path`; `what` names the kind of file in errors ("a model config").
  static RegularFile open(const std::string &path, uint64_t maxBytes, const std::string &what);

  RegularFile(RegularFile &&other) noexcept : fd_(other.fd_), size_(other.size_) { other.fd_ = -1; }
  RegularFile(const RegularFile &) = delete;
  RegularFile &operator=(const RegularFile &) = delete;
  RegularFile &operator=(RegularFile &&) = delete;
  ~RegularFile();

  int fd() const { return fd_; }
  /// The size when the file was opened.
  uint64_t size() const { return size_; }

private:
  RegularFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

/// The whole content of a regular file of at most `maxBytes` (see RegularFile::open).
std::string readRegularFile(const std::string &path, uint64_t maxBytes, const std::string &what);

} // namespace axe

#endif // AXE_SUPPORT_REGULARFILE_H

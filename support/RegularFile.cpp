//===- RegularFile.cpp - open only regular files, with a size cap ---------===//

#include "support/RegularFile.h"

#include "support/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace axe {

namespace {

const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

} // namespace

RegularFile RegularFile::open(const std::string &path, uint64_t maxBytes, const std::string &what) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw Error(path + ": cannot open: " + std::strerror(errno));
  RegularFile file(fd, 0);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    throw Error(path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw Error(path + ": is " + fileKind(st.st_mode) + "; " + what +
                " must be a regular file");
  file.size_ = static_cast<uint64_t>(st.st_size);
  if (file.size_ > maxBytes)
    throw Error(path + ": " + std::to_string(file.size_) + " bytes exceeds the " +
                std::to_string(maxBytes) + "-byte cap for " + what);
  // A regular file never blocks; reads go back to the ordinary blocking mode.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw Error(path + ": cannot set the file's flags: " + std::strerror(errno));
  return file;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::string readRegularFile(const std::string &path, uint64_t maxBytes, const std::string &what) {
  RegularFile file = RegularFile::open(path, maxBytes, what);
  std::string text;
  text.resize(file.size());
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::read(file.fd(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw Error(path + ": read error: " + std::strerror(errno));
    if (n == 0)
      throw Error(path + ": shrank to " + std::to_string(done) + " bytes while being read");
    done += static_cast<size_t>(n);
  }
  return text;
}

} // namespace axe

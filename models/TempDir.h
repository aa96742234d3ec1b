//===- TempDir.h - a fresh directory beside a destination -----*- C++ -*-===//
//
// Writers build their output in a new directory next to the destination and rename it into
// place when complete. The directory's name is unique, so nothing that already exists (an
// earlier OUT.tmp of the user's, say) is ever reused or removed.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_TEMPDIR_H
#define AXE_MODELS_TEMPDIR_H

#include "models/Error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <string>

namespace axe {

inline std::filesystem::path makeTempDir(const std::filesystem::path &destination) {
  std::string pattern = destination.string() + ".tmp-XXXXXX";
  if (!::mkdtemp(pattern.data()))
    throw Error(pattern + ": cannot create a temporary directory: " + std::strerror(errno));
  // mkdtemp makes it private; the finished directory gets the usual permissions.
  mode_t mask = ::umask(0);
  ::umask(mask);
  std::filesystem::permissions(pattern, static_cast<std::filesystem::perms>(0777 & ~mask));
  return pattern;
}

} // namespace axe

#endif // AXE_MODELS_TEMPDIR_H

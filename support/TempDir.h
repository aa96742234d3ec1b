//===- TempDir.h - a fresh directory beside a destination -----*- C++ -*-===//
//
// Writers build their output in a new directory next to the destination, DEST.tmp-PID-XXXXXX,
// and rename it into place when complete, so DEST is never half-written. The name is unique:
// nothing that already exists (an earlier OUT.tmp of the user's, say) is reused.
//
// Nothing is left behind either: the directory is removed when the TempDir is destroyed
// uncommitted (an error), and on SIGINT, SIGTERM or SIGHUP, by a thread that a signal handler
// wakes through a pipe (removing a tree is not async-signal-safe), after which the process dies
// of the signal as it would have without the handler. A SIGKILL cannot be caught: the directory
// holds a marker naming its host and pid, and a later TempDir in the same parent removes those
// whose process is gone.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_TEMPDIR_H
#define AXE_SUPPORT_TEMPDIR_H

#include <filesystem>

namespace axe {

class Progress;

class TempDir {
public:
  // Removes stale temporary directories in the destination's parent (noting each on
  // `progress`), creates this one and registers it for removal on a signal.
  explicit TempDir(const std::filesystem::path &destination, Progress *progress = nullptr);
  ~TempDir(); // uncommitted: removed
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::filesystem::path &path() const { return path_; }
  // Flushes every file and directory inside to disk (fsync), renames the directory onto the
  // destination, and flushes the parent so that the rename is durable too.
  void commit();

private:
  void release();

  std::filesystem::path path_, destination_;
  bool committed_ = false;
};

// fsync `path` (a file or a directory); throws axe::Error naming it on failure.
void syncPath(const std::filesystem::path &path);

} // namespace axe

#endif // AXE_SUPPORT_TEMPDIR_H

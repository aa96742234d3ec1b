//===- TempDir.cpp - a fresh directory beside a destination ---------------===//

#include "support/TempDir.h"

#include "support/Error.h"
#include "support/Progress.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <pthread.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace axe {

namespace fs = std::filesystem;

namespace {

constexpr const char *kOwnerFile = ".axe-tmp-owner";
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

// The directories to remove on a signal. Never destroyed: the cleanup thread may wake while
// static destructors run at exit.
struct Registry {
  std::mutex mutex;
  std::vector<fs::path> paths;
};
Registry &registry() {
  static Registry *r = new Registry;
  return *r;
}

int wakeFds[2] = {-1, -1};
// What each signal did before: LLVM's handler (it removes its own temporary files, then dies of
// the signal), or the default.
struct sigaction previous[NSIG];

void onSignal(int sig) {
  unsigned char c = static_cast<unsigned char>(sig);
  ssize_t n = ::write(wakeFds[1], &c, 1); // async-signal-safe; the thread does the work
  (void)n;
}

void removeTree(const fs::path &p) {
  std::error_code ec;
  // A writer still running may add an entry between the scan and the rmdir: try again.
  for (int i = 0; i < 3 && fs::symlink_status(p, ec).type() != fs::file_type::not_found; ++i)
    fs::remove_all(p, ec);
}

[[noreturn]] void cleanupThread() {
  unsigned char c = 0;
  while (::read(wakeFds[0], &c, 1) != 1) {
  }
  int sig = c;
  // Held until the process dies: commit() and ~TempDir() wait on it, so nothing is renamed
  // into place and no error is reported for a directory removed under the writer.
  registry().mutex.lock();
  for (const fs::path &p : registry().paths)
    removeTree(p);
  // Hand the signal to what handled it before, then die of it as without any handler: the
  // shell reports 128 + sig.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::sigaction(sig, &previous[sig], nullptr);
  ::raise(sig);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
  ::_exit(128 + sig);
}

void installSignalCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(wakeFds, O_CLOEXEC) != 0)
      throw Error(std::string("cannot create a pipe for signal handling: ") + std::strerror(errno));
    for (int sig : kSignals) {
      ::sigaction(sig, nullptr, &previous[sig]);
      if (!(previous[sig].sa_flags & SA_SIGINFO) && previous[sig].sa_handler == SIG_IGN)
        continue; // e.g. nohup: the signal stays ignored
      struct sigaction act {};
      act.sa_handler = onSignal;
      sigemptyset(&act.sa_mask);
      act.sa_flags = SA_RESTART;
      ::sigaction(sig, &act, nullptr);
    }
    std::thread(cleanupThread).detach();
  });
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return "unknown";
  return buf;
}

// DEST.tmp-PID-XXXXXX holding a marker "HOST PID" of this host whose process is gone.
void removeStale(const fs::path &parent, Progress *progress) {
  std::error_code ec;
  std::string host = hostName();
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    size_t tmp = name.rfind(".tmp-");
    if (tmp == std::string::npos || !it->is_directory(ec) || it->is_symlink(ec))
      continue;
    std::ifstream marker(it->path() / kOwnerFile);
    std::string markerHost;
    long pid = 0;
    if (!(marker >> markerHost >> pid) || markerHost != host || pid <= 0 || pid == ::getpid())
      continue;
    std::string owner = ".tmp-" + std::to_string(pid) + "-";
    if (name.size() != tmp + owner.size() + 6 || name.compare(tmp, owner.size(), owner) != 0)
      continue; // not named by this writer: leave it alone
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
      continue; // alive (or not ours to signal): in use
    removeTree(it->path());
    if (progress)
      progress->note("removed " + it->path().string() + ", left by an interrupted run (pid " +
                     std::to_string(pid) + ")");
  }
}

void syncTree(const fs::path &dir) {
  for (const fs::directory_entry &e : fs::directory_iterator(dir)) {
    if (e.is_symlink())
      continue;
    if (e.is_directory())
      syncTree(e.path());
    else if (e.is_regular_file())
      syncPath(e.path());
  }
  syncPath(dir);
}

} // namespace

void syncPath(const fs::path &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0)
      ::close(fd);
    throw Error(path.string() + ": cannot flush to disk: " + std::strerror(err));
  }
  ::close(fd);
}

TempDir::TempDir(const fs::path &destination, Progress *progress) : destination_(destination) {
  installSignalCleanup();
  fs::path parent = destination.parent_path().empty() ? fs::path(".") : destination.parent_path();
  removeStale(parent, progress);

  std::string pattern =
      destination.string() + ".tmp-" + std::to_string(::getpid()) + "-XXXXXX";
  {
    std::lock_guard<std::mutex> lock(registry().mutex);
    if (!::mkdtemp(pattern.data()))
      throw Error(pattern + ": cannot create a temporary directory: " + std::strerror(errno));
    path_ = pattern;
    registry().paths.push_back(path_);
  }
  try {
    std::ofstream marker(path_ / kOwnerFile);
    marker << hostName() << " " << ::getpid() << "\n";
    if (!marker.flush())
      throw Error((path_ / kOwnerFile).string() + ": cannot write");
    // mkdtemp makes it private; the finished directory gets the usual permissions.
    mode_t mask = ::umask(0);
    ::umask(mask);
    fs::permissions(path_, static_cast<fs::perms>(0777 & ~mask));
  } catch (...) {
    release();
    throw;
  }
}

TempDir::~TempDir() { release(); }

void TempDir::release() {
  std::lock_guard<std::mutex> lock(registry().mutex); // waits for a signal cleanup to finish
  std::vector<fs::path> &paths = registry().paths;
  paths.erase(std::remove(paths.begin(), paths.end(), path_), paths.end());
  if (!committed_)
    removeTree(path_);
  committed_ = true;
}

void TempDir::commit() {
  syncTree(path_); // the long part: the marker stays meanwhile, for a SIGKILL during it
  fs::remove(path_ / kOwnerFile);
  syncPath(path_);
  std::lock_guard<std::mutex> lock(registry().mutex);
  // Never onto something that appeared meanwhile (rename(2) would replace an empty directory).
  int rc = ::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, destination_.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) { // a file system without RENAME_NOREPLACE
    std::error_code ec;
    rc = fs::exists(destination_, ec) ? (errno = EEXIST, -1)
                                      : ::rename(path_.c_str(), destination_.c_str());
  }
  if (rc != 0)
    throw Error(destination_.string() + ": cannot move the finished output into place: " +
                std::strerror(errno));
  committed_ = true;
  registry().paths.erase(std::remove(registry().paths.begin(), registry().paths.end(), path_),
                         registry().paths.end());
  fs::path parent = destination_.parent_path().empty() ? fs::path(".") : destination_.parent_path();
  syncPath(parent);
}

} // namespace axe

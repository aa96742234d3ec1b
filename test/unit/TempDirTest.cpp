//===- TempDirTest.cpp - output directories: complete or absent -----------===//

#include "support/TempDir.h"

#include "RuntimeTestArtifact.h"
#include "support/Error.h"
#include "support/Progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> listing(const fs::path &dir) {
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A directory as a writer killed by SIGKILL leaves it.
fs::path leftover(const fs::path &parent, const std::string &name, long pid, bool marker = true) {
  fs::path dir = parent / (name + ".tmp-" + std::to_string(pid) + "-abcdef");
  fs::create_directory(dir);
  std::ofstream(dir / "weights.safetensors.tmp") << "partial";
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  if (marker)
    std::ofstream(dir / ".axe-tmp-owner") << host << " " << pid << "\n";
  return dir;
}

long deadPid() {
  pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  ::waitpid(child, nullptr, 0); // reaped: the pid names no process until the system reuses it
  return child;
}

TEST(TempDir, CommitRenamesIntoPlaceWithoutTheMarker) {
  axe::test::TempDir scratch;
  fs::path dest = fs::path(scratch.path()) / "m.axe";
  {
    axe::TempDir tmp(dest);
    EXPECT_EQ(tmp.path().parent_path(), dest.parent_path());
    EXPECT_EQ(tmp.path().filename().string().rfind("m.axe.tmp-" + std::to_string(::getpid()) + "-", 0), 0u);
    fs::create_directory(tmp.path() / "cpu");
    std::ofstream(tmp.path() / "cpu" / "kernels.so") << "x";
    tmp.commit();
  }
  EXPECT_EQ(listing(scratch.path()), std::vector<std::string>{"m.axe"});
  EXPECT_EQ(listing(dest), std::vector<std::string>{"cpu"});
}

TEST(TempDir, UncommittedIsRemoved) {
  axe::test::TempDir scratch;
  {
    axe::TempDir tmp(fs::path(scratch.path()) / "m.axe");
    std::ofstream(tmp.path() / "weights.safetensors") << "partial";
  }
  EXPECT_TRUE(listing(scratch.path()).empty());
}

TEST(TempDir, CommitNeverReplacesWhatAppearedMeanwhile) {
  axe::test::TempDir scratch;
  fs::path dest = fs::path(scratch.path()) / "m.axe";
  axe::TempDir tmp(dest);
  std::ofstream(tmp.path() / "weights.safetensors") << "new";
  fs::create_directory(dest); // empty: rename(2) alone would replace it
  EXPECT_THROW(tmp.commit(), axe::Error);
  EXPECT_TRUE(fs::is_empty(dest));
}

TEST(TempDir, RemovesOnlyLeftoversOfDeadProcessesOnThisHost) {
  axe::test::TempDir scratch;
  fs::path parent = scratch.path();
  long dead = deadPid();
  fs::path stale = leftover(parent, "old.axe", dead);
  fs::path alive = leftover(parent, "busy.axe", ::getppid());
  fs::path unmarked = leftover(parent, "nomarker.axe", dead, /*marker=*/false);
  fs::create_directory(parent / "notes.tmp-1"); // the user's
  {
    axe::Progress quiet("test", axe::Verbosity::Quiet, false);
    axe::TempDir tmp(parent / "new.axe", &quiet);
  }
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(unmarked));
  EXPECT_TRUE(fs::exists(parent / "notes.tmp-1"));
}

TEST(Progress, Formats) {
  EXPECT_EQ(axe::Progress::formatBytes(999), "999 B");
  EXPECT_EQ(axe::Progress::formatBytes(1500), "1.5 kB");
  EXPECT_EQ(axe::Progress::formatBytes(812600000), "812.6 MB");
  EXPECT_EQ(axe::Progress::formatBytes(3030000000ull), "3.03 GB");
  EXPECT_EQ(axe::Progress::formatSeconds(4.24), "4.2 s");
  EXPECT_EQ(axe::Progress::formatSeconds(65), "1m05s");
  EXPECT_EQ(axe::Progress::formatSeconds(7380), "2h03m");
  EXPECT_EQ(axe::Progress::formatSeconds(-1), "?");
}

} // namespace

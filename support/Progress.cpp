//===- Progress.cpp - feedback on a long job, on stderr -------------------===//

#include "support/Progress.h"

#include <cmath>
#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>

namespace axe {

namespace {

// A terminal redraws often enough to look live; a log gets a line every few seconds.
constexpr double kTerminalInterval = 0.2, kPlainInterval = 5.0;

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

Progress::Progress(std::string tool, Verbosity verbosity, bool terminal)
    : tool_(std::move(tool)), verbosity_(verbosity), terminal_(terminal), start_(Clock::now()),
      stageStart_(start_) {}

Progress::~Progress() { endLine(); }

Progress &Progress::silent() {
  static Progress quiet("", Verbosity::Quiet, false);
  return quiet;
}

bool Progress::isStderrTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string Progress::formatBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= 1000000000ull)
    std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1000000ull)
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else if (bytes >= 1000ull)
    std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  return buf;
}

std::string Progress::formatSeconds(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0)
    return "?";
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  return buf;
}

void Progress::write(const std::string &text) {
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

void Progress::endLine() {
  if (lineOpen_)
    write("\n");
  lineOpen_ = false;
}

void Progress::stage(const std::string &name) {
  Clock::time_point now = Clock::now();
  if (verbosity_ == Verbosity::Verbose && !stage_.empty()) {
    endLine();
    write(tool_ + ": " + stage_ + ": " + formatSeconds(seconds(now - stageStart_)) + "\n");
  }
  stage_ = name;
  stageStart_ = now;
}

void Progress::beginTask(const std::string &what, uint64_t total) {
  task_ = what;
  total_ = total;
  done_ = 0;
  taskStart_ = lastPrint_ = Clock::now();
  if (terminal_)
    print(false);
}

void Progress::advance(uint64_t bytes) {
  done_ += bytes;
  if (verbosity_ == Verbosity::Quiet)
    return;
  Clock::time_point now = Clock::now();
  if (seconds(now - lastPrint_) >= (terminal_ ? kTerminalInterval : kPlainInterval)) {
    lastPrint_ = now;
    print(false);
  }
}

void Progress::endTask() {
  print(true);
  task_.clear();
}

void Progress::print(bool final) {
  if (verbosity_ == Verbosity::Quiet || task_.empty())
    return;
  double elapsed = seconds(Clock::now() - taskStart_);
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  std::string line = tool_ + ": " + task_ + " " + formatBytes(done_);
  if (final) {
    line += " in " + formatSeconds(elapsed);
    if (rate > 0)
      line += " (" + formatBytes(static_cast<uint64_t>(rate)) + "/s)";
  } else {
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", total_ ? 100.0 * done_ / total_ : 100.0);
    line += " of " + formatBytes(total_) + " (" + pct + ")";
    if (rate > 0 && done_ > 0) {
      line += ", " + formatBytes(static_cast<uint64_t>(rate)) + "/s, ETA " +
              formatSeconds((total_ > done_ ? total_ - done_ : 0) / rate);
    }
  }
  if (terminal_) {
    // Rewrite the line in place; ESC[K clears what a longer earlier line left.
    write("\r" + line + "\033[K" + (final ? "\n" : ""));
    lineOpen_ = !final;
  } else {
    write(line + "\n");
  }
}

void Progress::note(const std::string &text) {
  if (verbosity_ == Verbosity::Quiet)
    return;
  endLine();
  write(tool_ + ": " + text + "\n");
}

void Progress::summary(const std::string &what, uint64_t bytesIn, uint64_t bytesOut) {
  stage("");
  if (verbosity_ == Verbosity::Quiet)
    return;
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage); // ru_maxrss is in kilobytes on Linux
  endLine();
  write(tool_ + ": " + what + " in " + formatSeconds(seconds(Clock::now() - start_)) + ": " +
        formatBytes(bytesIn) + " in -> " + formatBytes(bytesOut) + " out, peak memory " +
        formatBytes(static_cast<uint64_t>(usage.ru_maxrss) * 1024) + "\n");
}

} // namespace axe

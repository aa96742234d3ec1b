//===- Progress.h - feedback on a long job, on stderr ---------*- C++ -*-===//
//
// A compile of a large checkpoint streams tens of gigabytes; this says how far it has got. A
// counted task (the weights, the hashing) shows bytes done, rate and ETA: on a terminal as one
// line rewritten in place, otherwise (CI logs, pipes) as a plain line every few seconds and one
// when the task ends. Verbose adds a timing line per stage; quiet prints nothing. The closing
// summary gives the wall time, bytes in -> bytes out and the peak memory (getrusage's max RSS).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_PROGRESS_H
#define AXE_SUPPORT_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace axe {

enum class Verbosity { Quiet, Normal, Verbose };

class Progress {
public:
  // `tool` prefixes every line; `terminal` says whether stderr is one (see isStderrTerminal).
  Progress(std::string tool, Verbosity verbosity, bool terminal);
  ~Progress(); // ends an open terminal line, so that an error starts on its own line
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  // One that prints nothing, for callers given no reporter.
  static Progress &silent();
  static bool isStderrTerminal();

  // Ends the current stage (verbose: prints its time) and starts `name`.
  void stage(const std::string &name);
  // A task of `total` bytes within the stage: advance() as they are done, then endTask().
  void beginTask(const std::string &what, uint64_t total);
  void advance(uint64_t bytes);
  void endTask();
  // A line of its own (not in quiet mode).
  void note(const std::string &text);
  // Ends the last stage and prints "TOOL: WHAT in TIME: IN -> OUT, peak memory M".
  void summary(const std::string &what, uint64_t bytesIn, uint64_t bytesOut);

  // "1.23 GB", "456.0 MB", "789 B"; "1m05s", "2h03m", "4.2 s". Public for the tests.
  static std::string formatBytes(uint64_t bytes);
  static std::string formatSeconds(double seconds);

private:
  using Clock = std::chrono::steady_clock;
  void print(bool final);
  void write(const std::string &text);
  void endLine();

  std::string tool_;
  Verbosity verbosity_;
  bool terminal_;
  bool lineOpen_ = false; // a terminal line awaits its newline
  Clock::time_point start_, stageStart_, taskStart_, lastPrint_;
  std::string stage_, task_;
  uint64_t total_ = 0, done_ = 0;
};

} // namespace axe

#endif // AXE_SUPPORT_PROGRESS_H

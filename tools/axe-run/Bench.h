//===- Bench.h - axe-run bench: throughput and latency figures -*- C++ -*-===//
#ifndef AXE_TOOLS_AXERUN_BENCH_H
#define AXE_TOOLS_AXERUN_BENCH_H

namespace axe::cli {

// `axe-run bench MODEL.axe [options]`; argv[0] is "bench". Returns the exit status; throws
// axe::Error for bad input.
int runBench(int argc, char **argv);

} // namespace axe::cli

#endif // AXE_TOOLS_AXERUN_BENCH_H

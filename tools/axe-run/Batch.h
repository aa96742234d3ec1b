//===- Batch.h - axe-run batch: many requests through one engine -*- C++ -*-===//
#ifndef AXE_TOOLS_AXERUN_BATCH_H
#define AXE_TOOLS_AXERUN_BATCH_H

namespace axe::cli {

// `axe-run batch MODEL.axe --requests FILE.jsonl [options]`; argv[0] is "batch". Returns the exit
// status; throws axe::Error for bad input.
int runBatch(int argc, char **argv);

} // namespace axe::cli

#endif // AXE_TOOLS_AXERUN_BATCH_H

//===- Serve.h - axe-run serve: the OpenAI-compatible server --*- C++ -*-===//
#ifndef AXE_TOOLS_AXERUN_SERVE_H
#define AXE_TOOLS_AXERUN_SERVE_H

namespace axe::cli {

// `axe-run serve MODEL.axe [options]`; argv[0] is "serve". Returns the exit status; throws
// axe::Error for bad input.
int runServe(int argc, char **argv);

} // namespace axe::cli

#endif // AXE_TOOLS_AXERUN_SERVE_H

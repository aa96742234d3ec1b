//===- Eval.h - axe-run eval: fidelity against a reference ------*- C++ -*-===//
#ifndef AXE_TOOLS_AXERUN_EVAL_H
#define AXE_TOOLS_AXERUN_EVAL_H

namespace axe::cli {

// `axe-run eval MODEL.axe ...`; argv[0] is "eval". Returns the exit status; throws axe::Error for
// bad input.
int runEval(int argc, char **argv);

} // namespace axe::cli

#endif // AXE_TOOLS_AXERUN_EVAL_H

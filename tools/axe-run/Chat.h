//===- Chat.h - axe-run chat: an interactive terminal chat -----*- C++ -*-===//
#ifndef AXE_TOOLS_AXERUN_CHAT_H
#define AXE_TOOLS_AXERUN_CHAT_H

namespace axe::cli {

// `axe-run chat MODEL.axe [options]`; argv[0] is "chat". Returns the exit status; throws
// axe::Error for bad input.
int runChat(int argc, char **argv);

} // namespace axe::cli

#endif // AXE_TOOLS_AXERUN_CHAT_H

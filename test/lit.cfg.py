# -*- Python -*-
# lit configuration of the axe compiler tests: FileCheck and the axe tools, pinned to LLVM 22.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "AXE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.axe_obj_root, "test")
# Not lit tests: the pytest and GoogleTest suites, and lit's own configuration.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "e2e", "data", "fuzz"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%models", config.axe_test_models))
config.substitutions.append(("%bad", config.axe_test_bad))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%axe_src", config.axe_src_root))
config.substitutions.append(("%axe_bin", config.axe_tools_dir))
config.substitutions.append(("%axe_lib", os.path.join(config.axe_obj_root, "lib")))
llvm_config.use_default_substitutions()

# FileCheck, not and count come from the LLVM 22 tools directory, never from PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.axe_tools_dir, append_path=True)
tools = [ToolSubst("axe-opt", unresolved="fatal"), ToolSubst("axe-compile", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, [config.axe_tools_dir])

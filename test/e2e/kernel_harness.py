"""Calls one compiled kernel of an artifact's cpu/kernels.so on torch tensors, as the runtime would.

Each kernel is exported as `_mlir_ciface_<name>(desc*..., int64 scalars..., int64 wg_begin, int64 wg_end)`, where a
desc is MLIR's strided memref descriptor {allocated, aligned, offset, sizes[rank], strides[rank]} (docs/artifact.md).
The tensors' shapes and dtypes are checked against the kernel's contract in manifest.json first, as the loader does.
"""
import ctypes
import json
from pathlib import Path

import torch

DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32, "i32": torch.int32,
          "i64": torch.int64, "f8e4m3": torch.uint8}


def _descriptor(t: torch.Tensor):
    rank = t.dim()

    class Descriptor(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p), ("offset", ctypes.c_int64),
                    ("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]

    base = t.untyped_storage().data_ptr()
    return Descriptor(base, base, t.storage_offset(), (ctypes.c_int64 * rank)(*t.shape),
                      (ctypes.c_int64 * rank)(*t.stride()))


class Kernels:
    def __init__(self, artifact: Path):
        self.manifest = json.loads((artifact / "manifest.json").read_text())
        self.lib = ctypes.CDLL(str(artifact / "cpu/kernels.so"))

    def find(self, op: str, **shapes) -> dict:
        """The one kernel of `op` whose arguments have these static shapes, e.g. find("axe.rms_norm", arg0=[None, 64])."""
        found = [k for k in self.manifest["kernels"] if k["op"] == op and
                 all(k["args"][int(a[3:])]["shape"] == s for a, s in shapes.items())]
        assert len(found) == 1, f"{len(found)} kernels of {op} with {shapes}"
        return found[0]

    def call(self, kernel: dict, *tensors: torch.Tensor, workgroups: int) -> None:
        assert len(tensors) == kernel["num_args"] and kernel["num_scalars"] == 0
        fixed = [w for w in kernel["workgroups"] if isinstance(w, int)]
        assert len(fixed) < len(kernel["workgroups"]) or workgroups in fixed, \
            f"{kernel['name']} is compiled for {kernel['workgroups']} workgroups, not {workgroups}"
        for i, (t, arg) in enumerate(zip(tensors, kernel["args"])):
            assert t.dtype == DTYPES[arg["dtype"]], f"{kernel['name']} arg {i}: {t.dtype} is not {arg['dtype']}"
            assert t.dim() == len(arg["shape"]) and all(s is None or s == n for s, n in zip(arg["shape"], t.shape)), \
                f"{kernel['name']} arg {i}: shape {list(t.shape)} is not {arg['shape']}"
            assert t.dim() == 0 or t.stride(-1) == 1
        descriptors = [_descriptor(t) for t in tensors]
        fn = getattr(self.lib, kernel["symbol"])
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p] * len(descriptors) + [ctypes.c_int64, ctypes.c_int64]
        fn(*[ctypes.addressof(d) for d in descriptors], 0, workgroups)

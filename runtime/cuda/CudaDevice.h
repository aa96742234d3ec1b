//===- CudaDevice.h - runs the step program on an NVIDIA GPU --*- C++ -*-===//
//
// The Device (runtime/Device.h) of the artifact's nvvm/kernels.cubin: the cubin is loaded with the
// driver API (libcuda loaded at run time, runtime/cuda/CudaDriver.h), the weights are uploaded
// once, the KV caches and recurrent states live on the GPU, and every other buffer comes from
// one arena of device memory, kept across steps while it is big enough. One stream (the default one) orders
// everything; a step copies the inputs in, launches each program entry as `workgroups` blocks
// (the kernels' GPU form: thread 0 of block b runs workgroup b; cuLaunchKernelEx), and copies back the logits rows
// the step asked for.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_CUDA_CUDADEVICE_H
#define AXE_RUNTIME_CUDA_CUDADEVICE_H

#include "runtime/Device.h"

#include <cstdint>
#include <vector>

namespace axe {

class CudaDevice : public Device {
public:
  // Throws axe::Error in one line when there is no driver or GPU, the GPU is not the artifact's
  // chip, or the artifact holds no GPU kernels.
  CudaDevice(const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots);
  ~CudaDevice() override;
  // The GPU memory free now (what the KV cache plan of --device cuda divides); throws as above.
  static uint64_t freeMemoryBytes();

  Logits step(const StepInputs &inputs) override;
  void zeroStateSlot(int64_t slot) override;
  void copyStateSlot(int64_t from, int64_t to) override;
  void copyKvBlock(int64_t from, int64_t to) override;
  std::vector<float> recurrentState(int64_t slot) const override;

private:
  struct Storage {
    uint64_t address = 0;  // CUdeviceptr
    uint64_t bytes = 0;    // what the current binding needs
    uint64_t capacity = 0; // what is allocated (0: a slice of the arena, or nothing)
  };
  struct Call {
    void *function = nullptr;     // CUfunction
    std::vector<int64_t> params;  // the kernel's parameters, 8 bytes each
    std::vector<void *> pointers; // &params[i], what cuLaunchKernelEx takes
    int64_t workgroups = 0;
    int64_t kernel = 0;
  };

  void bind();
  void allocate(Storage &s, uint64_t bytes);
  void release(Storage &s);
  void captureRoutes();

  void *module_ = nullptr;         // CUmodule
  std::vector<void *> functions_;  // by kernel
  std::vector<Storage> storage_;   // by buffer id (per-step buffers: slices of arena_)
  Storage arena_;
  std::vector<Call> calls_;        // by program entry
  std::vector<float> logits_;      // the last step's, on the host
  std::vector<void *> events_;     // CUevent pairs around each program entry, when profiling
  bool bound_ = false;
};

} // namespace axe

#endif // AXE_RUNTIME_CUDA_CUDADEVICE_H

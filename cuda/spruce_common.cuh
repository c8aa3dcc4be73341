// Helpers shared by every Spruce .cu file: status reporting into the thread-local last-error buffer.
#ifndef SPRUCE_COMMON_CUH
#define SPRUCE_COMMON_CUH

#include <cuda_runtime.h>
#include "spruce_cuda.h"

// Records a failure message (printf-style) for spruce_last_error() and returns status unchanged.
int spruce_fail(int status, const char* fmt, ...);

// Turns a CUDA runtime result into a Spruce status, recording "<call>: <CUDA message> (<name>)" on failure.
int spruce_cuda_status(cudaError_t err, const char* call);

// Checks the launch of the kernel just started (cudaGetLastError) and names it on failure.
int spruce_launch_status(const char* kernel);

#define SPRUCE_TRY(expr)                                   \
    do {                                                   \
        int spruce_try_status_ = (expr);                   \
        if (spruce_try_status_ != 0) return spruce_try_status_; \
    } while (0)

#endif

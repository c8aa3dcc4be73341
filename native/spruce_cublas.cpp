// cuBLAS dense baseline reached at run time: the build machines have no cuBLAS (headers or libraries),
// and the GPU hosts do, so libcublas is dlopen'ed and the four entry points we need are declared here by
// hand with the ABI of cuBLAS 12/13 (handles and streams are opaque pointers, enums are ints).
#include <dlfcn.h>
#include <glob.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "spruce_cuda.h"

int spruce_fail(int status, const char* fmt, ...);

namespace {

// cuBLAS enum values (cublas_api.h / library_types.h), stable across cuBLAS 11-13.
constexpr int OP_N = 0;
constexpr int OP_T = 1;
constexpr int R_32F = 0;
constexpr int R_16F = 2;
constexpr int R_16BF = 14;
constexpr int COMPUTE_32F = 68;
constexpr int GEMM_DEFAULT = -1;

using create_fn = int (*)(void**);
using destroy_fn = int (*)(void*);
using set_stream_fn = int (*)(void*, void*);
using status_string_fn = const char* (*)(int);
using gemm_ex_fn = int (*)(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int,
                           const void*, void*, int, int, int, int);

struct Cublas {
    bool tried = false;
    void* lib = nullptr;
    std::string origin;
    create_fn create = nullptr;
    destroy_fn destroy = nullptr;
    set_stream_fn set_stream = nullptr;
    status_string_fn status_string = nullptr;
    gemm_ex_fn gemm_ex = nullptr;
};

Cublas cublas;
std::mutex cublas_mutex;

// Opens libcublas at path; preloads its libcublasLt neighbour (RTLD_GLOBAL) in case the file's RUNPATH
// does not find it. Returns the handle or null.
void* open_at(const std::string& path, std::string& errors) {
    std::string dir = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
    if (!dir.empty()) {
        std::string lt = dir + "libcublasLt.so.13";
        dlopen(lt.c_str(), RTLD_NOW | RTLD_GLOBAL);
    }
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = dlerror();
        if (!errors.empty()) errors += "; ";
        errors += e ? e : path;
    }
    return h;
}

std::vector<std::string> candidates() {
    std::vector<std::string> out;
    if (const char* env = std::getenv("SPRUCE_CUBLAS")) {  // colon-separated files or folders
        std::string s(env);
        size_t start = 0;
        while (start <= s.size()) {
            size_t end = s.find(':', start);
            std::string item = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (!item.empty()) {
                if (item.size() > 3 && item.find(".so") != std::string::npos) {
                    out.push_back(item);
                } else {
                    out.push_back(item + "/libcublas.so.13");
                    out.push_back(item + "/libcublas.so");
                }
            }
            if (end == std::string::npos) break;
            start = end + 1;
        }
    }
    out.push_back("libcublas.so.13");  // the loader's search path (LD_LIBRARY_PATH, ldconfig cache)
    out.push_back("libcublas.so");
    const char* patterns[] = {
        "/usr/local/cuda/lib64/libcublas.so.13",
        "/usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.13",
        "/usr/local/cuda-13*/targets/x86_64-linux/lib/libcublas.so.13",
        // pip wheels (nvidia-cublas): CUDA 13 wheels use nvidia/cu13/lib, older ones nvidia/cublas/lib
        "/opt/*/.venv/lib/python3*/site-packages/nvidia/cu13/lib/libcublas.so.13",
        "/opt/*/.venv/lib/python3*/site-packages/nvidia/cublas/lib/libcublas.so.13",
        "/usr/local/lib/python3*/dist-packages/nvidia/cu13/lib/libcublas.so.13",
        "/usr/local/lib/python3*/dist-packages/nvidia/cublas/lib/libcublas.so.13",
        "/usr/lib/python3*/site-packages/nvidia/cu13/lib/libcublas.so.13",
        "/usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.13",
    };
    for (const char* p : patterns) {
        glob_t g;
        if (glob(p, 0, nullptr, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
        }
        globfree(&g);
    }
    return out;
}

// Loads cuBLAS once; on failure records why in cublas.origin. Caller holds cublas_mutex.
bool load_cublas() {
    if (cublas.tried) return cublas.lib != nullptr;
    cublas.tried = true;
    std::string errors;
    for (const std::string& c : candidates()) {
        void* h = open_at(c, errors);
        if (!h) continue;
        cublas.create = (create_fn)dlsym(h, "cublasCreate_v2");
        cublas.destroy = (destroy_fn)dlsym(h, "cublasDestroy_v2");
        cublas.set_stream = (set_stream_fn)dlsym(h, "cublasSetStream_v2");
        cublas.gemm_ex = (gemm_ex_fn)dlsym(h, "cublasGemmEx");
        cublas.status_string = (status_string_fn)dlsym(h, "cublasGetStatusString");
        if (cublas.create && cublas.destroy && cublas.set_stream && cublas.gemm_ex) {
            cublas.lib = h;
            Dl_info info;
            cublas.origin = dladdr((void*)cublas.create, &info) && info.dli_fname ? info.dli_fname : c;
            return true;
        }
        errors += "; " + c + " lacks cublasCreate_v2/cublasGemmEx";
        dlclose(h);
    }
    cublas.origin = "libcublas not found (set SPRUCE_CUBLAS to its file or folder); tried: " + errors;
    return false;
}

int cublas_status(int st, const char* call) {
    if (st == 0) return 0;
    const char* msg = cublas.status_string ? cublas.status_string(st) : "cuBLAS error";
    return spruce_fail(SPRUCE_E_CUBLAS, "%s: %s (cublasStatus %d)", call, msg, st);
}

int cuda_type(int t) {
    switch (t) {
        case SPRUCE_F32: return R_32F;
        case SPRUCE_BF16: return R_16BF;
        case SPRUCE_F16: return R_16F;
        default: return -1;
    }
}

}  // namespace

extern "C" int spruce_cublas_create(void** handle) {
    if (!handle) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_cublas_create: null output");
    *handle = nullptr;
    std::lock_guard<std::mutex> lock(cublas_mutex);
    if (!load_cublas()) return spruce_fail(SPRUCE_E_CUBLAS_MISSING, "cuBLAS unavailable: %s", cublas.origin.c_str());
    return cublas_status(cublas.create(handle), "cublasCreate_v2");
}

extern "C" int spruce_cublas_destroy(void* handle) {
    if (!handle) return 0;
    if (!cublas.lib) return spruce_fail(SPRUCE_E_CUBLAS_MISSING, "cublasDestroy_v2: cuBLAS not loaded");
    return cublas_status(cublas.destroy(handle), "cublasDestroy_v2");
}

extern "C" const char* spruce_cublas_origin(void) {
    std::lock_guard<std::mutex> lock(cublas_mutex);
    load_cublas();
    return cublas.origin.c_str();
}

extern "C" int spruce_cublas_gemm(void* handle, void* stream, int w_type, const void* w, int x_type, const void* x,
                                  int y_type, void* y, int n, int m, int k) {
    if (!cublas.lib || !handle) return spruce_fail(SPRUCE_E_CUBLAS_MISSING, "cublasGemmEx: no cuBLAS handle");
    if (n <= 0 || m <= 0 || k <= 0)
        return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "cublasGemmEx: bad shape n=%d m=%d k=%d", n, m, k);
    if (!w || !x || !y) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "cublasGemmEx: null pointer");
    const int wt = cuda_type(w_type), xt = cuda_type(x_type), yt = cuda_type(y_type);
    if (wt < 0 || xt < 0 || yt < 0 || w_type != x_type || (y_type != SPRUCE_F32 && y_type != w_type))
        return spruce_fail(SPRUCE_E_UNSUPPORTED, "cublasGemmEx: unsupported types w=%d x=%d y=%d", w_type, x_type, y_type);
    int st = cublas_status(cublas.set_stream(handle, stream), "cublasSetStream_v2");
    if (st != 0) return st;
    const float alpha = 1.0f, beta = 0.0f;
    // Row-major Y (n x m) is column-major Y^T (m x n) = W (m x k, i.e. column-major W^T read transposed)
    // times X^T (k x n, which is row-major X read as column-major). So: C = op_T(A=W) * op_N(B=X).
    return cublas_status(cublas.gemm_ex(handle, OP_T, OP_N, m, n, k, &alpha, w, wt, k, x, xt, k, &beta, y, yt, m,
                                        COMPUTE_32F, GEMM_DEFAULT),
                         "cublasGemmEx");
}

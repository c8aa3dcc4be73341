"""Outside anchor for the 2:4 kernels: PyTorch semi-structured sparsity (cuSPARSELt and CUTLASS backends)
against dense torch linear, bf16, on the standard shapes. Run by cuda/tests/run-gpu.sh on the GPU host.

Usage: python3 torch_anchor.py OUT.json
Each point is timed with CUDA events (warm-up, median of repeats, weights rotated over several copies so
the L2 cache does not hold them). Failures of one backend/point are recorded and do not stop the others.
"""
import json
import statistics
import sys
import time

SHAPES = [(4096, 4096), (11008, 4096), (4096, 11008), (2304, 768), (768, 768), (3072, 768), (768, 3072)]
BATCHES = [1, 8, 16, 32, 64, 128, 512, 2048]
BUDGET_S = 38.0


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "torch_anchor.json"
    t_end = time.time() + BUDGET_S
    result = {"points": [], "errors": []}
    try:
        import torch
        from torch.sparse import SparseSemiStructuredTensor, to_sparse_semi_structured
    except Exception as e:  # no torch: record why
        result["errors"].append(f"import: {e!r}")
        json.dump(result, open(out_path, "w"), indent=1)
        print("torch not usable:", e)
        return
    result["torch"] = torch.__version__
    result["device"] = torch.cuda.get_device_name(0)
    print("torch", torch.__version__, "on", result["device"])
    dev = "cuda"

    def timed(fn, copies, reps=7):
        iters = max(len(copies), 20)
        for i in range(min(iters, 2 * len(copies) + 2)):
            fn(copies[i % len(copies)])
        torch.cuda.synchronize()
        times = []
        for _ in range(reps):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            for i in range(iters):
                fn(copies[i % len(copies)])
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) * 1000.0 / iters)
        return statistics.median(times)

    print(f"{'shape MxK':>12} {'N':>5} {'dense us':>9} {'cusparselt us':>13} {'cutlass us':>10} {'lt speedup':>10}")
    for (M, K) in SHAPES:
        if time.time() > t_end:
            result["errors"].append(f"budget spent before {M}x{K}")
            break
        # random 2:4 along K (keep 2 of every 4), as torch's own examples build it
        mask = torch.tensor([1, 1, 0, 0], device=dev, dtype=torch.bool)
        perm = torch.stack([mask[torch.randperm(4, device=dev)] for _ in range(64)])
        w = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
        idx = torch.randint(0, 64, (M, K // 4), device=dev)
        w = w * perm[idx].reshape(M, K)
        ncopies = max(2, min(32, (256 << 20) // (M * K * 2) + 1))
        dense = [w.clone() for _ in range(ncopies)]
        sparse = {}
        for name, force_cutlass in (("cusparselt", False), ("cutlass", True)):
            try:
                SparseSemiStructuredTensor._FORCE_CUTLASS = force_cutlass
                sparse[name] = [to_sparse_semi_structured(w.clone()) for _ in range(ncopies)]
            except Exception as e:
                result["errors"].append(f"{name} {M}x{K} compress: {e!r}")
        for N in BATCHES:
            if time.time() > t_end:
                break
            x = torch.randn(N, K, device=dev, dtype=torch.bfloat16)
            pt = {"M": M, "K": K, "N": N}
            pt["dense_us"] = timed(lambda W: torch.nn.functional.linear(x, W), dense)
            ref = torch.nn.functional.linear(x, w).float()
            for name, copies in sparse.items():
                try:
                    y = torch.nn.functional.linear(x, copies[0]).float()
                    pt[name + "_relerr"] = float((y - ref).norm() / ref.norm())
                    pt[name + "_us"] = timed(lambda W: torch.nn.functional.linear(x, W), copies)
                except Exception as e:
                    result["errors"].append(f"{name} {M}x{K} N={N}: {e!r}"[:300])
            result["points"].append(pt)
            lt = pt.get("cusparselt_us")
            ct = pt.get("cutlass_us")
            print(f"{M:>5}x{K:<6} {N:>5} {pt['dense_us']:9.2f} {lt if lt else float('nan'):13.2f} "
                  f"{ct if ct else float('nan'):10.2f} {pt['dense_us'] / lt if lt else float('nan'):9.2f}x", flush=True)
        del dense, sparse
        torch.cuda.empty_cache()
    for e in result["errors"][:10]:
        print("error:", e)
    json.dump(result, open(out_path, "w"), indent=1)
    print("wrote", out_path)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Outside anchor for `spruce gpu-check`: the same shapes through PyTorch on the same GPU.

For each (m, k, n): Y = X W^T with W (m x k) bf16 and X (n x k) bf16, dense (torch.nn.functional.linear,
cuBLAS) and 2:4 semi-structured (torch.sparse.to_sparse_semi_structured, cuSPARSELt backend when torch has
it, else CUTLASS). Times with CUDA events: warm-up, then enough launches for ~target ms, median of 3.
Prints one JSON object per line; a first line {"info": ...} says versions and the sparse backend. Exits 3
with {"skip": reason} when torch or a GPU is missing.
usage: torch_anchor.py --shapes 4096x4096,... --batches 1,8,... [--target-ms 15]
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", required=True)
    ap.add_argument("--batches", required=True)
    ap.add_argument("--target-ms", type=float, default=15.0)
    a = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
        print(json.dumps({"skip": f"python3 has no usable torch: {e}"}))
        return 3
    if not torch.cuda.is_available():
        print(json.dumps({"skip": "torch sees no CUDA device"}))
        return 3
    sparse_backend = None
    to_semi = None
    try:
        from torch.sparse import to_sparse_semi_structured, SparseSemiStructuredTensor
        to_semi = to_sparse_semi_structured
        if torch.backends.cusparselt.is_available():
            SparseSemiStructuredTensor._FORCE_CUTLASS = False
            sparse_backend = "cuSPARSELt " + str(torch.backends.cusparselt.version())
        else:
            SparseSemiStructuredTensor._FORCE_CUTLASS = True
            sparse_backend = "CUTLASS"
    except Exception as e:  # noqa: BLE001
        sparse_backend = f"unavailable: {e}"
    print(json.dumps({"info": {"torch": torch.__version__, "cuda": torch.version.cuda,
                               "device": torch.cuda.get_device_name(0), "sparse24": sparse_backend}}), flush=True)

    def timed(fn):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        for _ in range(2):
            fn()
        start.record(); fn(); end.record(); end.synchronize()
        once = max(start.elapsed_time(end), 1e-3)
        iters = int(max(3, min(500, a.target_ms / once + 1)))
        reps = []
        for _ in range(3):
            start.record()
            for _ in range(iters):
                fn()
            end.record(); end.synchronize()
            reps.append(start.elapsed_time(end) / iters)
        return sorted(reps)[1]

    shapes = [tuple(int(v) for v in s.split("x")) for s in a.shapes.split(",")]
    batches = [int(b) for b in a.batches.split(",")]
    torch.manual_seed(0)
    for (m, k) in shapes:
        w = torch.randn(m, k, device="cuda", dtype=torch.bfloat16) / k ** 0.5
        # 2:4 along k: keep the two largest magnitudes of each group of 4
        g = w.view(m, k // 4, 4)
        idx = g.abs().topk(2, dim=-1).indices
        mask = torch.zeros_like(g, dtype=torch.bool).scatter_(-1, idx, True)
        w24 = (g * mask).view(m, k)
        ws = None
        sparse_err = None
        if to_semi is not None and not sparse_backend.startswith("unavailable"):
            try:
                ws = to_semi(w24)
            except Exception as e:  # noqa: BLE001
                sparse_err = f"to_sparse_semi_structured failed: {e}"
        for n in batches:
            x = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
            row = {"m": m, "k": k, "n": n}
            row["dense_ms"] = timed(lambda: F.linear(x, w))
            if ws is not None:
                try:
                    ref = F.linear(x.float(), w24.float())
                    got = F.linear(x, ws).float()
                    row["sparse24_rel_err"] = float((got - ref).norm() / ref.norm())
                    row["sparse24_ms"] = timed(lambda: F.linear(x, ws))
                    row["dense24_ms"] = timed(lambda: F.linear(x, w24))
                except Exception as e:  # noqa: BLE001
                    row["sparse24_error"] = str(e).splitlines()[0][:300]
            elif sparse_err or sparse_backend:
                row["sparse24_error"] = sparse_err or sparse_backend
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""k-center greedy (core-set selection): alpapers' torch implementation vs the common NumPy/scikit-learn pattern.

Both run the same greedy algorithm from the same first centre on the same random features; the script checks
that they choose the same centres in the same order and prints the times and their ratio.

    python benchmarks/coreset.py                       # 50,000 x 128 features, 1,000 centres
    python benchmarks/coreset.py --n 10000 --k 200     # smaller
    python benchmarks/coreset.py --device cuda         # the torch side on a GPU

The reference (`alpapers.strategies.k_center_greedy_reference`) is written the way common active-learning
toolkits write it (the `kCenterGreedy` pattern): `sklearn.metrics.pairwise_distances` from the whole feature
matrix to each new centre, then `np.minimum` into the min-distance vector.
"""
from __future__ import annotations
import argparse, os, platform, sys, time
import numpy as np
import torch
from alpapers.core import get_device
from alpapers.strategies import k_center_greedy, k_center_greedy_reference


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=50_000, help='feature vectors')
    ap.add_argument('--dim', type=int, default=128, help='feature dimension')
    ap.add_argument('--k', type=int, default=1_000, help='centres to choose')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--start', type=int, default=0, help='the first centre (same for both)')
    ap.add_argument('--device', default=None, help='torch device (default: CUDA when present, else CPU)')
    ap.add_argument('--threads', type=int, default=1, help="k_center_greedy's CPU threads (its default: 1)")
    ap.add_argument('--ref-threads', type=int, default=None, help='BLAS threads for the reference (default: the BLAS default)')
    ap.add_argument('--methods', default='lazy,dense', help='alpapers methods to time (comma-separated)')
    a = ap.parse_args(argv)
    dev = get_device(a.device)
    X = np.random.default_rng(a.seed).standard_normal((a.n, a.dim)).astype(np.float32)
    print(f"k-center greedy: {a.n:,} x {a.dim} float32 features, {a.k:,} centres, start {a.start}")
    print(f"host {platform.node()}, {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}, torch {torch.__version__} "
          f"(k_center_greedy: {a.threads} CPU thread(s)), device {dev}"
          + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == 'cuda' else ''))

    from threadpoolctl import threadpool_limits
    with threadpool_limits(a.ref_threads):
        t = time.perf_counter(); ref = k_center_greedy_reference(X, a.k, start=a.start); t_ref = time.perf_counter() - t
    print(f"{'numpy/sklearn kCenterGreedy pattern':40s} {t_ref:8.2f} s   (BLAS threads: {a.ref_threads or 'default'})")
    ok = True
    for m in a.methods.split(','):
        if dev.type == 'cuda':      # warm up the CUDA context and kernels outside the timing
            k_center_greedy(X[:1000], 5, start=0, method=m, device=dev); torch.cuda.synchronize()
        t = time.perf_counter()
        got = k_center_greedy(torch.from_numpy(X), a.k, start=a.start, method=m, device=dev, threads=a.threads)
        if dev.type == 'cuda': torch.cuda.synchronize()
        dt = time.perf_counter() - t
        same = np.array_equal(got, ref)
        ok &= same
        extra = '' if same else f", first difference at pick {int(np.argmax(got != ref))} of {a.k}"
        print(f"{'alpapers k_center_greedy (' + m + ', ' + dev.type + ')':40s} {dt:8.2f} s   {t_ref / dt:6.1f}x faster, "
              f"same centres: {same}{extra}")
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

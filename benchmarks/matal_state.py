"""MATAL's state and actions at the paper's pool sizes: a 20,000-image pool with 2,000 labeled images.

Features have the paper's hand dimensions: a 128-D appearance feature and the seven KCS topology features of
21-joint hands (210 + 15 + 5 x 10 = 275 dims), computed from random procedural poses. The script prints

1. wall times of the exact state (Eq. 1, blocked), the linear-time state (random Fourier features) and the actions;
2. the blocked vs direct (dense kernel matrices) MMD, side by side on the same data at a size where the dense
   matrices fit in memory (default 5,000 images), with the time ratio and the value difference;
3. the linear estimator's error against the exact value, per feature space;
4. optionally, the wall time of a real `featurize` (one inference pass of a DeepPrior `HandPoseTask` on `hand_synth`).

    python benchmarks/matal_state.py                       # 20,000 pool, 2,000 labeled, CPU or CUDA
    python benchmarks/matal_state.py --n 5000 --labeled 500 --direct-n 2000
    python benchmarks/matal_state.py --device cpu --real 0 # no real featurize

No timed asserts: it prints figures and ratios.
"""
from __future__ import annotations
import argparse, os, platform, sys, time
import numpy as np
import torch
from alpapers.core import get_device
from alpapers.matal.features import (MatalFeatures, SPACES, action_vectors, featurize, mmd2, mmd2_reference,
                                     median_bandwidth, state_vector, topology_dims, topology_features, topology_names)


def random_hands(n:int, seed:int, curl:float=0.0) -> torch.Tensor:
    "Procedural 21-joint hands (five 4-bone chains from the wrist), random spread, curl and 3-D rotation."
    g = torch.Generator().manual_seed(seed)
    P = torch.zeros(n, 21, 3)
    for f in range(5):
        spread = (f - 2) * 0.3 + 0.08 * torch.randn(n, generator=g)
        bend = 0.3 * torch.rand(n, generator=g) + curl
        pos, pitch = torch.zeros(n, 3), torch.zeros(n)
        for k, L in enumerate((3.0, 1.6, 1.0, 0.8)):
            pos = pos + L * torch.stack([torch.sin(spread) * torch.cos(pitch), torch.cos(spread) * torch.cos(pitch), torch.sin(pitch)], -1)
            P[:, 1 + 4 * f + k] = pos
            pitch = pitch + bend
    Q, R = torch.linalg.qr(torch.randn(n, 3, 3, generator=g))
    return P @ (Q * torch.sign(torch.diagonal(R, dim1=-2, dim2=-1))[:, None, :]).transpose(1, 2)


def features(n:int, seed:int, curl:float, app_shift:float, index0:int, app_dim:int) -> MatalFeatures:
    g = torch.Generator().manual_seed(seed + 1000)
    P = random_hands(n, seed, curl)
    app = torch.relu(torch.randn(n, app_dim, generator=g) + app_shift)
    return MatalFeatures(np.arange(index0, index0 + n), app, topology_features(P, 'hand21'), tuple(topology_names('hand21')), P)


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def timed(fn, dev):
    sync(dev); t = time.perf_counter(); out = fn(); sync(dev)
    return out, time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=20_000, help='pool size (labeled + unlabeled)')
    ap.add_argument('--labeled', type=int, default=2_000, help='labeled images')
    ap.add_argument('--app-dim', type=int, default=128, help='appearance feature size (paper: 128)')
    ap.add_argument('--direct-n', type=int, default=5_000, help='pool size of the blocked vs direct comparison (0: skip)')
    ap.add_argument('--block', type=int, default=4096, help='tile side of the blocked computations')
    ap.add_argument('--rff', type=int, default=2048, help='Fourier frequencies of the linear MMD')
    ap.add_argument('--bins', type=int, default=10, help='histogram bins of d_i')
    ap.add_argument('--real', type=int, default=1000, help='images of a real HandPoseTask featurize (0: skip)')
    ap.add_argument('--device', default=None, help='torch device (default: CUDA when present, else CPU)')
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    dev = get_device(a.device)
    print(f"MATAL state + actions: pool {a.n:,} = {a.labeled:,} labeled + {a.n - a.labeled:,} unlabeled; "
          f"f_A {a.app_dim}-D, topology {topology_dims('hand21')} (sum {sum(topology_dims('hand21'))})")
    print(f"host {platform.node()}, {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), device {dev}" + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == 'cuda' else ''))

    # the labeled set: a little less finger curl and a slightly different look than the pool
    (fL, fU), t_feat = timed(lambda: (features(a.labeled, a.seed, 0.0, 0.0, 0, a.app_dim),
                                      features(a.n - a.labeled, a.seed + 1, 0.1, 0.1, a.labeled, a.app_dim)), torch.device('cpu'))
    print(f"\nsynthetic features (KCS of {a.n:,} random hands)        {t_feat:8.2f} s")
    if dev.type == 'cuda': state_vector(fL.take(slice(0, 100)), fU.take(slice(0, 100)), 0.1, device=dev); sync(dev)   # warm-up

    # 1. state (exact and linear) and actions at full size
    (s_ex, i_ex), t_ex = timed(lambda: state_vector(fL, fU, 0.1, method='exact', block=a.block, device=dev, seed=a.seed), dev)
    (s_li, i_li), t_li = timed(lambda: state_vector(fL, fU, 0.1, method='linear', block=a.block, device=dev, seed=a.seed,
                                                   rff_features=a.rff, bandwidths=i_ex['bandwidth']), dev)
    A, t_act = timed(lambda: action_vectors(fL, fU, bins=a.bins, block=a.block, device=dev), dev)
    print(f"state, exact MMD (8 spaces, blocked, block {a.block})        {t_ex:8.2f} s   "
          f"(per space: {', '.join(f'{k} {v:.2f}' for k, v in i_ex['seconds'].items())})")
    print(f"state, linear MMD (random Fourier, D = {a.rff})             {t_li:8.2f} s   {t_ex / t_li:6.1f}x faster than exact")
    print(f"actions ({A.shape[0]:,} x {A.shape[1]}: s, {a.bins}-bin d, f_A)              {t_act:8.2f} s")
    print(f"state: {[round(float(v), 5) for v in s_ex]}")

    # 3. the linear estimator's error, per space (same bandwidths)
    print(f"\nlinear (D = {a.rff}) vs exact MMD^2 at {a.n:,} images, per space:")
    print(f"  {'space':18s} {'bandwidth':>10s} {'exact':>10s} {'linear':>10s} {'abs err':>9s} {'rel err':>8s}")
    for k in SPACES:
        e, l = i_ex['mmd2'][k], i_li['mmd2'][k]
        print(f"  {i_ex['spaces'][k]:18s} {i_ex['bandwidth'][k]:10.4g} {e:10.6f} {l:10.6f} {abs(l - e):9.2e} {abs(l - e) / max(e, 1e-12):7.1%}")

    # 2. blocked vs direct, side by side, where the dense matrices fit
    if a.direct_n:
        nl = max(1, round(a.direct_n * a.labeled / a.n))
        print(f"\nblocked vs direct MMD^2 at {a.direct_n:,} images ({nl:,} labeled), float32 on {dev}, same bandwidth:")
        print(f"  {'space':18s} {'blocked s':>10s} {'direct s':>10s} {'direct/blocked':>15s} {'|difference|':>13s} {'direct GB':>10s}")
        for k, XL, XU in (('FA', fL.appearance, fU.appearance), ('P0', fL.topo[0], fU.topo[0]), ('P3', fL.topo[3], fU.topo[3])):
            X, Y = XL[:nl], XU[:a.direct_n - nl]
            h = median_bandwidth(X, Y, seed=a.seed)
            mmd2(X[:50], Y[:50], bandwidth=h, device=dev); mmd2_reference(X[:50], Y[:50], h, dtype=torch.float32, device=dev)   # warm-up
            (vb, _), tb = timed(lambda: mmd2(X, Y, bandwidth=h, block=a.block, device=dev), dev)
            vd, td = timed(lambda: mmd2_reference(X, Y, h, dtype=torch.float32, device=dev), dev)
            gb = 4 * (len(X) ** 2 + len(Y) ** 2 + len(X) * len(Y)) / 1e9
            print(f"  {i_ex['spaces'][k]:18s} {tb:10.3f} {td:10.3f} {td / tb:14.2f}x {abs(vb - vd):13.2e} {gb:10.2f}")
        print(f"  (at {a.n:,} images the direct version would hold {4 * (a.labeled ** 2 + (a.n - a.labeled) ** 2 + a.labeled * (a.n - a.labeled)) / 1e9:.1f} GB "
              f"of float32 kernel matrices per space; the blocked one holds 2 x {a.block}^2 floats = {8 * a.block ** 2 / 1e6:.0f} MB)")

    # 4. a real featurize: one inference pass of DeepPrior on procedural depth hands
    if a.real:
        from alpapers.tasks import HandPoseTask
        ht = HandPoseTask.from_dataset('hand_synth', n_train=a.real, n_test=16, data_kw=dict(size=64), model_size='smoke',
                                       epochs=1, device=dev)
        ht.fit(np.arange(min(64, a.real)), seed=0)
        f, t_real = timed(lambda: featurize(ht, np.arange(a.real), skeleton='icvl16'), dev)
        print(f"\nreal featurize: HandPoseTask on hand_synth (64 px, ICVL-16), {a.real:,} images, one inference pass  {t_real:8.2f} s "
              f"({1e3 * t_real / a.real:.2f} ms/image; f_A {f.appearance.shape[1]}-D, topology {[t.shape[1] for t in f.topo]})")
    return 0


if __name__ == '__main__':
    sys.exit(main())

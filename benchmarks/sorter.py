"""Differentiable rankers for L2R-AL: the learned SoDeep sorter vs the exact soft rank, quality and speed in one run.

For each list length (the paper's: 4 for ShanghaiTech, 32 for MPII, 64 for CIFAR-10) the script gets the
SoDeep GRU sorter from the sorter cache (training and caching it first if it is missing) and measures, beside
the exact soft rank (Blondel et al. 2020) at a few regularisation strengths:

- quality on fresh synthetic lists (every family of `alpapers.l2ral.SORTER_FAMILIES`): the mean Spearman
  correlation between the ranker's output and the exact ranks, and the mean absolute rank error (in ranks).
  The soft rank never changes the order of a list, so its Spearman is 1 by construction (ties aside); its rank
  error measures how much it pulls ranks together (the price of its smoothness);
- speed: forward + backward time of the Eq. 6 ranking loss on one list (what one training step of the loss
  module costs), and of the ranker on a batch of 256 lists (throughput), median over repeats.

    python benchmarks/sorter.py                                  # lengths 4, 32, 64 with the default sorters
    python benchmarks/sorter.py --steps 500 --lengths 8,32       # other sorters (trained once, then cached)
    python benchmarks/sorter.py --retrain                        # retrain even when cached

The soft rank is evaluated on standardised lists, as the ranking loss feeds it; the sorter standardises
internally, so both see the same thing. Training time is reported when the sorter was trained in this run.
"""
from __future__ import annotations
import argparse, os, platform, statistics, sys, time
import numpy as np
import torch
from alpapers.core import get_device
from alpapers.l2ral import (SORTER_DEFAULTS, SoftRanker, get_sorter, ranking_loss, sorter_cache_dir, sorter_report)


def _time(fn, repeats:int, warmup:int=3) -> float:
    "Median wall time of fn() in milliseconds."
    for _ in range(warmup): fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn()
        if torch.cuda.is_available(): torch.cuda.synchronize()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


def _speed(ranker, n:int, device, repeats:int, batch:int=256) -> tuple[float, float]:
    g = torch.Generator().manual_seed(n)
    pred = torch.randn(n, generator=g).to(device).requires_grad_(True)
    target = torch.rand(n, generator=g).to(device)
    def one():
        pred.grad = None
        ranking_loss(pred, target, ranker).backward()
    xb = torch.randn(batch, n, generator=g).to(device).requires_grad_(True)
    def many():
        xb.grad = None
        ranker(xb).sum().backward()
    return _time(one, repeats), _time(many, max(3, repeats // 10))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--lengths', default='4,32,64', help='list lengths (comma-separated)')
    ap.add_argument('--steps', type=int, default=SORTER_DEFAULTS['steps'], help='sorter pretraining steps')
    ap.add_argument('--hidden', type=int, default=SORTER_DEFAULTS['hidden'], help='GRU units per direction')
    ap.add_argument('--layers', type=int, default=SORTER_DEFAULTS['layers'], help='GRU layers')
    ap.add_argument('--batch', type=int, default=SORTER_DEFAULTS['batch'], help='lists per pretraining step')
    ap.add_argument('--seed', type=int, default=0, help='sorter pretraining seed')
    ap.add_argument('--strengths', default='4/n,1/n,0.1', help="soft-rank strengths, comma-separated; 'c/n' means c / length "
                    "(4/n is the L2R-AL learner's default)")
    ap.add_argument('--n-vectors', type=int, default=2000, help='fresh test lists per length')
    ap.add_argument('--repeats', type=int, default=200, help='timed repeats of the one-list ranking loss')
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads (1: fastest for these small ops)')
    ap.add_argument('--device', default='cpu', help="torch device for the timings ('cpu', 'cuda', ...)")
    ap.add_argument('--cache-dir', default=None, help='sorter cache (default: $ALPAPERS_CACHE/sorters or ~/.cache/alpapers/sorters)')
    ap.add_argument('--retrain', action='store_true', help='retrain the sorters even when cached')
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    dev = get_device(a.device)
    lengths = [int(x) for x in a.lengths.split(',')]
    strengths = [x.strip() for x in a.strengths.split(',')]
    eps_of = lambda x, n: float(x[:-2]) / n if x.endswith('/n') else float(x)
    print(f"host {platform.node()}, {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), device {dev}")
    print(f"sorter: SoDeep gruc + per-list standardisation, {a.layers} x {a.hidden} BiGRU, {a.steps} steps x {a.batch} lists, "
          f"seed {a.seed}; cache {sorter_cache_dir(a.cache_dir)}")
    print(f"quality on {a.n_vectors} fresh synthetic lists per length; one-list time = Eq. 6 ranking loss forward + backward\n")
    rows = []
    for n in lengths:
        t0 = time.perf_counter()
        sorter = get_sorter(n, seed=a.seed, steps=a.steps, hidden=a.hidden, layers=a.layers, batch=a.batch,
                            cache_dir=a.cache_dir, retrain=a.retrain, progress=sys.stderr.isatty())
        got_s = time.perf_counter() - t0
        note = (f"trained in {sorter.meta['train_s']:.0f} s" if sorter.meta['source'] == 'trained'
                else f"cache (trained in {sorter.meta.get('train_s', float('nan')):.0f} s)")
        sorter = sorter.to(dev)
        rankers = [('sodeep', sorter, False, note)] + [(f'softrank eps={x}', SoftRanker(eps_of(x, n)), True,
                                                        f'exact, no training (eps={eps_of(x, n):.3g})') for x in strengths]
        for name, r, std, note_ in rankers:
            q = sorter_report(r.to(dev) if isinstance(r, torch.nn.Module) else r, n, a.n_vectors, standardize=std)
            t1, tb = _speed(r, n, dev, a.repeats)
            rows.append(dict(length=n, ranker=name, spearman=q['spearman'], rank_error=q['rank_error'],
                             worst=min(q['per_family'].items(), key=lambda kv: kv[1]), one_ms=t1, batch_ms=tb, note=note_))
    hdr = f"{'n':>3} | {'ranker':<17} | {'Spearman':>8} | {'|rank err|':>10} | {'worst family':<24} | {'1 list ms':>9} | {'256 lists ms':>12} | note"
    print(hdr); print('-' * len(hdr))
    for r in rows:
        wf = f"{r['worst'][0]} {r['worst'][1]:.3f}"
        print(f"{r['length']:>3} | {r['ranker']:<17} | {r['spearman']:>8.4f} | {r['rank_error']:>10.3f} | {wf:<24} | "
              f"{r['one_ms']:>9.3f} | {r['batch_ms']:>12.2f} | {r['note']}")
    return rows


if __name__ == '__main__':
    main()

"""A killed active-learning run, restarted with the same run id, ends with exactly the records of an
uninterrupted run (timing fields aside).

The test runs this file as a script in a subprocess, kills it with SIGKILL once its first checkpoint exists
(or, in one case, from inside, between a cycle's record and its checkpoint), restarts it with the same run id,
and compares the records with an uninterrupted run's.
"""
from __future__ import annotations
import os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alpapers.active import ActiveLoop, Pool, Selection, Strategy, Task, strip_timings
from alpapers.demo_tasks import digits_features
from alpapers.core import RunContext, make_config, read_jsonl

CYCLES, PER_CYCLE, INITIAL, SUBSET = 6, 12, 20, 80


class SlowLinearTask(Task):
    "Softmax regression on digits, trained a few full-batch steps; `delay` seconds of sleep per fit keep a cycle killable."
    name, metric, higher_is_better = 'digits-linear', 'accuracy', True

    def __init__(self, delay: float = 0.0):
        self.X, self.y, self.Xt, self.yt = digits_features(297, 0)
        self.n_pool, self.delay, self.W = len(self.X), delay, None

    def fit(self, labeled, *, seed, aux=None, progress=False):
        # plain gradient descent on the softmax cross-entropy, gradient written out (no autograd or torch.optim,
        # whose first use costs seconds of import in every subprocess)
        if self.W is None or not self.warm_start:
            g = torch.Generator().manual_seed(seed)
            self.W = torch.randn(64, 10, generator=g) * 0.01
        X, Y = self.X[labeled], F.one_hot(self.y[labeled], 10).float()
        for _ in range(20):
            P = (X @ self.W).softmax(1)
            self.W = self.W - 0.5 * X.T @ (P - Y) / len(X)
        loss = F.cross_entropy(X @ self.W, self.y[labeled])
        time.sleep(self.delay)
        return dict(loss=float(loss))

    def evaluate(self):
        return dict(accuracy=float(((self.Xt @ self.W).argmax(1) == self.yt).float().mean()))

    def infer(self, idx, *, stochastic=False, batch_size=None):
        lg = self.X[idx] @ self.W
        return dict(logits=lg[:, None], output=lg.softmax(1), embedding=self.X[idx], taps=[self.X[idx]])

    def state_dict(self): return dict(W=self.W.clone())
    def load_state_dict(self, state): self.W = state['W'].clone()


class MarginStrategy(Strategy):
    "Smallest top-2 margin, ties broken by a random draw from ctx.rng (so the selection uses the seeded generator)."
    name = 'margin'

    def select(self, ctx, k):
        p = ctx.task.infer(ctx.candidates)['output'].sort(1, descending=True).values
        margin = (p[:, 0] - p[:, 1]).numpy() + 1e-9 * ctx.rng.random(len(ctx.candidates))
        order = np.argsort(margin, kind='stable')[:k]
        return Selection(ctx.candidates[order], scores=margin[order])


def make_loop(root, run_id, delay=0.0, warm_start=False):
    cfg = make_config({}, dict(cycles=CYCLES, per_cycle=PER_CYCLE, warm_start=False))
    run = RunContext('test', 'resume', cfg.replace(warm_start=warm_start), seed=3, run_id=run_id, root=root)
    task = SlowLinearTask(delay)
    return ActiveLoop(task, MarginStrategy(), Pool(task.n_pool, INITIAL, seed=3), run, cycles=CYCLES,
                      per_cycle=PER_CYCLE, subset=SUBSET, seed=3, warm_start=warm_start, progress=False)


def main(argv):
    root, run_id, delay, warm, kill_at = argv[0], argv[1], float(argv[2]), argv[3] == '1', int(argv[4])
    loop = make_loop(root, run_id, delay, warm)
    if kill_at >= 0:   # die between the record of cycle kill_at-1 and its checkpoint
        real = loop._checkpoint
        def ckpt(next_cycle):
            if next_cycle == kill_at: os.kill(os.getpid(), signal.SIGKILL)
            real(next_cycle)
        loop._checkpoint = ckpt
    loop.run()


def _start(root, run_id, delay=0.0, warm=False, kill_at=-1):
    return subprocess.Popen([sys.executable, __file__, str(root), run_id, str(delay), '1' if warm else '0', str(kill_at)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, 'OMP_NUM_THREADS': '1'})


def _run_dir(root, run_id): return Path(root)/'test'/'resume'/'smoke'/run_id


def _records(root, run_id): return read_jsonl(_run_dir(root, run_id)/'records.jsonl')


# name: (warm start, seconds to wait after the first checkpoint before SIGKILL, or None: the run kills itself
# between the record of cycle 2 and its checkpoint)
SCENARIOS = {'cold-at-ckpt': (False, 0.0), 'cold-later': (False, 0.17), 'warm-later': (True, 0.09), 'torn': (False, None)}


@pytest.fixture(scope='module')
def outcome(tmp_path_factory):
    "Reference runs in-process; every scenario killed and resumed in subprocesses, all scenarios concurrently."
    root = tmp_path_factory.mktemp('resume')
    refs = {w: strip_timings(make_loop(root, f'ref{int(w)}', warm_start=w).run()) for w in (False, True)}
    procs = {n: _start(root, n, delay=0.12, warm=w, kill_at=3 if d is None else -1) for n, (w, d) in SCENARIOS.items()}
    seen, t_end = {}, time.time() + 45
    while any(p.poll() is None for p in procs.values()):
        assert time.time() < t_end, 'runs did not reach their checkpoints in time'
        for n, p in procs.items():
            delay = SCENARIOS[n][1]
            if delay is None or p.poll() is not None: continue
            if n not in seen and (_run_dir(root, n)/'active'/'margin-seed3.pt').exists(): seen[n] = time.time()
            if n in seen and time.time() - seen[n] >= delay: p.send_signal(signal.SIGKILL)
        time.sleep(0.005)
    killed = {}
    for n, p in procs.items():
        err = p.communicate()[1]
        assert p.returncode == -signal.SIGKILL, f"{n}: expected SIGKILL, got {p.returncode}:\n{err[-2000:]}"
        killed[n] = len(_records(root, n))
    resumed = {n: _start(root, n, warm=w) for n, (w, _) in SCENARIOS.items()}
    for n, p in resumed.items():
        err = p.communicate(timeout=60)[1]
        assert p.returncode == 0, f"{n}: resumed run failed ({p.returncode}):\n{err[-3000:]}"
    return dict(root=root, refs=refs, killed=killed, final={n: strip_timings(_records(root, n)) for n in SCENARIOS})


def test_reference_runs(outcome):
    for r in outcome['refs'].values():
        assert [x['cycle'] for x in r] == list(range(CYCLES))
        assert [x['n_labeled'] for x in r] == [INITIAL + c * PER_CYCLE for c in range(CYCLES)]
        assert all(len(x['selected']) == (PER_CYCLE if x['cycle'] < CYCLES - 1 else 0) for x in r)
    assert outcome['refs'][False] != outcome['refs'][True]     # warm starting changes the results


@pytest.mark.parametrize('name', list(SCENARIOS))
def test_killed_run_resumes_exactly(outcome, name):
    n_done = outcome['killed'][name]
    if SCENARIOS[name][1] is None: assert n_done == 3       # cycle 2's record written, its checkpoint not
    else: assert 1 <= n_done < CYCLES, f"kill landed after {n_done} records; the test needs a run in progress"
    assert outcome['final'][name] == outcome['refs'][SCENARIOS[name][0]]


if __name__ == '__main__':
    main(sys.argv[1:])

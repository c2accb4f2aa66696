"""Same seed, same selections: for every registered strategy, two fresh active-learning loops with the same seed
(fresh task, strategy, pool and run directory each) select the same pool indices in every cycle.

Between the two loops the global python / numpy / torch generators are moved on, so a strategy that draws from a
generator the loop did not seed (or from state left behind by the first loop, such as a cache it filled) shows up
as a different selection. Each strategy is one test case; `test_every_registered_strategy_is_covered` fails when a
strategy is registered without settings here, so a new one cannot be skipped silently.
"""
from __future__ import annotations
import random

import numpy as np
import pytest
import torch

from alpapers.active import ActiveLoop, Pool
from alpapers.demo_tasks import MLPTask
from alpapers.core import RunContext, make_config
from alpapers.strategies import ensure_strategies, make_strategy

torch.set_num_threads(1)

CYCLES, INITIAL, PER_CYCLE, SUBSET, BATCH = 3, 24, 8, 120, 8


def _digit_images(task, idx):
    "VAAL's images on the digits task: each 64-feature row as an 8x8 image."
    return task.X[torch.as_tensor(np.asarray(idx), dtype=torch.long)].view(-1, 1, 8, 8)


def _tiny_sorter(cache):
    # a small SoDeep sorter for lists of BATCH losses (the task's batch size), cached under this test's tmp folder:
    # the first loop pretrains it, the second loads it from the cache
    return dict(sorter_kwargs=dict(steps=40, hidden=8, layers=1, batch=32, cache_dir=str(cache)))


# strategy name -> kwargs for make_strategy(name, **kwargs), given a cache folder; small CPU settings
SETTINGS = {
    'random': lambda cache: {},
    'entropy': lambda cache: {},
    'mc_dropout': lambda cache: dict(T=3),
    'coreset': lambda cache: dict(device='cpu'),
    'll4al': lambda cache: dict(optimizer='adam', lr=1e-2, hidden=8),
    'll4al_detached': lambda cache: dict(optimizer='adam', lr=1e-2, hidden=8),
    'vaal': lambda cache: dict(width=4, hidden=16, latent_dim=8, steps=4, batch_size=8, max_size=8, images=_digit_images, device='cpu'),
    'l2ral': lambda cache: dict(hidden=8, **_tiny_sorter(cache)),
    'l2ral_softrank': lambda cache: dict(hidden=8),
    'l2ral_allfeat': lambda cache: dict(hidden=8, **_tiny_sorter(cache)),
    'mcd_cke': lambda cache: dict(T=3),
    'mcd_std': lambda cache: dict(T=3),
    'uncertaingcn': lambda cache: dict(steps=10),
    'coregcn': lambda cache: dict(steps=10),
    'llpp': lambda cache: dict(hidden=8),
    'eglpp': lambda cache: dict(k_neighbours=5),
    'matal': lambda cache: dict(n_agents=4, hidden=16, training=dict(episodes=2, min_episodes=2, steps=2, updates_per_episode=2, batch_size=4),
                                meta=True, meta_kw=dict(iterations=1, inner_steps=1, fractions=(1.0,))),
}


def _hand_task():
    "MATAL needs a pose task (joints, a skeleton): a small DeepPrior on procedural depth hands."
    from alpapers.data import load_dataset
    from alpapers.tasks import HandPoseTask, _register_all
    _register_all()
    return HandPoseTask(load_dataset('hand_synth', 'train', n=160, seed=0), load_dataset('hand_synth', 'test', n=20, seed=0),
                        model_size='smoke', epochs=2, batch_size=BATCH, device='cpu')

# strategy name -> the task it runs on (default: the digits MLP)
TASKS = {'matal': _hand_task}

REGISTERED = sorted(ensure_strategies())


def test_every_registered_strategy_is_covered():
    assert sorted(SETTINGS) == REGISTERED, (f"registered but not covered: {sorted(set(REGISTERED) - set(SETTINGS))}; "
                                            f"covered but not registered: {sorted(set(SETTINGS) - set(REGISTERED))}")


def _disturb_global_rngs(k: int):
    "Move the global generators on by an amount the loop cannot know."
    random.random(); [random.random() for _ in range(k)]
    np.random.rand(k + 1)
    torch.rand(k + 1)


def _run(name, root, cache):
    task = TASKS[name]() if name in TASKS else MLPTask(hidden=16, epochs=2, batch_size=BATCH, device='cpu')
    strategy = make_strategy(name, **SETTINGS[name](cache))
    run = RunContext('tests', 'determinism', make_config({}, dict(cycles=CYCLES)), seed=7, run_id=f'{name}-run', root=root)
    loop = ActiveLoop(task, strategy, Pool(task.n_pool, INITIAL, seed=7), run, cycles=CYCLES, per_cycle=PER_CYCLE,
                      subset=SUBSET, seed=7, progress=False)
    return loop.run()


@pytest.mark.parametrize('name', sorted(set(REGISTERED) | set(SETTINGS)))
def test_same_seed_same_selections(name, tmp_path):
    assert name in SETTINGS, f"strategy {name!r} is registered but this test has no settings for it: add them to SETTINGS"
    assert name in REGISTERED, f"strategy {name!r} has settings here but is not registered"
    cache = tmp_path / 'cache'
    _disturb_global_rngs(3)
    a = _run(name, tmp_path / 'a', cache)
    _disturb_global_rngs(11)
    b = _run(name, tmp_path / 'b', cache)
    assert [r['cycle'] for r in a] == [r['cycle'] for r in b] == list(range(CYCLES))
    assert [len(r['selected']) for r in a] == [PER_CYCLE] * (CYCLES - 1) + [0]
    for ra, rb in zip(a, b):
        assert ra['selected'] == rb['selected'], (f"{name}: cycle {ra['cycle']} selected different indices with the same seed: "
                                                  f"{ra['selected']} vs {rb['selected']}")

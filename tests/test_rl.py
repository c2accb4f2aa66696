"alpapers.rl in use: a DQN run checkpointed through torch.save / torch.load(weights_only=True) resumes exactly, and the updates run on whatever device is best."
import io
import numpy as np
import pytest
import torch
from torch import nn
from alpapers.core import get_device
from alpapers.rl import (ReplayBuffer, EpsilonSchedule, dqn_update, double_dqn_target, epsilon_greedy, hard_update,
                         make_target, soft_update)

N_STATES, N_ACTIONS = 4, 3

@pytest.fixture(autouse=True)
def _one_thread():
    "Tiny networks: one thread is fastest and immune to a busy machine; the setting is restored afterwards."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

def _env(s, a):
    "A small ring: action 0 stays (reward 0.1), action 1 steps forward, action 2 steps back; reaching state 3 pays 1 and ends."
    s2 = s if a == 0 else (s + 1) % N_STATES if a == 1 else (s - 1) % N_STATES
    return s2, (1.0 if s2 == 3 else 0.1 if a == 0 else 0.0), s2 == 3

def _fresh(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(N_STATES, 8), nn.Tanh(), nn.Linear(8, N_ACTIONS))
    return {'net': net, 'tgt': make_target(net), 'opt': torch.optim.Adam(net.parameters(), lr=1e-2),
            'buf': ReplayBuffer(64, seed=seed), 'rng': np.random.default_rng(seed), 's': 0, 'k': 0}

def _steps(run, n, eps=EpsilonSchedule(1.0, 0.1, 100)):
    eye = torch.eye(N_STATES)
    for _ in range(n):
        with torch.no_grad(): a = epsilon_greedy(run['net'](eye[run['s']]), eps(run['k']), run['rng'])
        s2, r, d = _env(run['s'], a)
        run['buf'].push({'obs': eye[run['s']], 'action': a, 'reward': r, 'next_obs': eye[s2], 'done': d})
        run['s'] = 0 if d else s2
        if len(run['buf']) >= 16: dqn_update(run['net'], run['tgt'], run['opt'], run['buf'].sample(16), 0.9)
        if run['k'] % 20 == 0: hard_update(run['tgt'], run['net'])
        run['k'] += 1
    return run

def _checkpoint(run) -> bytes:
    f = io.BytesIO()
    torch.save({'net': run['net'].state_dict(), 'tgt': run['tgt'].state_dict(), 'opt': run['opt'].state_dict(),
                'buf': run['buf'].state_dict(), 'rng': run['rng'].bit_generator.state, 's': run['s'], 'k': run['k']}, f)
    return f.getvalue()

def _restore(blob: bytes):
    ck = torch.load(io.BytesIO(blob), weights_only=True)
    run = _fresh(seed=123)                       # a different seed: everything must come from the checkpoint
    run['net'].load_state_dict(ck['net']); run['tgt'].load_state_dict(ck['tgt']); run['opt'].load_state_dict(ck['opt'])
    run['buf'].load_state_dict(ck['buf']); run['rng'].bit_generator.state = ck['rng']
    run['s'], run['k'] = ck['s'], ck['k']
    return run

def test_dqn_run_resumes_exactly():
    straight = _steps(_fresh(), 200)
    resumed = _steps(_restore(_checkpoint(_steps(_fresh(), 100))), 100)
    for a, b in zip(straight['net'].state_dict().values(), resumed['net'].state_dict().values()): assert torch.equal(a, b)
    for a, b in zip(straight['tgt'].state_dict().values(), resumed['tgt'].state_dict().values()): assert torch.equal(a, b)
    assert [t['action'] for t in straight['buf']] == [t['action'] for t in resumed['buf']]
    for _ in range(3): assert [t['reward'] for t in straight['buf'].sample(8)] == [t['reward'] for t in resumed['buf'].sample(8)]

def test_updates_run_on_the_best_device():
    dev = get_device()
    net = nn.Linear(N_STATES, N_ACTIONS).to(dev); tgt = make_target(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    buf = ReplayBuffer(32, seed=0); eye = torch.eye(N_STATES)    # transitions stay on the CPU; the update moves them
    for i in range(32):
        buf.push({'obs': eye[i % 4], 'action': i % 3, 'reward': float(i % 2), 'next_obs': eye[(i + 1) % 4], 'done': i % 5 == 0,
                  'next_mask': torch.tensor([True, i % 2 == 0, True])})
    before = net.weight.detach().clone()
    loss = dqn_update(net, tgt, opt, buf.sample(16), 0.9, grad_clip=1.0)
    assert np.isfinite(loss) and not torch.equal(before, net.weight.detach())
    y = double_dqn_target(net, tgt, eye.to(dev), torch.zeros(4, device=dev), 0.9, torch.zeros(4, dtype=torch.bool, device=dev),
                          torch.tensor([[True, False, False]] * 4, device=dev))
    assert y.device.type == dev.type
    torch.testing.assert_close(y, 0.9 * tgt(eye.to(dev))[:, 0])   # only action 0 allowed: its target value
    soft_update(tgt, net, 0.5)
    assert epsilon_greedy(net(eye[0].to(dev)), 0.0, np.random.default_rng(0), mask=torch.tensor([False, True, False], device=dev)) == 1

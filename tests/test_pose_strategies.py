"Integration checks of `alpapers.pose_strategies` on the real pose tasks (the notebook `07d_pose_strategies` tests each piece)."
import numpy as np
import pytest
import torch
from alpapers.active import Pool, SelectionContext, select_checked
from alpapers.data import Dataset
from alpapers.tasks import HandPoseTask, PoseTask

NAMES = ('mcd_cke', 'mcd_std', 'uncertaingcn', 'coregcn', 'llpp', 'eglpp')


def _blobs(n, seed, size=32, J=3):
    g = torch.Generator().manual_seed(seed)
    kp = torch.rand(n, J, 2, generator=g) * (size - 8) + 4
    yy, xx = torch.meshgrid(torch.arange(size * 1.), torch.arange(size * 1.), indexing='ij')
    img = torch.exp(-((xx - kp[..., 0, None, None]) ** 2 + (yy - kp[..., 1, None, None]) ** 2) / (2 * 1.5 ** 2))
    img = img + 0.05 * torch.rand(n, J, size, size, generator=g)
    return Dataset('blobs', img.float(), dict(keypoints=kp, visible=torch.ones(n, J, dtype=torch.bool), ref_length=torch.full((n,), 8.)),
                   dict(real=False, source='test'))


def _hands(n, seed, S=32, J=4):
    g = torch.Generator().manual_seed(seed)
    off = torch.rand(n, 2, generator=g) * 12 + 4
    kp = torch.zeros(n, J, 3)
    for j in range(J): kp[:, j, :2] = off + torch.tensor([3. * j, 2. * j]); kp[:, j, 2] = 400 + 10 * j + 20 * torch.rand(n, generator=g)
    yy, xx = torch.meshgrid(torch.arange(S * 1.), torch.arange(S * 1.), indexing='ij')
    img = torch.zeros(n, 1, S, S)
    for j in range(J): img[:, 0] += torch.exp(-((xx - kp[:, j, 0, None, None]) ** 2 + (yy - kp[:, j, 1, None, None]) ** 2) / 4)
    return Dataset('toy_hands', img, {'keypoints': kp}, {'intrinsics': (240., 240., 16., 16.), 'real': False})


@pytest.fixture(scope='module')
def tasks():
    torch.set_num_threads(1)
    body = PoseTask(_blobs(40, 0), _blobs(12, 1), sigma=1.0, epochs=2, batch_size=8, lr=3e-3, device='cpu')
    hand = HandPoseTask(_hands(40, 0), _hands(12, 1), model_kwargs=dict(fc=64, prior_dim=8), epochs=2, batch_size=16, device='cpu')
    out = {}
    for name, t in (('body', body), ('hand', hand)):
        pool = Pool(t.n_pool, 12, seed=0)
        t.fit(pool.labeled, seed=0)
        out[name] = (t, pool)
    return out


def _ctx(task, pool, seed=0):
    return SelectionContext(task=task, pool=pool, candidates=pool.unlabeled, cycle=0, seed=seed, rng=np.random.default_rng(seed))


def test_import_registers_names():
    import alpapers.pose_strategies as ps
    from alpapers.strategies import STRATEGIES, make_strategy
    for n in NAMES: assert n in STRATEGIES and make_strategy(n).name == n
    assert STRATEGIES['eglpp'] is ps.EGLPPStrategy


@pytest.mark.parametrize('which', ['body', 'hand'])
def test_eglpp_closed_form_matches_autograd_on_the_task_model(tasks, which):
    "The hooks find the real final layer; each candidate's score equals Σ p(l|u) ‖∇ final-layer params‖² by autograd."
    from alpapers.pose_strategies import EGLPPStrategy, perplexity_weights
    task, pool = tasks[which]
    st = EGLPPStrategy(k_neighbours=5, perplexity=3)
    scores, info = st.scores(_ctx(task, pool))
    model = task.model.eval()
    final = model.final if which == 'body' else model.prior
    lab, cand = pool.labeled, pool.unlabeled
    xl, xc = task.train.images[lab], task.train.images[cand]
    with torch.no_grad():
        ol, oc = model(xl), model(xc)
    w, _ = perplexity_weights(torch.cdist(oc['embedding'].double(), ol['embedding'].double()).pow(2), 3)
    for u in (0, 3, len(cand) - 1):
        wk, nb = w[u].topk(5)
        total = 0.0
        for p, l in zip(wk, nb):
            loss = (model(xc[u:u + 1])['out'][0] - ol['out'][l]).pow(2).mean()
            gw, gb = torch.autograd.grad(loss, [final.weight, final.bias])
            total += float(p) * float(gw.pow(2).sum() + gb.pow(2).sum())
        assert scores[u] == pytest.approx(total, rel=1e-4)
    assert info['gradient'] == 'final' and info['k_neighbours'] == 5


@pytest.mark.parametrize('name,kw', [('mcd_cke', dict(T=4)), ('mcd_std', dict(T=4)), ('uncertaingcn', dict(steps=20)),
                                     ('coregcn', dict(steps=20))])
def test_seeded_strategies_leave_the_global_generator_alone(tasks, name, kw):
    "Randomness comes from ctx.seed only: the same seed gives the same picks, and torch's global state is untouched."
    from alpapers.strategies import make_strategy
    task, pool = tasks['hand']
    torch.manual_seed(42); before = torch.get_rng_state()
    a = select_checked(make_strategy(name, **kw), _ctx(task, pool, seed=3), 5)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(7)
    b = select_checked(make_strategy(name, **kw), _ctx(task, pool, seed=3), 5)
    np.testing.assert_array_equal(a.indices, b.indices)

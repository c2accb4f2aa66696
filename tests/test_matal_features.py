"MATAL's state and action features through the installed package: the API the agent team uses, on tiled inputs."
import numpy as np
import pytest
import torch
from alpapers.core import ConfigError
from alpapers.skeletons import SKELETONS, Skeleton, kcs_dims
from alpapers.matal import features as F


def _poses(n, J, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, J, 3, generator=g)


class _Bank:
    "A pose task stand-in: estimates = labels + noise, random appearance."
    def __init__(self, poses, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.num_joints, self.name = poses.shape[1], 'bank'
        self.train_targets = {'pose': poses.flatten(1)}
        self.est = (poses + 0.1 * torch.randn(poses.shape, generator=g)).flatten(1)
        self.app = torch.randn(len(poses), 6, generator=g)

    def infer(self, idx, *, stochastic=False, batch_size=None):
        i = torch.as_tensor(np.asarray(idx))
        return {'output': self.est[i], 'appearance': self.app[i]}


@pytest.mark.parametrize('name,total', [('hand21', 275), ('icvl16', 165), ('mpii16', 147), ('lsp14', 113),
                                        ('coco17', 167), ('jhmdb15', 130), ('penn13', 102)])
def test_topology_dims(name, total):
    assert sum(F.topology_dims(name)) == total == sum(kcs_dims(name).values())
    assert len(F.topology_dims(name)) == F.PART_SPACES
    assert [t.shape[1] for t in F.topology_features(_poses(3, SKELETONS[name].num_joints, 0), name)] == F.topology_dims(name)


def test_layouts_match_the_vectors():
    lay = F.action_layout(6, bins=4)
    assert (lay['s'], lay['d'], lay['fA']) == (slice(0, 7), slice(7, 35), slice(35, 41))
    st = F.state_layout()
    assert (st['KFA'], st['KFP0'], st['KFPi'], st['b']) == (0, 1, slice(2, 8), 8)
    bank = _Bank(_poses(90, 21, 1))
    s, A, info = F.state_action(bank, np.arange(20), np.arange(20, 90), skeleton='hand21', budget_used=0.5, bins=4, block=16)
    assert s.shape == (9,) and A.shape == (70, 41) and float(s[st['b']]) == 0.5
    assert torch.allclose(A[:, lay['d']].reshape(70, 7, 4).sum(-1), torch.ones(70, 7), atol=1e-5)
    assert torch.equal(A[:, lay['fA']], bank.app[20:90])
    # the state's MMDs, tiled by 16, equal the dense formula with the recorded bandwidths
    f = F.featurize(bank, np.arange(90), skeleton='hand21')
    for k, XL, XU in (('FA', f.appearance[:20], f.appearance[20:]), ('P2', f.topo[2][:20], f.topo[2][20:])):
        assert abs(info['mmd2'][k] - F.mmd2_reference(XL, XU, info['bandwidth'][k])) < 1e-5


def test_six_parts_required():
    four = Skeleton('four', ('a', 'b', 'c'), ((0, 1), (1, 2)), parts={f'p{i}': ((0, 1),) for i in range(4)})
    with pytest.raises(ConfigError, match="skeleton 'four' has 4"):
        F.featurize(_Bank(_poses(4, 3, 0)), [0, 1], skeleton=four)


def test_old_joint_set_parts_fail_loudly():
    with pytest.raises(ConfigError, match=r"\(parent, child\) joint-index pairs"):
        Skeleton('old', ('a', 'b', 'c'), ((0, 1), (1, 2)), parts={'ab': (0, 1)})

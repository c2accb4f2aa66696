"""A training checkpoint is read as data: a file planted where `alpapers.train.fit` resumes from, whose pickle would
run a shell command when unpickled, is refused with a `RecordsError` naming the file, and the command never runs.
"""
from __future__ import annotations
import os, shlex
from pathlib import Path

import pytest
import torch
from torch import nn

from alpapers.core import RecordsError
from alpapers.train import fit


class Lin(nn.Module):
    def __init__(self):
        super().__init__(); self.l = nn.Linear(3, 1)
    def forward(self, x): return {'out': self.l(x).squeeze(-1), 'taps': [x], 'embedding': x}


def mse(out, y): return (out['out'] - y) ** 2


class Payload:
    "Unpickling this calls os.system(cmd)."
    def __init__(self, cmd: str): self.cmd = cmd
    def __reduce__(self): return (os.system, (self.cmd,))


def _data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(32, 3, generator=g)
    return X, X @ torch.tensor([1., -2., 0.5])


def _resume(ckpt: Path):
    torch.manual_seed(0)
    return fit(Lin(), _data(), mse, epochs=2, batch_size=8, device='cpu', checkpoint_path=ckpt, resume=True)


@pytest.mark.parametrize('wrapped', [False, True], ids=['bare', 'inside-a-checkpoint-dict'])
def test_planted_checkpoint_is_refused(tmp_path, wrapped):
    ckpt, marker = tmp_path / 'run' / 'fit.pt', tmp_path / 'MARKER'
    ckpt.parent.mkdir()
    payload = Payload(f'touch {shlex.quote(str(marker))}')
    # the trainer would resume from `ckpt`; plant the payload there (alone, or where the model weights belong)
    torch.save({'model': payload, 'optimizer': {}, 'scheduler': {}, 'history': {}, 'best': None, 'bad': 0, 'epoch': 1,
                'generator': torch.Generator().get_state(), 'rng': torch.get_rng_state()} if wrapped else payload, ckpt)
    with pytest.raises(Exception) as info:
        _resume(ckpt)
    assert not marker.exists(), 'resuming unpickled the planted checkpoint and ran its command'
    assert isinstance(info.value, RecordsError), f'expected RecordsError, got {type(info.value).__name__}: {info.value}'
    msg = str(info.value)
    assert str(ckpt) in msg and 'damaged or unsafe' in msg, msg
    assert 'weights_only` set to `False`' not in msg          # no advice to load it unsafely


def test_truncated_checkpoint_names_the_file(tmp_path):
    ckpt = tmp_path / 'fit.pt'
    torch.manual_seed(0)
    fit(Lin(), _data(), mse, epochs=1, batch_size=8, device='cpu', checkpoint_path=ckpt)
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    with pytest.raises(RecordsError, match='damaged or unsafe') as info:
        _resume(ckpt)
    assert str(ckpt) in str(info.value)


def test_real_checkpoint_loads_weights_only_and_resumes_exactly(tmp_path):
    ckpt = tmp_path / 'fit.pt'
    kw = dict(epochs=4, batch_size=8, lr=0.05, seed=3, milestones=(1, 3), device='cpu')
    torch.manual_seed(0); a = Lin(); ha = fit(a, _data(), mse, **kw)
    torch.manual_seed(0); fit(Lin(), _data(), mse, checkpoint_path=ckpt, **{**kw, 'epochs': 2})
    state = torch.load(ckpt, weights_only=True)                # nothing to allow-list
    assert state['epoch'] == 2
    torch.manual_seed(9); c = Lin()
    hc = fit(c, _data(), mse, checkpoint_path=ckpt, resume=True, **kw)
    assert hc['lr'] == ha['lr'] and hc['epochs_run'] == 4
    torch.testing.assert_close(c.l.weight, a.l.weight)

"""The pretrained-trunk regime (issue 7): torchvision-layout weight files load into our trunks, the synthetic
pretrained trunk is built once and cached, its pretraining set is disjoint from the cpu-profile pools, and starting
from it beats training from scratch on a small body_synth pool at the same budget."""
import re
from pathlib import Path
import numpy as np
import pytest
import torch
import alpapers.synthetic  # registers the body datasets
from alpapers.core import ConfigError, get_settings
from alpapers.data import load_dataset, missing_files
from alpapers.models import ResNetClassifier, load_trunk_weights
from alpapers import pretrain
from alpapers.tasks import PoseTask

def to_torchvision(sd):
    "Our trunk keys renamed the way torchvision names a ResNet's (written independently of `torchvision_key`)."
    out = {}
    for k, v in sd.items():
        k = re.sub(r'^stages\.(\d+)\.', lambda m: f'layer{int(m[1]) + 1}.', k)
        k = re.sub(r'^stem\.0\.', 'conv1.', re.sub(r'^stem\.1\.', 'bn1.', k)).replace('.short.', '.downsample.')
        out[k] = v
    return out

def classifier(seed, width=8):
    torch.manual_seed(seed)
    return ResNetClassifier(num_classes=5, layers=(1, 1, 1, 1), width=width, dropout=0).eval()

def test_torchvision_layout_into_classifier(tmp_path):
    a, b = classifier(0), classifier(1)
    with torch.no_grad():
        for m in a.trunk.modules():
            if isinstance(m, torch.nn.BatchNorm2d): m.running_mean.normal_(0, .1)
    b.fc.load_state_dict(a.fc.state_dict())
    sd = to_torchvision(a.trunk.state_dict())
    assert {'conv1.weight', 'bn1.running_var', 'layer2.0.downsample.0.weight', 'layer4.0.bn2.num_batches_tracked'} <= set(sd)
    p = tmp_path/'r.pt'; torch.save({**sd, 'fc.weight': torch.zeros(1000, 64), 'fc.bias': torch.zeros(1000)}, p)
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        assert not torch.equal(a(x)['out'], b(x)['out'])
        assert load_trunk_weights(b, p)['layout'] == 'torchvision'
        assert torch.equal(a(x)['out'], b(x)['out'])

def test_mismatches_are_named(tmp_path):
    p = tmp_path/'r.pt'; torch.save(to_torchvision(classifier(0).trunk.state_dict()), p)
    with pytest.raises(ConfigError, match=r"'conv1.weight' has shape \(8, 3, 3, 3\) in the file but \(16, 3, 3, 3\)"):
        load_trunk_weights(classifier(0, width=16), p)
    sd = to_torchvision(classifier(0).trunk.state_dict()); sd.pop('bn1.running_mean'); sd['extra.weight'] = torch.ones(1)
    torch.save(sd, p)
    with pytest.raises(ConfigError, match=r"missing from the file, e.g. \['bn1.running_mean'\]"): load_trunk_weights(classifier(1), p)
    sd['bn1.running_mean'] = torch.zeros(8); torch.save(sd, p)
    with pytest.raises(ConfigError, match=r"keys the trunk does not have, e.g. \['extra.weight'\]"): load_trunk_weights(classifier(1), p)
    assert load_trunk_weights(classifier(1), p, strict=False)['unknown'] == ['extra.weight']

def test_tiny_build_is_cached_and_loads_into_a_pose_task(tmp_path, monkeypatch):
    monkeypatch.setenv('ALPAPERS_CACHE', str(tmp_path))
    p = pretrain.pretrained_trunk_path(profile='smoke', progress=False)
    assert p.parent == tmp_path/'trunks' and p.with_suffix('.json').exists()
    n = pretrain.TRUNK_BUILDS[p.name]
    tr, te = load_dataset('body_synth', 'train', n=16, seed=0, size=32), load_dataset('body_synth', 'test', n=8, seed=0, size=32)
    task = PoseTask(tr, te, epochs=1, batch_size=8, device='cpu', pretrained='synthetic:smoke')
    assert pretrain.TRUNK_BUILDS[p.name] == n                     # found in the cache, not retrained
    info = task.pretrained_info
    assert (info['path'], info['source'], info['profile'], info['key']) == (str(p), 'synthetic', 'smoke', pretrain.trunk_meta(p)['key'])
    assert set(info['quality']) >= {'pckh@0.5', 'mean_error_px'}
    want = torch.load(p, weights_only=True)['state_dict']
    assert all(torch.equal(v, want[k]) for k, v in task.new_model(5).trunk.state_dict().items())
    rows = pretrain.rebuild_trunks(profile='smoke', force=False, progress=False)
    assert rows[0]['source'] == 'cache' and rows[0]['path'] == str(p)

def _pool_roots():
    roots = [get_settings().data_root]
    shared = Path(__file__).resolve().parents[2]/'shared'/'data'
    return roots + [shared] if shared.is_dir() else roots

def test_pretraining_set_is_disjoint_from_cpu_pools():
    k = pretrain.trunk_key(profile='cpu')
    pre = torch.from_numpy(np.concatenate([pretrain.pretrain_poses(k['n_train'], 'train', 0, 32)['keypoints'],
                                           pretrain.pretrain_poses(k['n_test'], 'test', 0, 32)['keypoints']])).flatten(1)
    checked = 0
    for root in _pool_roots():
        names = ['body_synth'] + (['body_mpii_rendered'] if not missing_files('body_mpii_rendered', root) else [])
        for name in names:
            for seed in (0, 1, 2):
                for split, n in (('train', 400), ('test', 200)):
                    kp = load_dataset(name, split, root=root, n=n, seed=seed, size=32, fallback=False).targets['keypoints'].flatten(1)
                    assert torch.cdist(pre, kp, p=float('inf')).min() > 0.01, (name, seed, split)
                    checked += 1
    assert checked >= 6

def test_synthetic_pretrained_beats_scratch_on_body_synth(tmp_path):
    # a reduced trunk (2000 renders, 4 epochs, ~5 s); measured PCKh@0.5 on 64 labels, seeds 0-2:
    # scratch 0.057 0.057 0.045, pretrained 0.078 0.076 0.081
    p = pretrain.pretrained_trunk_path(profile='smoke', n_train=2000, n_test=100, epochs=4, cache_dir=tmp_path, progress=False)
    tr, te = load_dataset('body_synth', 'train', n=160, seed=0, size=32), load_dataset('body_synth', 'test', n=100, seed=0, size=32)
    res = {}
    for pre in (None, str(p)):
        r = []
        for seed in (0, 1, 2):
            t = PoseTask(tr, te, epochs=10, batch_size=8, pretrained=pre, device='cpu')
            t.fit(np.arange(64), seed=seed); r.append(t.evaluate()['pckh@0.5'])
        res[pre is not None] = np.mean(r)
    assert res[True] > res[False] + 0.01, res


def test_torchvision_resnet50_file_loads_into_the_truncated_paper_counter():
    "Fig. 8 at paper: an ImageNet ResNet-50 file in torchvision's layout fills the counter's stages 1-3; layer4 and fc are left out."
    import torch
    from alpapers.models import build_model, load_trunk_weights, torchvision_key, trunk_of
    import alpapers.crowd  # registers the counter
    sd = {torchvision_key(k): v for k, v in trunk_of(build_model('pose', 'paper', num_joints=16)).state_dict().items()}
    sd['fc.weight'] = torch.zeros(1000, 2048)
    counter = build_model('counter', 'paper')
    r = load_trunk_weights(counter, sd)
    assert r['layout'] == 'torchvision' and not r['missing'] and not r['unknown']
    assert all(k.startswith(('layer4.', 'fc.')) for k in r['ignored']) and any(k.startswith('layer4.') for k in r['ignored'])
    k = next(iter(trunk_of(counter).state_dict()))
    assert torch.equal(trunk_of(counter).state_dict()[k], sd[torchvision_key(k)])


def test_relative_weights_path_is_read_from_the_data_root(tmp_path, monkeypatch):
    "Experiments name weights like data ('pretrained/resnet50_imagenet.pth'): a relative path resolves under the data root."
    monkeypatch.setenv('ALPAPERS_DATA_ROOT', str(tmp_path))
    tr = load_dataset('body_synth', 'train', n=8, seed=0, size=32); te = load_dataset('body_synth', 'test', n=4, seed=0, size=32)
    scratch = PoseTask(tr, te, model_size='smoke', epochs=1)
    (tmp_path/'pretrained').mkdir()
    sd = {k: torch.randn_like(v.float()).to(v.dtype) for k, v in scratch.new_model(0).trunk.state_dict().items()}
    torch.save(sd, tmp_path/'pretrained'/'w.pth')
    task = PoseTask(tr, te, model_size='smoke', epochs=1, pretrained='pretrained/w.pth')
    assert task.pretrained_info['path'] == str(tmp_path/'pretrained'/'w.pth')
    k = next(k for k, v in sd.items() if v.is_floating_point())
    assert torch.equal(task.new_model(3).trunk.state_dict()[k], sd[k])
    with pytest.raises(ConfigError, match='not found'):
        PoseTask(tr, te, model_size='smoke', epochs=1, pretrained='pretrained/missing.pth')

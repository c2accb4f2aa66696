"""NYU Hand Pose reading (`alpapers.real`): `joint_data.mat` and the RGB-packed depth PNGs, on small files the tests
write in the real format (scipy.io.savemat, PIL), including damaged ones, and the registered `nyu` dataset."""
from __future__ import annotations
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.io import savemat

from alpapers.core import ConfigError, DataError
from alpapers.data import DatasetNotFound, load_dataset
from alpapers.real import NYU_EVAL_JOINTS, NYU_INTRINSICS, NYU_JOINTS, load_nyu_joints, read_nyu_depth

FX, FY, CX, CY = NYU_INTRINSICS


def _labels(frames=4, K=3, seed=0):
    rng = np.random.default_rng(seed)
    uvd = np.zeros((K, frames, 36, 3))
    uvd[..., 0], uvd[..., 1] = rng.uniform(290, 350, (K, frames, 36)), rng.uniform(210, 270, (K, frames, 36))
    uvd[..., 2] = rng.uniform(580, 620, (K, frames, 36))
    # NYU's joint_xyz: camera frame in mm with y pointing up
    xyz = np.stack([(uvd[..., 0] - CX) * uvd[..., 2] / FX, (CY - uvd[..., 1]) * uvd[..., 2] / FY, uvd[..., 2]], -1)
    return uvd, xyz


def _names(names=NYU_JOINTS):
    return np.array([list(names)], dtype=object)        # a 1x36 cell array of strings, as in the release


def _png(path, depth_mm, red=0):
    d = np.asarray(depth_mm, np.uint16)
    Image.fromarray(np.stack([np.full_like(d, red), d >> 8, d & 255], -1).astype(np.uint8)).save(path)


@pytest.fixture
def nyu_root(tmp_path):
    uvd, xyz = _labels()
    depth = np.full((480, 640), 1400, np.uint16); depth[190:290, 270:370] = 600
    for split in ('train', 'test'):
        (tmp_path/'nyu'/split).mkdir(parents=True)
        savemat(tmp_path/'nyu'/split/'joint_data.mat', {'joint_names': _names(), 'joint_uvd': uvd, 'joint_xyz': xyz})
        for k in range(3):
            for f in range(4): _png(tmp_path/'nyu'/split/f'depth_{k + 1}_{f + 1:07d}.png', depth, red=37)
    return tmp_path, uvd, xyz


def test_eval_subset_and_all_joints(nyu_root):
    root, uvd, xyz = nyu_root
    j = load_nyu_joints(root, 'train')
    assert j['uvd'].shape == (4, 14, 3) and j['xyz'].shape == (4, 14, 3) and j['uvd'].dtype == np.float32
    np.testing.assert_allclose(j['uvd'], uvd[0][:, list(NYU_EVAL_JOINTS)], atol=1e-3)
    np.testing.assert_allclose(j['xyz'], xyz[0][:, list(NYU_EVAL_JOINTS)], atol=1e-3)
    assert j['joints'] == ('F1_KNU3_A', 'F1_KNU2_B', 'F2_KNU3_A', 'F2_KNU2_B', 'F3_KNU3_A', 'F3_KNU2_B', 'F4_KNU3_A', 'F4_KNU2_B',
                           'TH_KNU3_A', 'TH_KNU3_B', 'TH_KNU2_B', 'PALM_1', 'PALM_2', 'PALM_3')
    assert j['names'][3] == 'depth_1_0000004.png' and j['intrinsics'] == NYU_INTRINSICS and j['labeled'].all()
    a = load_nyu_joints(root, 'test', kinect=1, eval_subset=False)
    np.testing.assert_allclose(a['uvd'], uvd[1], atol=1e-3)
    assert a['joints'] == NYU_JOINTS and a['names'][0] == 'depth_2_0000001.png'


def test_bad_arguments(nyu_root, tmp_path):
    root, *_ = nyu_root
    with pytest.raises(ConfigError, match=r'kinect must be an integer in 0\.\.2'): load_nyu_joints(root, 'train', kinect=-1)
    with pytest.raises(ConfigError, match='valid splits'): load_nyu_joints(root, 'val')
    with pytest.raises(DatasetNotFound, match='nyu/train/joint_data.mat'): load_nyu_joints(tmp_path/'empty', 'train')


def test_depth_decoding(tmp_path):
    d = np.array([[0, 1, 255, 256], [1234, 4095, 10000, 65535]], np.uint16)
    _png(tmp_path/'d.png', d, red=200)                                   # red is ignored
    out = read_nyu_depth(tmp_path/'d.png')
    assert out.dtype == np.float32 and out.shape == (2, 4)
    np.testing.assert_array_equal(out, d.astype(np.float32))
    raw = np.asarray(Image.open(tmp_path/'d.png'))
    assert (raw[1, 0, 1], raw[1, 0, 2]) == (4, 210)                      # 1234 mm = 4 * 256 + 210


@pytest.mark.parametrize('mode', ['L', 'RGBA', 'I;16'])
def test_depth_not_rgb(tmp_path, mode):
    p = tmp_path/'x.png'
    Image.new(mode, (4, 3)).save(p)
    with pytest.raises(DataError, match=rf"{p.absolute()}: expected an 8-bit RGB PNG.*got mode '{mode}'"): read_nyu_depth(p)


def test_depth_damaged(tmp_path):
    p = tmp_path/'x.png'
    _png(p, np.full((20, 30), 700))
    p.write_bytes(p.read_bytes()[:40])
    with pytest.raises(DataError, match=f'{p.absolute()}: cannot be read'): read_nyu_depth(p)
    with pytest.raises(DatasetNotFound, match='missing NYU depth image'): read_nyu_depth(tmp_path/'nope.png')


def _bad(root, want, **mat):
    uvd, xyz = _labels()
    f = root/'nyu/train/joint_data.mat'
    savemat(f, {**{'joint_names': _names(), 'joint_uvd': uvd, 'joint_xyz': xyz}, **mat})
    with pytest.raises(DataError) as e: load_nyu_joints(root, 'train')
    assert str(f.absolute()) in str(e.value) and want in str(e.value), str(e.value)


def test_damaged_labels(nyu_root):
    root, uvd, xyz = nyu_root
    u = uvd.copy(); u[0, 2, 7, 1] = np.nan
    _bad(root, 'frame index 2: u/v (px) nan is not finite', joint_uvd=u)
    u = uvd.copy(); u[0, 3, 0, 0] = np.inf
    _bad(root, 'frame index 3: u/v (px) inf', joint_uvd=u)
    u = uvd.copy(); u[0, 1, 0, 2] = 0
    _bad(root, 'frame index 1: depth (mm) 0 is not finite or not in (0, 10000)', joint_uvd=u)
    x = xyz.copy(); x[0, 0, 3, 2] = np.nan
    _bad(root, 'frame index 0: xyz (mm) nan', joint_xyz=x)
    _bad(root, 'expected numeric joint_uvd of shape kinects x frames x 36 x 3, got float64 4x36x3', joint_uvd=uvd[0])
    _bad(root, 'expected numeric joint_xyz of shape', joint_xyz=np.array(['a', 'b']))
    _bad(root, 'joint_uvd has shape 3x4x36x3 but joint_xyz 2x4x36x3', joint_xyz=xyz[:2])
    _bad(root, 'expected 36 joint_names, found 14', joint_names=_names(NYU_JOINTS[:14]))
    _bad(root, 'no frames', joint_uvd=uvd[:, :0], joint_xyz=xyz[:, :0])
    # a NaN in another camera's labels does not stop reading this one
    u = uvd.copy(); u[2, 0, 0, 0] = np.nan
    savemat(root/'nyu/train/joint_data.mat', {'joint_names': _names(), 'joint_uvd': u, 'joint_xyz': xyz})
    assert load_nyu_joints(root, 'train', kinect=0)['uvd'].shape == (4, 14, 3)
    with pytest.raises(DataError, match='frame index 0'): load_nyu_joints(root, 'train', kinect=2)


def test_damaged_file(nyu_root):
    root, uvd, xyz = nyu_root
    f = root/'nyu/train/joint_data.mat'
    savemat(f, {'joint_uvd': uvd, 'other': 1})
    with pytest.raises(DataError, match='missing variables joint_names, joint_xyz \\(variables: joint_uvd, other\\)'): load_nyu_joints(root)
    savemat(f, {'joint_names': _names(), 'joint_uvd': uvd, 'joint_xyz': xyz})
    f.write_bytes(f.read_bytes()[:300])                                  # truncated
    with pytest.raises(DataError, match=f'{f.absolute()}: cannot be read'): load_nyu_joints(root)
    f.write_bytes(b'not a mat file ' * 30)
    with pytest.raises(DataError, match='cannot be read'): load_nyu_joints(root)


def test_registered_dataset(nyu_root):
    root, uvd, xyz = nyu_root
    ds = load_dataset('nyu', 'train', root=root, size=48)
    assert ds.images.shape == (4, 1, 48, 48) and ds.targets['keypoints'].shape == (4, 14, 3) and ds.real
    assert (ds.meta['skeleton'], ds.meta['cube_mm'], ds.meta['intrinsics'], ds.meta['kinect']) == ('nyu14', 300.0, NYU_INTRINSICS, 0)
    assert ds.meta['joints'][0] == 'F1_KNU3_A'
    assert ds.images.min() >= -1 and ds.images.max() == 1.0                # the 1400 mm wall is outside the cube
    # the hand patch is at 600 mm and the joints at 580-620 mm: the patch's normalised depth is (600 - centre) / 150
    c = ds.targets['center'][0, 2].item()
    im, kc = ds.images[0, 0], ds.targets['keypoints_crop'][0]
    on = im[kc[:, 1].round().long().clamp(0, 47), kc[:, 0].round().long().clamp(0, 47)]
    torch.testing.assert_close(on, torch.full((14,), (600 - c) / 150), atol=1e-5, rtol=0)
    # HandPoseTask's millimetres (back-projected with y down) keep the distances of NYU's joint_xyz (y up)
    from alpapers.tasks import HandPoseTask
    task = HandPoseTask(ds, ds, epochs=1, device='cpu')
    ours = torch.cdist(task.train_targets['xyz'].double(), task.train_targets['xyz'].double())
    theirs = torch.cdist(torch.tensor(xyz[0][:, list(NYU_EVAL_JOINTS)]), torch.tensor(xyz[0][:, list(NYU_EVAL_JOINTS)]))
    torch.testing.assert_close(ours, theirs, atol=0.05, rtol=0)
    assert load_dataset('nyu', 'test', root=root, n=2, seed=0, kinect=2).targets['frame'].shape == (2,)


def test_registered_dataset_missing(tmp_path, nyu_root):
    with pytest.raises(DatasetNotFound, match='nyu/train/joint_data.mat'): load_dataset('nyu', 'train', root=tmp_path/'none')
    root, *_ = nyu_root
    (root/'nyu/test/depth_1_0000003.png').unlink()
    with pytest.raises(DatasetNotFound, match=r'depth_1_0000003.png \(frame index 2'): load_dataset('nyu', 'test', root=root)

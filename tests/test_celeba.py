"CelebA in its official layout (attribute list, partition list, aligned JPEGs): parsed, checked line by line, cropped; and the degraded embedded face task `faces_lfw_hard`."
import numpy as np
import pytest
import torch
from PIL import Image
from alpapers.core import ConfigError, DataError, inputs_read
from alpapers.data import REGISTRY, DatasetNotFound, load_dataset
from alpapers.real import (CELEBA_ATTR, CELEBA_ATTRIBUTES, CELEBA_IMAGES, CELEBA_PARTITION, EMBEDDED_DATASETS,
                           build_celeba, build_faces_lfw_hard, degrade_faces, load_celeba_attributes)

MALE = CELEBA_ATTRIBUTES.index('Male')
PARTS = [0, 0, 0, 0, 1, 2, 2]               # 4 train, 1 val, 2 test

# ---- a CelebA data root written in the official format

def _celeba(root, seed=0):
    "Seven 178x218 JPEGs (a red band of 20 rows above and below a coloured 178x178 square) and both text files."
    (root/CELEBA_IMAGES).mkdir(parents=True)
    att = np.random.default_rng(seed).choice([-1, 1], (len(PARTS), 40))
    att[:, MALE] = [1, -1, 1, 1, -1, 1, -1]
    names = [f'{i + 1:06d}.jpg' for i in range(len(PARTS))]
    for i, f in enumerate(names):
        a = np.zeros((218, 178, 3), np.uint8); a[:] = (255, 0, 0); a[20:198] = (0, 30 * i, 200)
        Image.fromarray(a).save(root/CELEBA_IMAGES/f, quality=95, subsampling=0)
    # as released: the count, the 40 names (with a trailing space), then '000001.jpg -1  1  1 -1 ...'
    rows = ''.join(f"{f} {' '.join(f'{v:2d}' for v in r)}\n" for f, r in zip(names, att))
    (root/CELEBA_ATTR).write_text(f"{len(names)}\n{' '.join(CELEBA_ATTRIBUTES)} \n{rows}")
    (root/CELEBA_PARTITION).write_text(''.join(f"{f} {p}\n" for f, p in zip(names, PARTS)))
    return names, att

@pytest.fixture
def celeba(tmp_path):
    names, att = _celeba(tmp_path)
    return tmp_path, names, att

def _raises(fn, *want, err=DataError):
    with pytest.raises(err) as e: fn()
    for w in want: assert w in str(e.value), (w, str(e.value))
    return str(e.value)

def _rewrite_line(path, lineno, text):
    lines = path.read_text().splitlines(keepends=True)
    lines[lineno - 1] = text
    path.write_text(''.join(lines))

# ---- reading the annotations

def test_attributes_and_partitions(celeba):
    root, names, att = celeba
    a = load_celeba_attributes(root, 'train')
    assert a['names'] == names[:4] and a['lines'].tolist() == [3, 4, 5, 6]
    assert a['attributes'].dtype == np.int8 and (a['attributes'] == att[:4]).all()
    assert a['attribute_names'] == CELEBA_ATTRIBUTES and len(CELEBA_ATTRIBUTES) == 40
    assert load_celeba_attributes(root, 'val')['names'] == [names[4]]
    assert load_celeba_attributes(root, 'test')['names'] == names[5:]
    assert load_celeba_attributes(root, 'all')['partition'].tolist() == PARTS
    assert str((root/CELEBA_ATTR).resolve()) in inputs_read() and str((root/CELEBA_PARTITION).resolve()) in inputs_read()
    _raises(lambda: load_celeba_attributes(root, 'valid'), 'valid splits: train, val, test, all', err=ConfigError)

def test_partition_order_does_not_matter(celeba):
    root, names, _ = celeba
    p = root/CELEBA_PARTITION
    p.write_text(''.join(reversed(p.read_text().splitlines(keepends=True))))
    assert load_celeba_attributes(root, 'all')['partition'].tolist() == PARTS

def test_byte_order_mark_and_blank_lines_accepted(celeba):
    root, names, _ = celeba
    f = root/CELEBA_ATTR
    f.write_text('\ufeff' + f.read_text() + '\n\n')
    assert load_celeba_attributes(root, 'all')['names'] == names

@pytest.mark.parametrize('value', ['0', '2', 'x', '1.0', '+1'])
def test_value_not_plus_minus_one_names_line(celeba, value):
    root, names, att = celeba
    f = root/CELEBA_ATTR
    toks = f.read_text().splitlines()[4].split(); toks[1 + MALE] = value
    _rewrite_line(f, 5, ' '.join(toks) + '\n')
    _raises(lambda: load_celeba_attributes(root), str(f.absolute()), 'line 5', f"Male (value 21): {value!r} is not 1 or -1")

def test_short_line_names_line(celeba):
    root, *_ = celeba
    f = root/CELEBA_ATTR
    _rewrite_line(f, 6, ' '.join(f.read_text().splitlines()[5].split()[:-3]) + '\n')
    _raises(lambda: load_celeba_attributes(root), str(f.absolute()), 'line 6', 'expected an image name and 40 values, found 38 fields')

def test_cut_mid_line(celeba):
    root, *_ = celeba
    f = root/CELEBA_ATTR
    f.write_text(f.read_text().rstrip('\n')[:-30])
    _raises(lambda: load_celeba_attributes(root), str(f.absolute()), 'line 9', 'ends mid-line')

# one malformed line each: (file, line, its new text, what the error must say besides the file's path)
BAD_LINES = [
    ('attr', 1, '202599\n', 'line 1 says 202599 images but 7 image lines follow (truncated?)'),
    ('attr', 1, 'images\n', "line 1: expected the number of images, found 'images'"),
    ('attr', 2, ' '.join(CELEBA_ATTRIBUTES[:39]) + '\n', 'line 2: expected 40 attribute names, found 39'),
    ('attr', 2, ' '.join(CELEBA_ATTRIBUTES).replace('Smiling', 'Smile') + '\n', "attribute name 32 is 'Smile', CelebA's is 'Smiling'"),
    ('partition', 3, '000003.jpg 3\n', "line 3: partition '3' is not 0 (train), 1 (val) or 2 (test)"),
    ('partition', 3, '000003.jpg\n', 'line 3: expected an image name and a partition, found 1 fields'),
]

@pytest.mark.parametrize('which, lineno, text, want', BAD_LINES)
def test_malformed_line_names_file_and_line(celeba, which, lineno, text, want):
    root, *_ = celeba
    f = root/(CELEBA_ATTR if which == 'attr' else CELEBA_PARTITION)
    _rewrite_line(f, lineno, text)
    _raises(lambda: load_celeba_attributes(root), str(f.absolute()), want)

def test_repeated_image_names_line(celeba):
    root, *_ = celeba
    f = root/CELEBA_ATTR
    lines = f.read_text().splitlines(keepends=True)
    lines[0] = '8\n'; f.write_text(''.join(lines) + lines[3])
    _raises(lambda: load_celeba_attributes(root), str(f.absolute()), 'line 10: image 000002.jpg is listed again (first on line 4)')

def test_names_must_agree_between_files(celeba):
    root, *_ = celeba
    p, f = root/CELEBA_PARTITION, root/CELEBA_ATTR
    good = p.read_text()
    p.write_text(good.replace('000003.jpg', '000033.jpg'))      # the attribute file's image 3 has no partition
    _raises(lambda: load_celeba_attributes(root), f"{f.absolute()}, line 5: image 000003.jpg has no line in {p.absolute()}")
    p.write_text(good + '000008.jpg 0\n')                         # the partition file lists an extra image
    _raises(lambda: load_celeba_attributes(root), f"{p.absolute()}, line 8: image 000008.jpg has no line in {f.absolute()}")

def test_missing_annotation_files(tmp_path):
    _raises(lambda: load_celeba_attributes(tmp_path), CELEBA_ATTR, CELEBA_PARTITION, 'CUHK MMLab', err=DatasetNotFound)

# ---- the Dataset

def test_build_crops_resizes_and_labels(celeba):
    root, names, att = celeba
    ds = load_dataset('celeba', 'train', root=root, size=32)
    assert ds.name == 'celeba' and ds.real and ds.images.shape == (4, 3, 32, 32) and ds.images.dtype == torch.float32
    assert 0 <= ds.images.min() and ds.images.max() <= 1
    assert ds.targets['label'].dtype == torch.long and ds.targets['label'].tolist() == [1, 0, 1, 1]
    assert (ds.targets['attributes'].numpy() == att[:4]).all()
    assert ds.meta['attribute'] == 'Male' and ds.meta['classes'] == ('female', 'male') and ds.meta['num_classes'] == 2
    for i in range(4):                    # the centre square only: the red bands above and below are gone
        torch.testing.assert_close(ds.images[i].mean((1, 2)), torch.tensor([0., 30 * i / 255, 200 / 255]), atol=0.03, rtol=0)
    assert ds.images[:, 0].max() < 0.15
    assert str((root/CELEBA_IMAGES/'000001.jpg').resolve()) in inputs_read()
    assert load_dataset('celeba', 'val', root=root, size=8).targets['label'].tolist() == [0]
    assert load_dataset('celeba', 'test', root=root, size=8).images.shape == (2, 3, 8, 8)

def test_build_other_attribute_and_subset(celeba):
    root, names, att = celeba
    ds = build_celeba('train', root, size=8, attribute='Smiling')
    want = (att[:4, CELEBA_ATTRIBUTES.index('Smiling')] == 1).astype(int).tolist()
    assert ds.targets['label'].tolist() == want and ds.meta['classes'] == ('not Smiling', 'Smiling')
    a, b = build_celeba('train', root, n=2, seed=5, size=8), build_celeba('train', root, n=2, seed=5, size=8)
    assert len(a) == 2 and torch.equal(a.images, b.images) and torch.equal(a.targets['label'], b.targets['label'])

def test_unknown_attribute_lists_valid_ones(celeba):
    root, *_ = celeba
    msg = _raises(lambda: build_celeba('train', root, attribute='Gender'), "unknown CelebA attribute 'Gender'", err=ConfigError)
    assert all(a in msg for a in CELEBA_ATTRIBUTES)

def test_missing_image_named(celeba):
    root, *_ = celeba
    (root/CELEBA_IMAGES/'000006.jpg').unlink(); (root/CELEBA_IMAGES/'000007.jpg').unlink()
    _raises(lambda: load_dataset('celeba', 'test', root=root), str((root/CELEBA_ATTR).absolute()), 'line 8',
            'image 000006.jpg is listed but', str(root/CELEBA_IMAGES/'000006.jpg'), '(2 of the 2 requested images are missing)')
    assert len(load_dataset('celeba', 'train', root=root, size=8)) == 4        # the other splits still load

def test_corrupt_image_named(celeba):
    root, *_ = celeba
    bad = root/CELEBA_IMAGES/'000002.jpg'
    bad.write_bytes(bad.read_bytes()[:200])
    _raises(lambda: load_dataset('celeba', 'train', root=root), f"{bad.absolute()}: cannot be read", "loading dataset 'celeba'")

def test_registered_without_stand_in(tmp_path):
    spec = REGISTRY['celeba']
    assert spec.splits == ('train', 'val', 'test') and spec.fallback is None
    assert set(spec.files) == {CELEBA_ATTR, CELEBA_PARTITION, CELEBA_IMAGES}
    assert 'CUHK MMLab' in spec.obtain and 'http' not in spec.obtain
    _raises(lambda: load_dataset('celeba', 'train', root=tmp_path), 'celeba/img_align_celeba', 'CUHK MMLab', err=DatasetNotFound)
    _raises(lambda: load_dataset('celeba', 'dev', root=tmp_path), 'valid splits: train, val, test', err=ConfigError)

# ---- faces_lfw_hard

def test_faces_hard_shapes_balance_and_range():
    tr, te = load_dataset('faces_lfw_hard', 'train'), load_dataset('faces_lfw_hard', 'test')
    assert tr.images.shape == (133, 1, 20, 20) and te.images.shape == (67, 1, 20, 20)
    for ds in (tr, te):
        assert torch.isfinite(ds.images).all() and ds.images.min() >= 0 and ds.images.max() <= 1
        assert ds.targets['label'].dtype == torch.long and set(ds.targets['label'].tolist()) == {0, 1}
        frac = ds.targets['label'].float().mean().item()
        assert 0.35 < frac < 0.65, frac
    assert tr.targets['label'].sum() + te.targets['label'].sum() == 100          # all 100 faces, all 100 non-faces
    assert torch.equal(tr.targets['label'], load_dataset('faces_lfw', 'train').targets['label'])
    assert tr.real and tr.meta['derived_from'] == 'faces_lfw' and tr.meta['degraded'] and 'lfw_subset' in tr.meta['source']
    assert 'faces_lfw_hard' in EMBEDDED_DATASETS and not REGISTRY['faces_lfw_hard'].files

def test_faces_hard_deterministic_given_seed():
    a, b = build_faces_lfw_hard('train'), build_faces_lfw_hard('train')
    assert torch.equal(a.images, b.images)
    c = build_faces_lfw_hard('train', corrupt_seed=1)
    assert not torch.equal(a.images, c.images) and torch.equal(a.targets['label'], c.targets['label'])
    s1, s2 = build_faces_lfw_hard('train', n=12, seed=4), build_faces_lfw_hard('train', n=12, seed=4)
    assert torch.equal(s1.images, s2.images)
    # an image is degraded the same way in a subset as in the whole split
    rows = [next(i for i in range(len(a)) if torch.equal(a.images[i], x)) for x in s1.images]
    assert len(set(rows)) == 12

def test_faces_hard_is_degraded():
    easy, hard = load_dataset('faces_lfw', 'train'), load_dataset('faces_lfw_hard', 'train')
    gap = lambda ds: abs(ds.images[ds.targets['label'] == 1].mean().item() - ds.images[ds.targets['label'] == 0].mean().item())
    assert gap(hard) < 0.05 < gap(easy)                    # mean brightness no longer tells faces from non-faces
    assert not np.isnan(hard.images.numpy()).any()

def test_degrade_faces_parts():
    x = np.random.default_rng(0).uniform(0, 1, (3, 25, 25))
    plain = degrade_faces(x, noise=0, occlusion=0, contrast=(1, 1), brightness=(0.5, 0.5), crop=1.0, size=25)
    np.testing.assert_allclose(plain.mean((1, 2)), 0.5, atol=0.02)      # only re-centred: same pattern, mean 0.5
    np.testing.assert_allclose(plain - plain.mean((1, 2), keepdims=True), np.clip(x, 0, 1) - x.mean((1, 2), keepdims=True), atol=0.03)
    occ = degrade_faces(np.zeros((4, 25, 25)), noise=0, occlusion=0.5, contrast=(1, 1), brightness=(0, 0), size=20)
    assert ((occ > 0).sum((1, 2)) == 100).sum() >= 3         # one 10x10 square of one grey (unless it drew grey 0)
    assert degrade_faces(x, index=[7, 8, 9]).tolist() == degrade_faces(x[::-1], index=[9, 8, 7])[::-1].tolist()

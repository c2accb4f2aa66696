"""Every registered experiment is runnable as configured: its notebook exists, and each profile's parameters
(`paper` included, which cannot run here) match the names and types of the notebook's parameters cell.
Every model at its `paper` size builds and runs a forward pass on torch's `meta` device (no memory used)."""
import pytest
import alpapers.crowd   # registers the counter model
from alpapers.core import PROFILES
from alpapers.models import MODELS, paper_shapes
from alpapers.reproduce import MANIFEST, check_manifest, find_experiments_dir

def test_every_experiment_config_is_valid():
    res = check_manifest()
    assert set(res) == set(MANIFEST) and len(res) >= 3
    bad = {k: v for k, v in res.items() if v != 'ok'}
    assert not bad, bad

def test_every_experiment_has_every_profile_and_a_notebook():
    nbs = find_experiments_dir()
    for key, exp in MANIFEST.items():
        assert set(exp.params) == set(PROFILES), key
        assert (nbs/exp.notebook).exists(), f"{key}: {exp.notebook} missing"
        assert exp.outputs, key

@pytest.mark.parametrize('name', sorted(MODELS))
def test_paper_size_models_on_meta_device(name):
    s = paper_shapes(name)
    assert s['device'] == 'meta' and s['params'] > 1e6, s
    assert s['activation_bytes'] > 0

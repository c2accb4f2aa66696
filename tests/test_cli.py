"The `alpapers` command line, run as a real subprocess (`python -m alpapers.cli`)."
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
POSE_NB = ROOT/'nbs'/'experiments'/'baselines_pose.ipynb'

def cli(*args, env=None, timeout=120):
    e = {**os.environ, **(env or {})}
    e.pop('IN_TEST', None)
    return subprocess.run([sys.executable, '-m', 'alpapers.cli', *args], cwd=ROOT, env=e, capture_output=True,
                          text=True, timeout=timeout)

def test_version():
    from alpapers import __version__
    r = cli('--version')
    assert r.returncode == 0 and r.stdout.strip() == f'alpapers {__version__}'

def test_reproduce_list():
    r = cli('reproduce', '--list')
    assert r.returncode == 0, r.stderr
    assert 'baselines/pose_curve' in r.stdout and 'baselines_pose.ipynb' in r.stdout
    assert 'figures/baselines_pose_curve.png' in r.stdout
    assert 'smoke, cpu, paper' in r.stdout

@pytest.mark.parametrize('args, valid', [
    (['--profile', 'laptop'], 'valid profiles: smoke, cpu, paper'),
    (['--paper', 'nope'], 'valid papers: baselines'),
    (['--experiment', 'fig99'], 'valid experiments: baselines/pose_curve'),
    (['--list', '--paper', 'nope'], 'valid papers: baselines'),
    (['--jobs', '0'], 'at least 1'),
])
def test_bad_names_exit_2(args, valid):
    r = cli('reproduce', *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert valid in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr
    assert r.stderr.startswith('alpapers: error: ')

def test_no_command_prints_help():
    r = cli()
    assert r.returncode == 2 and 'reproduce' in r.stdout and 'data' in r.stdout

def test_data_check_empty_root(tmp_path):
    r = cli('data', 'check', '--root', str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f'data root: {tmp_path.resolve()}' in r.stdout
    from alpapers.data import REGISTRY, missing_files
    import importlib
    for m in ('alpapers.synthetic', 'alpapers.real'):
        try: importlib.import_module(m)
        except ModuleNotFoundError: pass
    needs_files = [n for n, s in REGISTRY.items() if s.files]
    assert needs_files, 'no dataset with real files is registered'
    for name in needs_files:
        assert name in r.stdout
        # at least the first missing file of every dataset is named
        first = str(missing_files(name, tmp_path)[0].relative_to(tmp_path))
        assert first in r.stdout, (name, first)

def test_data_check_default_root(tmp_path):
    r = cli('data', 'check', env={'ALPAPERS_DATA_ROOT': str(tmp_path)})
    assert r.returncode == 0 and f'data root: {tmp_path.resolve()}' in r.stdout

@pytest.mark.skipif(not POSE_NB.exists(), reason='nbs/experiments/baselines_pose.ipynb is not written yet')
def test_reproduce_smoke_end_to_end(tmp_path):
    env = {'ALPAPERS_RESULTS': str(tmp_path/'results'), 'ALPAPERS_FIGURES': str(tmp_path/'figures')}
    r = cli('reproduce', '--profile', 'smoke', '--experiment', 'pose_curve', env=env, timeout=600)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    assert 'baselines/pose_curve (smoke): ok' in r.stdout, r.stdout
    figs = tmp_path/'results'/'figures-smoke'          # a smoke run never writes into the figures folder
    assert f'figures in {figs}' in r.stdout and not (tmp_path/'figures').exists(), r.stdout
    for name in ['baselines_pose_curve.png', 'baselines_pose_curve.svg', 'baselines_pose_curve.csv', 'baselines_pose_claims.md']:
        assert (figs/name).stat().st_size > 0, name
    runs = list((tmp_path/'results'/'baselines'/'pose_curve'/'smoke').iterdir())
    assert len(runs) == 1 and (runs[0]/'executed.ipynb').exists() and (runs[0]/'records.jsonl').exists()
    import pandas as pd
    df = pd.read_csv(figs/'baselines_pose_curve.csv')
    assert {'strategy', 'seed', 'n_labeled', 'value'} <= set(df.columns) and len(df) > 0   # one row per seed: the data behind the curve
    assert not df.duplicated(['strategy', 'seed', 'n_labeled']).any()

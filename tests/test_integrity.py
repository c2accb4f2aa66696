"""Runs that cannot silently go wrong (issue 6): damaged records and files, locks, repeated seeds, unknown
parameters, planted checkpoints, a killed and resumed CLI, quick runs beside committed figures, swapped data.

Each test reproduces one case that used to pass silently (or fail without naming anything) and checks that it
now gives the right records or an error naming the file, line or holder."""
from __future__ import annotations
import json, os, shutil, signal, subprocess, sys, time, warnings
from pathlib import Path
import numpy as np
import pytest

from alpapers.active import ActiveLoop, Pool, Selection, Strategy, strip_timings
from alpapers.demo_tasks import CentroidTask
from alpapers.core import (ConfigError, RecordsError, RunContext, RunLocked, forget_inputs, make_config, note_input,
                           read_json, read_jsonl)

ROOT = Path(__file__).resolve().parents[1]


class Rand(Strategy):
    name = 'rand'
    def select(self, ctx, k): return Selection(ctx.rng.choice(ctx.candidates, k, replace=False))


def loop(root, run_id, cycles=4):
    run = RunContext('t', 'integrity', make_config({}, dict(cycles=cycles)), run_id=run_id, root=root)
    task = CentroidTask()
    return ActiveLoop(task, Rand(), Pool(task.n_pool, 30, seed=0), run, cycles=cycles, per_cycle=20, subset=100, seed=0,
                      progress=False)


@pytest.fixture
def finished(tmp_path):
    "A finished 4-cycle loop's records file, and the records of an uninterrupted run."
    lp = loop(tmp_path, 'a'); ref = strip_timings(lp.run()); lp.run_ctx.finish()
    return lp.run_ctx.records_path, ref


def _rerun(tmp_path): return loop(tmp_path, 'a').run()


# -- records.jsonl damaged, then rerun ------------------------------------------------------------------------
def test_records_torn_last_line_is_repaired_and_reported(tmp_path, finished):
    path, ref = finished
    path.write_text(path.read_text() + '{"loop": "rand-seed0", "cyc')
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert strip_timings(_rerun(tmp_path)) == ref
    assert any('torn final line' in str(x.message) for x in w)
    assert read_json(path.parent/'provenance.json')['repairs'][0]['file'] == 'records.jsonl'


def test_records_cut_in_half_is_refused(tmp_path, finished):
    path, _ = finished
    path.write_text(''.join(path.read_text().splitlines(True)[:2]))
    with pytest.raises(RecordsError, match=r'records\.jsonl: loop rand-seed0 has 2 record\(s\).*checkpoint.*says 4'):
        _rerun(tmp_path)


def test_records_garbage_line_is_refused_with_its_line(tmp_path, finished):
    path, _ = finished
    lines = path.read_text().splitlines(True)
    path.write_text(''.join(lines[:1]) + 'not json\n' + ''.join(lines[1:]))
    with pytest.raises(RecordsError, match=r'records\.jsonl:2: not a JSON object'):
        _rerun(tmp_path)


def test_figures_refuse_an_incomplete_run_unless_partial(tmp_path, finished):
    path, _ = finished
    path.write_text(''.join(path.read_text().splitlines(True)[:3]))
    run = RunContext('t', 'integrity', make_config({}, dict(cycles=4)), run_id='a', root=tmp_path)
    with pytest.raises(RecordsError, match='incomplete.*loop rand-seed0: 3 of 4 records'):
        run.records()
    assert len(run.records(partial=True)) == 3 and 'PARTIAL' in run.stamp()


# -- truncated checkpoint, config, provenance ---------------------------------------------------------------
@pytest.mark.parametrize('name', ['active/rand-seed0.pt', 'config.json', 'provenance.json'])
def test_truncated_file_names_its_path(tmp_path, finished, name):
    f = finished[0].parent/name
    f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])
    with pytest.raises(RecordsError, match=name.split('/')[-1].replace('.', r'\.')):
        _rerun(tmp_path)


# -- a planted checkpoint whose pickle would run a command --------------------------------------------------
class _Evil:
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))


def test_planted_loop_checkpoint_is_refused(tmp_path, finished):
    import torch
    ckpt = finished[0].parent/'active'/'rand-seed0.pt'
    torch.save({'version': 2, 'identity': _Evil(tmp_path/'pwned')}, ckpt)
    with pytest.raises(RecordsError, match='damaged or unsafe'):
        _rerun(tmp_path)
    assert not (tmp_path/'pwned').exists()


# -- two processes on one run id ----------------------------------------------------------------------------
HOLD = """
import sys, time
from alpapers.core import RunContext, make_config
run = RunContext('t', 'integrity', make_config({}, dict(cycles=4)), run_id='held', root=sys.argv[1])
print('holding', flush=True); time.sleep(60)
"""


def test_second_process_on_one_run_is_refused_and_dead_holder_taken_over(tmp_path):
    p = subprocess.Popen([sys.executable, '-c', HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == 'holding'
        with pytest.raises(RunLocked, match=f'held by pid {p.pid}'):
            RunContext('t', 'integrity', make_config({}, dict(cycles=4)), run_id='held', root=tmp_path)
    finally:
        p.kill(); p.wait()
    with warnings.catch_warnings(record=True) as w:   # the holder died: its lock is taken over and reported
        warnings.simplefilter('always')
        run = RunContext('t', 'integrity', make_config({}, dict(cycles=4)), run_id='held', root=tmp_path)
    assert any('no longer running' in str(x.message) for x in w)
    assert run.provenance['takeovers'][0]['pid'] == p.pid
    run.finish()


# -- repeated seeds and unknown parameters, wherever they come from ------------------------------------------
def test_repeated_seeds_are_refused(tmp_path):
    from alpapers.reproduce import reproduce
    with pytest.raises(ConfigError, match=r'seeds \[0\] repeated'):
        reproduce(experiment='baselines/pose_curve', profile='smoke', seeds=[0, 0], run_root=tmp_path/'r', progress=False)


def test_unknown_parameter_refused_by_runner(tmp_path):
    from alpapers.reproduce import reproduce
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['epocs'\]; valid parameters: .*epochs"):
        reproduce(experiment='baselines/pose_curve', profile='smoke', params={'epocs': 3}, run_root=tmp_path/'r', progress=False)


def test_unknown_parameter_in_a_manifest_entry_is_refused(tmp_path):
    from alpapers.reproduce import MANIFEST, Experiment, reproduce
    e = MANIFEST['baselines/pose_curve']
    bad = Experiment(e.paper, e.artifact, e.notebook, e.description, {**e.params, 'smoke': {'epocs': 3}}, e.outputs)
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['epocs'\]"):
        reproduce(profile='smoke', manifest={bad.key: bad}, run_root=tmp_path/'r', progress=False)


def test_unknown_parameter_refused_under_plain_papermill(tmp_path):
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    nb = ROOT/'nbs'/'experiments'/'baselines_pose.ipynb'
    with pytest.raises(PapermillExecutionError, match=r"unknown parameter\(s\) \['epocs'\]"):
        pm.execute_notebook(str(nb), str(tmp_path/'out.ipynb'), parameters=dict(epocs=3, results_dir=str(tmp_path/'r')),
                            cwd=str(nb.parent), kernel_name='python3', progress_bar=False)


# -- a data file swapped between a run and its resume --------------------------------------------------------
def test_changed_data_file_refuses_resume(tmp_path):
    from alpapers.real import load_mpii_poses
    mp = tmp_path/'data'/'mpii'; mp.mkdir(parents=True)
    row = lambda x: 'im.jpg,' + ','.join([str(x)] * 32) + '\n'
    (mp/'train_joints.csv').write_text(row(10) + row(20))
    forget_inputs()
    load_mpii_poses(tmp_path/'data', 'train')
    run = RunContext('t', 'swap', {}, root=tmp_path/'r'); run.finish()
    assert any(k.endswith('train_joints.csv') for k in read_json(run.inputs_path))
    (mp/'train_joints.csv').write_text(row(10) + row(30))
    load_mpii_poses(tmp_path/'data', 'train')
    with pytest.raises(RecordsError, match=r'train_joints\.csv \(was'):
        RunContext('t', 'swap', {}, run_id=run.run_id, root=tmp_path/'r')
    forget_inputs()


# -- the command line: figures safe from quick runs, two at once, killed and resumed --------------------------
def cli(*args, env=None, **kw):
    e = {**os.environ, **(env or {})}; e.pop('IN_TEST', None)
    return subprocess.run([sys.executable, '-m', 'alpapers.cli', *args], cwd=ROOT, env=e, capture_output=True, text=True, **kw)


def test_quick_start_leaves_committed_figures_alone(tmp_path):
    figs = tmp_path/'figures'; figs.mkdir()
    for f in (ROOT/'figures').glob('baselines_pose_*'): shutil.copy(f, figs/f.name)
    before = {f.name: f.read_bytes() for f in figs.iterdir()}
    env = {'ALPAPERS_RESULTS': str(tmp_path/'results'), 'ALPAPERS_FIGURES': str(figs)}
    r = cli('reproduce', '--experiment', 'pose_curve', '--profile', 'smoke', env=env, timeout=600)   # the quick start
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"figures in {tmp_path/'results'/'figures-smoke'}" in r.stdout, r.stdout
    assert {f.name: f.read_bytes() for f in figs.iterdir()} == before
    r = cli('reproduce', '--experiment', 'pose_curve', '--profile', 'smoke', '--figures', str(figs), env=env, timeout=600)
    assert r.returncode == 2 and 'would be overwritten by a smoke run' in r.stderr, r.stderr
    assert {f.name: f.read_bytes() for f in figs.iterdir()} == before
    md = (tmp_path/'results'/'figures-smoke'/'baselines_pose_curve.md').read_text()
    assert 'at profile smoke, seeds [0], commit' in md, md


def _wait_for(pred, timeout=300):
    t0 = time.time()
    while not pred():
        if time.time() - t0 > timeout: raise TimeoutError
        time.sleep(0.2)


def _records(root):
    (run,) = list((root/'baselines'/'pose_curve'/'smoke').iterdir())
    return run, read_jsonl(run/'records.jsonl', torn_ok=True)


def test_two_reproduce_at_once_second_refused(tmp_path):
    env = {**os.environ, 'ALPAPERS_RESULTS': str(tmp_path/'r1')}; env.pop('IN_TEST', None)
    args = ['reproduce', '--experiment', 'pose_curve', '--profile', 'smoke', '--figures', str(tmp_path/'figs')]
    # the first run trains longer, so that it still holds its figure set while the second starts
    p = subprocess.Popen([sys.executable, '-m', 'alpapers.cli', *args, '--param', 'epochs=40'], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = tmp_path/'figs'/'.locks'/'baselines_pose_curve.lock'
        _wait_for(lambda: lock.exists() and lock.read_text().strip())
        r = cli(*args, env={'ALPAPERS_RESULTS': str(tmp_path/'r2')}, timeout=300)
        out = r.stdout + r.stderr
        assert r.returncode == 1 and 'figure set baselines/pose_curve' in out and f'held by pid {p.pid}' in out, out
    finally:
        p.wait(timeout=600)
    assert p.returncode == 0


def test_cli_killed_then_resumed_matches_uninterrupted(tmp_path):
    args = ['reproduce', '--experiment', 'pose_curve', '--profile', 'smoke', '--param', 'cycles=3']
    ref_env = {'ALPAPERS_RESULTS': str(tmp_path/'ref')}
    assert cli(*args, env=ref_env, timeout=600).returncode == 0
    _, ref = _records(tmp_path/'ref')

    env = {**os.environ, 'ALPAPERS_RESULTS': str(tmp_path/'cut')}; env.pop('IN_TEST', None)
    p = subprocess.Popen([sys.executable, '-m', 'alpapers.cli', *args], cwd=ROOT, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = tmp_path/'cut'/'baselines'/'pose_curve'/'smoke'
    def some_records():
        try: return len(_records(tmp_path/'cut')[1]) >= 2
        except (ValueError, FileNotFoundError, RecordsError): return False
    _wait_for(some_records)
    os.killpg(p.pid, signal.SIGKILL); p.wait()                     # the whole process tree: CLI, papermill, kernel
    run_dir, partial = _records(tmp_path/'cut')
    assert 0 < len(partial) < len(ref)
    r = cli('runs', '--paper', 'baselines', env={'ALPAPERS_RESULTS': str(tmp_path/'cut')}, timeout=120)
    assert 'interrupted' in r.stdout, r.stdout
    r = cli(*args, '--resume', env={'ALPAPERS_RESULTS': str(tmp_path/'cut')}, timeout=600)
    assert r.returncode == 0 and f'resuming baselines/pose_curve (smoke) run {run_dir.name}' in r.stdout, (r.stdout, r.stderr[-2000:])
    _, resumed = _records(tmp_path/'cut')
    assert strip_timings(resumed) == strip_timings(ref)
    r = cli('runs', env={'ALPAPERS_RESULTS': str(tmp_path/'cut')}, timeout=120)
    assert 'finished' in r.stdout and 'interrupted' not in r.stdout, r.stdout


def test_regenerated_figures_do_not_mark_the_commit_dirty(tmp_path):
    "A stamp says '-dirty' for uncommitted code, not for the figures a run has just rewritten."
    from alpapers.core import git_commit
    run = lambda *a: subprocess.run(['git', *a], cwd=tmp_path, check=True, capture_output=True)
    run('init', '-q'); (tmp_path/'figures').mkdir(); (tmp_path/'figures'/'f.md').write_text('a'); (tmp_path/'code.py').write_text('x = 1')
    run('add', '.'); run('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'c')
    (tmp_path/'figures'/'f.md').write_text('b')
    assert not git_commit(tmp_path/'figures').endswith('-dirty')
    (tmp_path/'code.py').write_text('x = 2')
    assert git_commit(tmp_path).endswith('-dirty')

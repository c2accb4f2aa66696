"The package and README are generated: nbdev-export and nbdev-clean must leave no diff."
import filecmp, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def _copy(tmp_path):
    dst = tmp_path/'repo'; dst.mkdir()
    for name in ['pyproject.toml', 'settings.ini', 'README.md']:
        if (ROOT/name).exists(): shutil.copy(ROOT/name, dst/name)
    shutil.copytree(ROOT/'nbs', dst/'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints', '_proc'))
    shutil.copytree(ROOT/'alpapers', dst/'alpapers', ignore=shutil.ignore_patterns('__pycache__'))
    return dst

def _tool(name):
    exe = BIN/name
    if not exe.exists(): pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return str(exe)

def _diff(a: Path, b: Path, pattern: str):
    out = []
    for f in sorted(a.rglob(pattern)):
        if '__pycache__' in f.parts or '.ipynb_checkpoints' in f.parts: continue
        g = b/f.relative_to(a)
        if not g.exists() or not filecmp.cmp(f, g, shallow=False): out.append(str(f.relative_to(a)))
    extra = [str(g.relative_to(b)) for g in b.rglob(pattern) if '__pycache__' not in g.parts and not (a/g.relative_to(b)).exists()]
    return out + extra

def test_export_leaves_no_diff(tmp_path):
    repo = _copy(tmp_path)
    subprocess.run([_tool('nbdev-export')], cwd=repo, check=True, capture_output=True)
    changed = _diff(ROOT/'alpapers', repo/'alpapers', '*.py')
    assert not changed, f"nbdev-export changes {changed}: edit the notebooks, run nbdev-export, commit the result"

def test_notebooks_are_clean(tmp_path):
    repo = _copy(tmp_path)
    subprocess.run([_tool('nbdev-clean')], cwd=repo, check=True, capture_output=True)
    changed = _diff(ROOT/'nbs', repo/'nbs', '*.ipynb')
    assert not changed, f"nbdev-clean changes {changed}: run nbdev-clean and commit"

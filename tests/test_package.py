"The exported package stands on its own: importing it needs neither the notebooks nor Jupyter/nbdev tooling."
import json, pkgutil, subprocess, sys
from pathlib import Path
import alpapers

BLOCKED = ['nbdev', 'fastcore', 'execnb', 'jupytext', 'IPython', 'ipykernel', 'jupyter_client', 'nbformat', 'papermill']
# papermill (and with it Jupyter) is needed only to *run* experiment notebooks, so it is imported lazily

SCRIPT = r'''
import importlib, importlib.abc, json, sys
BLOCKED = set(json.loads(sys.argv[1]))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED: raise ImportError(f"blocked for this test: {name}")
sys.meta_path.insert(0, Block())
for m in json.loads(sys.argv[2]): importlib.import_module(m)
print('ok')
'''

def test_every_module_imports_without_jupyter_tooling(tmp_path):
    mods = ['alpapers'] + [f'alpapers.{m.name}' for m in pkgutil.iter_modules(alpapers.__path__) if m.name != '_modidx']
    assert len(mods) > 10
    r = subprocess.run([sys.executable, '-c', SCRIPT, json.dumps(BLOCKED), json.dumps(mods)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == 'ok', r.stderr[-3000:]

def test_cli_help_without_notebooks(tmp_path):
    "The console entry point works from any folder (no settings.ini, no nbs/)."
    r = subprocess.run([sys.executable, '-m', 'alpapers.cli', '--version'], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and alpapers.__version__ in r.stdout, r.stderr

"""Build the documentation site (Sphinx + myst-nb) into `_docs/`.

    python tools/build_docs.py                 # notebooks rendered as stored (no outputs), warnings are errors
    python tools/build_docs.py --execute       # run the chapters at the smoke profile while building (cached)
    python tools/build_docs.py --execute force # ... ignoring the execution cache
    python tools/build_docs.py --execute --experiments   # ... and the experiment notebooks too
    python tools/build_docs.py --out DIR --lenient

Needs the `docs` extra: `pip install -e ".[docs]"` (Sphinx, myst-nb, the book theme, and MathJax from the
django-static-mathjax package, so the site renders equations offline). Executing builds write their results and
figures to a temporary folder (ALPAPERS_RESULTS / ALPAPERS_FIGURES), never to the committed `figures/`. Experiment
pages always show the figures committed in `figures/`; `--experiments` also runs those notebooks (smoke profile).
"""
from __future__ import annotations
import argparse, importlib.util, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ('sphinx', 'myst_nb', 'sphinx_book_theme', 'mathjax')  # mathjax: the django-static-mathjax package

def missing() -> list[str]:
    "The docs packages that are not importable here."
    return [m for m in REQUIRED if importlib.util.find_spec(m) is None]

def command(out:Path, strict:bool=True, fresh:bool=False) -> list[str]:
    "The sphinx-build command line: source = repository root, configuration = docs/."
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-c', str(ROOT/'docs'), '-d', str(out/'.doctrees'),
           str(ROOT), str(out)]
    if strict: cmd += ['-W', '--keep-going']
    if fresh: cmd.append('-E')
    return cmd

def build(out:Path|str=ROOT/'_docs', execute:str='off', strict:bool=True, fresh:bool=False, quiet:bool=False,
          experiments:bool=False) -> int:
    "Run sphinx-build; returns its exit code."
    out = Path(out).resolve()
    env = dict(os.environ, ALPAPERS_DOCS_EXECUTE=execute, ALPAPERS_DOCS_EXPERIMENTS='1' if experiments else '0')
    if execute != 'off':
        tmp = Path(tempfile.mkdtemp(prefix='alpapers-docs-'))
        env.update(IN_TEST='1', ALPAPERS_PROFILE='smoke',
                   ALPAPERS_RESULTS=str(tmp/'results'), ALPAPERS_FIGURES=str(tmp/'figures'))
        print(f'executing notebooks at the smoke profile; results and figures go to {tmp}', flush=True)
    cmd = command(out, strict, fresh) + (['-q'] if quiet else [])
    return subprocess.call(cmd, cwd=ROOT, env=env)

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='Build the alpapers documentation site with Sphinx + myst-nb.')
    p.add_argument('--execute', nargs='?', const='cache', default='off', choices=['off', 'cache', 'force'],
                   help='run the notebooks while building (smoke profile); "cache" reuses unchanged results')
    p.add_argument('--out', default=str(ROOT/'_docs'), help='output folder (default: _docs/)')
    p.add_argument('--experiments', action='store_true', help='with --execute: run the experiment notebooks too')
    p.add_argument('--lenient', action='store_true', help='do not turn Sphinx warnings into errors')
    p.add_argument('--fresh', action='store_true', help='re-read every page (sphinx-build -E)')
    p.add_argument('-q', '--quiet', action='store_true', help='print only warnings and errors')
    a = p.parse_args(argv)
    if miss := missing():
        print(f"missing {', '.join(miss)}: install the docs extra, `pip install -e \".[docs]\"`", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rc = build(a.out, a.execute, strict=not a.lenient, fresh=a.fresh, quiet=a.quiet, experiments=a.experiments)
    dt = time.perf_counter() - t0
    site = Path(a.out).resolve()/'index.html'
    if rc == 0: print(f'docs built in {dt:.0f} s: open {site}')
    else: print(f'docs build failed (exit {rc}) after {dt:.0f} s', file=sys.stderr)
    return rc

if __name__ == '__main__':
    sys.exit(main())

"The documentation site (Sphinx + myst-nb, `docs/conf.py`) builds from the notebooks, without executing them."
import importlib.util, json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
MISSING = [m for m in ('sphinx', 'myst_nb', 'sphinx_book_theme') if importlib.util.find_spec(m) is None]
needs_docs = pytest.mark.skipif(bool(MISSING), reason=f"docs extra not installed ({', '.join(MISSING)} missing): "
                                                      "pip install -e '.[docs]' to test the documentation build")

def _conf():
    "docs/conf.py as a module (it writes docs/_generated when imported, like a build does)."
    spec = importlib.util.spec_from_file_location('alpapers_docs_conf', ROOT/'docs'/'conf.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

@needs_docs
def test_docs_build(tmp_path):
    out = tmp_path/'site'
    env = {k: v for k, v in os.environ.items() if k != 'ALPAPERS_DOCS_EXECUTE'}
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py'), '--out', str(out), '-q'],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"docs build failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    assert (out/'index.html').exists()  # redirect to the home notebook
    home = (out/'nbs'/'index.html').read_text(encoding='utf-8')
    assert 'alpapers' in home and 'Chapters' in home and 'API reference' in home
    core = (out/'nbs'/'00_core.html').read_text(encoding='utf-8')
    assert '<h1>Core' in core and 'get_settings' in core
    assert '#|' not in core and 'from fastcore.test import' not in core  # nbdev directives and hidden cells dropped
    assert (out/'docs'/'_generated'/'results.html').exists()
    assert (out/'docs'/'_generated'/'api'/'core.html').exists()
    for nb in (ROOT/'nbs').glob('[0-9]*.ipynb'): assert (out/'nbs'/f'{nb.stem}.html').exists(), nb.name

@needs_docs
def test_nbdev_directives_become_tags():
    conf = _conf()
    cell = lambda src: {'cell_type': 'code', 'metadata': {}, 'source': src, 'outputs': [], 'execution_count': None}
    c = conf.nbdev_to_tags(cell('#| hide\nfrom fastcore.test import *'))
    assert c['metadata']['tags'] == ['remove-cell'] and c['source'] == 'from fastcore.test import *'
    assert conf.nbdev_to_tags(cell('#| export\nx = 1'))['metadata']['tags'] == []
    assert conf.nbdev_to_tags(cell('#| default_exp core'))['metadata']['tags'] == ['remove-cell']
    assert conf.nbdev_to_tags(cell('#| echo: false\nplot()'))['metadata']['tags'] == ['remove-input']
    assert conf.nbdev_to_tags(cell('#| notest\nslow()'))['metadata']['tags'] == ['skip-execution']
    c = conf.nbdev_to_tags(cell('x = 1  #| not a directive'))
    assert c['source'] == 'x = 1  #| not a directive' and 'tags' not in c['metadata']

@needs_docs
def test_results_page_lists_whatever_figures_holds(tmp_path):
    conf = _conf()
    assert 'no figures or tables yet' in conf._results_page(tmp_path/'absent')
    (tmp_path/'matal_fig3a.png').write_bytes(b'\x89PNG')
    (tmp_path/'matal_fig3a.csv').write_text('a\n1\n')
    (tmp_path/'l2ral_claims.md').write_text('**Claims**\n\n| claim |\n| --- |\n| x |\n')
    page = conf._results_page(tmp_path)
    assert '/figures/matal_fig3a.png' in page and 'matal_fig3a.csv </figures/matal_fig3a.csv>' in page
    assert '| claim |' in page and '1 of them claims tables' in page
    assert page.index('## `l2ral`') < page.index('## `matal`')

def test_build_script_reports_missing_packages(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location('build_docs', ROOT/'tools'/'build_docs.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    monkeypatch.setattr(m, 'missing', lambda: ['sphinx'])
    assert m.main([]) == 2
    assert 'pip install -e ".[docs]"' in capsys.readouterr().err

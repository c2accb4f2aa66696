"The documentation site (Sphinx + myst-nb, `docs/conf.py`) builds from the notebooks (the `site` fixture of conftest.py)."
import importlib.util, json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
MISSING = [m for m in ('sphinx', 'myst_nb', 'sphinx_book_theme', 'mathjax') if importlib.util.find_spec(m) is None]
needs_docs = pytest.mark.skipif(bool(MISSING), reason=f"docs extra not installed ({', '.join(MISSING)} missing): "
                                                      "pip install -e '.[docs]' to test the documentation build")

def _conf():
    "docs/conf.py as a module (it writes docs/_generated when imported, like a build does)."
    spec = importlib.util.spec_from_file_location('alpapers_docs_conf', ROOT/'docs'/'conf.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

@needs_docs
def test_docs_build(site):
    out = site
    assert (out/'index.html').exists()  # redirect to the home notebook
    home = (out/'nbs'/'index.html').read_text(encoding='utf-8')
    assert 'alpapers' in home and 'Foundation' in home and 'L2R-AL (ICPR 2020)' in home and 'API reference' in home
    assert home.index('Foundation') < home.index('L2R-AL (ICPR 2020)') < home.index('API reference')
    assert '<!-- notebook map -->' not in home and 'href="10_l2ral.html"' in home   # the generated notebook map, linked
    core = (out/'nbs'/'00_core.html').read_text(encoding='utf-8')
    assert '<h1>Core' in core and 'get_settings' in core
    assert '#|' not in core and 'from fastcore.test import' not in core  # nbdev directives and hidden cells dropped
    assert (out/'docs'/'_generated'/'results.html').exists()
    assert (out/'docs'/'_generated'/'api'/'core.html').exists()
    assert (out/'_static'/'mathjax'/'tex-mml-chtml.js').is_file()                      # MathJax from the installed package
    assert 'cdn.jsdelivr' not in (out/'nbs'/'10_l2ral.html').read_text(encoding='utf-8')
    for nb in (ROOT/'nbs').glob('[0-9]*.ipynb'): assert (out/'nbs'/f'{nb.stem}.html').exists(), nb.name

@needs_docs
def test_site_links_point_figures_at_the_results_page():
    conf = _conf()
    md = '[figure](../../figures/l2ral_fig4.png) · [a page](../10_l2ral.ipynb) · [out](https://x.org/a.png) · ![img](../../figures/l2ral_fig4.png)'
    out = conf._site_links(md, 'nbs/experiments/l2ral_fig4')
    assert '[figure](/docs/_generated/results.md#results-l2ral-fig4)' in out
    assert '[a page](../10_l2ral.ipynb)' in out and '(https://x.org/a.png)' in out and '![img](../../figures/l2ral_fig4.png)' in out
    assert conf._site_links('[x](../figures/no_such_file.png)', 'nbs/index') == '[x](../figures/no_such_file.png)'

@needs_docs
def test_committed_result_cell_for_an_experiment_page():
    conf = _conf()
    cell = conf._committed_result_cell('nbs/experiments/l2ral_fig4')
    assert '/figures/l2ral_fig4.png' in cell['source'] and 'L2R-AL Fig. 4: claims at profile cpu' in cell['source']
    assert '`cpu` profile, 5 seeds' in cell['source']

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
    page = conf._results_page(tmp_path, {'matal_fig3a': 'nbs/experiments/matal_fig3a'})
    assert 'Made by the experiment {doc}`/nbs/experiments/matal_fig3a`' in page
    assert '/figures/matal_fig3a.png' in page and 'matal_fig3a.csv </figures/matal_fig3a.csv>' in page
    assert '| claim |' in page and '1 of them claims tables' in page
    assert page.index('## `l2ral`') < page.index('## `matal`')

def test_build_script_reports_missing_packages(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location('build_docs', ROOT/'tools'/'build_docs.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    monkeypatch.setattr(m, 'missing', lambda: ['sphinx'])
    assert m.main([]) == 2
    assert 'pip install -e ".[docs]"' in capsys.readouterr().err

"README.md is generated from nbs/index.ipynb by tools/make_readme.py and must not drift from it."
import importlib.util, json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _tool():
    spec = importlib.util.spec_from_file_location('make_readme', ROOT/'tools'/'make_readme.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

def test_readme_is_generated_from_index():
    text = (ROOT/'README.md').read_text(encoding='utf-8')
    assert text == _tool().render(ROOT/'nbs'/'index.ipynb'), "README.md is out of date: run `python tools/make_readme.py`"

def test_render_rules(tmp_path):
    nb = {'cells': [
        {'cell_type': 'markdown', 'metadata': {}, 'source': ['# Title\n', '\n', 'text']},
        {'cell_type': 'code', 'metadata': {}, 'source': '#| hide\nimport secret', 'outputs': [], 'execution_count': None},
        {'cell_type': 'code', 'metadata': {}, 'source': '#| echo: true\nx = 1\nx', 'outputs': [{'output_type': 'execute_result', 'data': {'text/plain': '1'}, 'metadata': {}, 'execution_count': 1}], 'execution_count': 1},
        {'cell_type': 'raw', 'metadata': {}, 'source': 'raw'},
    ], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    p = tmp_path/'index.ipynb'; p.write_text(json.dumps(nb))
    m = _tool()
    assert m.render(p) == m.HEADER + '# Title\n\ntext\n\n```python\nx = 1\nx\n```\n'

def test_readme_has_the_ci_test_command():
    # .ci/run runs the README's test command verbatim
    assert 'pip install torch==2.13.0 -e ".[dev]" && nbdev-test && python -m pytest -q' in (ROOT/'README.md').read_text()

def test_results_rows_are_generated_from_claims_csvs(tmp_path):
    (tmp_path/'x_fig1_claims.csv').write_text('claim,paper,measured,n seeds,half-width,outcome,reason\n'
                                             'a beats b,1 vs 0,+1.0 [0.5 1.5],5,0.5,holds,\n'
                                             '↳ a vs b,,+1,5,0.5,holds,\n'
                                             'c beats b,2 vs 0,-0.1 [-1 0.8],5,0.9,inconclusive,interval covers 0\n')
    (tmp_path/'provenance.json').write_text(json.dumps({'x_fig1_claims.csv': {'profile': 'cpu', 'seeds': [0, 1, 2, 3, 4]}}))
    rows = _tool().results_markdown(tmp_path).splitlines()
    assert rows[2] == '| `x_fig1` | cpu, 5 seeds | a beats b (+1.0 [0.5 1.5]) | — | 1 |', rows

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

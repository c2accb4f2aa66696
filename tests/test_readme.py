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

def _readme_command(heading:str) -> str:
    "The first ```sh block under `heading` in README.md."
    text = (ROOT/'README.md').read_text(encoding='utf-8')
    sec = text[text.index(heading):]
    return sec[sec.index('```sh') + 6:sec.index('```', sec.index('```sh') + 6)].strip()

def test_ci_runs_the_readme_test_command_verbatim():
    cmd = _readme_command('## Run the tests')
    assert 'nbdev-test' in cmd and 'python -m pytest -q' in cmd and '.[dev]' in cmd
    ci = (ROOT/'.ci'/'run').read_text(encoding='utf-8')
    assert cmd in ci.splitlines(), f"the README's test command is not a line of .ci/run:\n{cmd}"

def test_install_commands_pin_the_same_cpu_torch():
    import re
    text = (ROOT/'README.md').read_text(encoding='utf-8')
    cpu = _readme_command('### Linux, CPU only')
    assert '--index-url https://download.pytorch.org/whl/cpu' in cpu             # PyPI's Linux wheel is the CUDA build
    (pin,) = set(re.findall(r'torch==([\d.]+)', cpu))
    assert _readme_command('## Run the tests').count(f'torch=={pin} --index-url https://download.pytorch.org/whl/cpu') == 1
    env = (ROOT/'environment.yml').read_text(encoding='utf-8')
    assert f'torch=={pin}+cpu' in env and '--extra-index-url https://download.pytorch.org/whl/cpu' in env
    assert 'jupyterlab' in env.lower() or '.[dev]' in env or '[lab' in env
    import tomllib
    deps = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['dependencies']
    assert 'torch>=2.3' in deps and any(d.startswith('pillow') for d in deps)
    assert 'Python 3.11' in text

def test_readme_links_are_rebased_to_the_repository_root():
    m = _tool()
    assert m.rebase_links('[a](10_l2ral.ipynb) [b](../figures/x.png) [c](https://e.org) [d](#x) ![e](experiments/y.ipynb)') == \
        '[a](nbs/10_l2ral.ipynb) [b](figures/x.png) [c](https://e.org) [d](#x) ![e](nbs/experiments/y.ipynb)'
    text = (ROOT/'README.md').read_text(encoding='utf-8')
    import re
    targets = {t.split('#')[0] for t in re.findall(r'\]\(([^)\s]+)\)', text) if not re.match(r'^[a-z]+:|^#', t)}
    missing = sorted(t for t in targets if not (ROOT/t).exists())
    assert targets and not missing, f"README links to files that do not exist: {missing}"

def test_results_rows_are_generated_from_claims_csvs(tmp_path):
    (tmp_path/'x_fig1_claims.csv').write_text('claim,paper,measured,n seeds,half-width,outcome,reason\n'
                                             'a beats b,1 vs 0,+1.0 [0.5 1.5],5,0.5,holds,\n'
                                             '↳ a vs b,,+1,5,0.5,holds,\n'
                                             'c beats b,2 vs 0,-0.1 [-1 0.8],5,0.9,inconclusive,interval covers 0\n')
    (tmp_path/'provenance.json').write_text(json.dumps({'x_fig1_claims.csv': {'profile': 'cpu', 'seeds': [0, 1, 2, 3, 4]}}))
    rows = _tool().results_markdown(tmp_path).splitlines()
    assert rows[2] == '| `x_fig1` | cpu, 5 seeds | a beats b (+1.0 [0.5 1.5]) | — | 1 |', rows
    (tmp_path/'x_fig1.png').write_bytes(b'png'); (tmp_path/'x_fig1_claims.md').write_text('claims')
    rows = _tool().results_markdown(tmp_path, link_base='figures/').splitlines()
    assert rows[2].startswith('| [`x_fig1`](figures/x_fig1.png) ([claims](figures/x_fig1_claims.md)) | cpu, 5 seeds |'), rows

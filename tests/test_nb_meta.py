"tools/nb_meta.py: every notebook's kernelspec and opening links, and the sections the site and the README group by."
import importlib.util, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _tool():
    spec = importlib.util.spec_from_file_location('nb_meta', ROOT/'tools'/'nb_meta.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

def test_every_notebook_keeps_a_python3_kernelspec_through_nbdev_clean():
    from nbdev.clean import clean_nb
    m = _tool()
    missing = []
    for p in m.all_notebooks():
        nb = json.loads(p.read_text(encoding='utf-8'))
        clean_nb(nb, allowed_cell_metadata_keys=['tags'])
        if nb['metadata'].get('kernelspec', {}).get('name') != 'python3': missing.append(p.relative_to(ROOT).as_posix())
    assert not missing, f"notebooks without a python3 kernelspec (JupyterLab asks for a kernel): {missing}; run `python tools/nb_meta.py`"

def test_section_rules():
    m = _tool()
    cfg = m.load_config()
    nbs = m.NBS
    assert m.section_of(nbs/'10_l2ral.ipynb', cfg) == 'l2ral'
    assert m.section_of(nbs/'10a_l2ral_sorter.ipynb', cfg) == 'l2ral'            # NN[a-z]_<key>...
    assert m.section_of(nbs/'experiments'/'l2ral_fig4.ipynb', cfg) == 'l2ral'      # experiments by name
    assert m.section_of(nbs/'experiments'/'baselines_pose.ipynb', cfg) == 'baselines'
    assert m.section_of(nbs/'experiments'/'matal_fig3a.ipynb', cfg) == 'matal'     # a notebook still to come slots in
    assert m.section_of(nbs/'matal'/'00_anything.ipynb', cfg) == 'matal'           # a paper's folder
    assert m.section_of(nbs/'08_rl.ipynb', cfg) == 'foundation'
    assert m.section_of(nbs/'07d_pose_strategies.ipynb', cfg) == 'foundation'
    assert m.section_of(nbs/'00_core.ipynb', cfg) == 'foundation'
    keys = [s['key'] for s in m.site_sections(cfg)]
    assert keys[:4] == ['foundation', 'baselines', 'l2ral', 'matal']                  # MATAL right after L2R-AL

def test_builds_on_reads_the_imports():
    m = _tool()
    names = [p.stem for p in m.builds_on(m.NBS/'10_l2ral.ipynb')]
    assert {'03_metrics', '06_active', '07_strategies', '10a_l2ral_sorter'} <= set(names) and '10_l2ral' not in names
    assert names == sorted(names)

def test_opening_links(tmp_path):
    m = _tool()
    cfg = m.load_config()
    text = m.opening_links(m.NBS/'10_l2ral.ipynb', cfg)
    assert text.startswith(m.OPENING_MARKER)
    assert '[arXiv:2008.00078](https://arxiv.org/abs/2008.00078)' in text and 'ICPR 2020' in text
    assert '[`03_metrics`](03_metrics.ipynb)' in text
    exp = m.opening_links(m.NBS/'experiments'/'l2ral_fig4.ipynb', cfg)
    assert '[`10_l2ral`](../10_l2ral.ipynb)' in exp
    assert '(../../figures/l2ral_fig4.png)' in exp and '(../../figures/l2ral_fig4_claims.md)' in exp
    assert 'none committed yet' in m.opening_links(m.NBS/'experiments'/'l2ral_fig4.ipynb', cfg, figures=tmp_path)
    assert 'part of the foundation' in m.opening_links(m.NBS/'00_core.ipynb', cfg)

def test_apply_is_idempotent_and_places_the_cell_after_the_title():
    m = _tool()
    cfg, modmap = m.load_config(), m.module_map()
    p = m.NBS/'10_l2ral.ipynb'
    nb = json.loads(p.read_text(encoding='utf-8'))
    nb['cells'] = [c for c in nb['cells'] if not m._is_opening(c)]
    nb['metadata'].pop('kernelspec', None)
    once = m.apply(json.loads(json.dumps(nb)), p, cfg, modmap)
    assert m._is_opening(once['cells'][1]) and once['cells'][0]['source'][0].startswith('# ')
    assert once['metadata']['kernelspec']['name'] == 'python3'
    twice = m.apply(json.loads(json.dumps(once)), p, cfg, modmap)
    assert m.dumps(twice) == m.dumps(once)

def test_my_notebooks_are_up_to_date():
    # the notebooks of the tutorial's L2R-AL chapter and its experiments carry the current opening links
    paths = [ROOT/'nbs'/'10_l2ral.ipynb', ROOT/'nbs'/'10a_l2ral_sorter.ipynb', *sorted((ROOT/'nbs'/'experiments').glob('l2ral_*.ipynb'))]
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'nb_meta.py'), '--check', *map(str, paths)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def test_notebook_map_has_a_row_per_section():
    m = _tool()
    rows = m.notebook_map_markdown().splitlines()
    assert rows[0].startswith('| section |') and len(rows) == 2 + len(m.load_config()['sections'])
    l2 = next(r for r in rows if 'L2R-AL' in r)
    assert '[`10_l2ral`](10_l2ral.ipynb)' in l2 and '[`l2ral_fig4`](experiments/l2ral_fig4.ipynb)' in l2
    assert '[figure](../figures/l2ral_fig4.png)' in l2

"""What every notebook needs besides its own content, written the same way into all of them.

    python tools/nb_meta.py                     # every notebook under nbs/
    python tools/nb_meta.py nbs/10_l2ral.ipynb  # only these
    python tools/nb_meta.py --check             # exit 1 if a notebook would change (nothing is written)

For each notebook it
- sets the `python3` kernelspec, so JupyterLab opens it without a "Select Kernel" dialog (nbdev-clean keeps it);
- writes the *opening links*, a markdown cell right after the title: the paper the notebook implements (title,
  authors, venue, arXiv or DOI link), the notebooks it builds on (read from its `alpapers` imports) and, for an
  experiment, its committed figure and claims table. The cell starts with `OPENING_MARKER`; rerunning the tool
  rewrites it, so edit `docs/papers.toml` or the imports, never the cell.

Links are relative paths to `.ipynb` and `figures/` files, so they work on the repository's web page; the site
(`docs/conf.py`) resolves the notebook links to its pages and the figure links to the Results page.

The same module answers the site's and the README's questions about the notebooks: which section (foundation,
baselines, one per paper) a notebook is in (`section_of`, `site_sections`), what an experiment writes
(`experiment_outputs`), and the README's notebook map (`notebook_map_markdown`).
"""
from __future__ import annotations
import json, os, posixpath, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
CONFIG = ROOT/'docs'/'papers.toml'
KERNELSPEC = {'display_name': 'python3', 'language': 'python', 'name': 'python3'}
OPENING_MARKER = '<!-- opening links: written by tools/nb_meta.py from docs/papers.toml and the imports below; edit those, not this cell -->'
_FIG_EXTS = ('.png', '.jpg', '.jpeg', '.gif', '.svg')

def load_config(path:Path|str=CONFIG) -> dict:
    "docs/papers.toml as a dict (sections, papers, notebooks)."
    try: import tomllib
    except ModuleNotFoundError: import tomli as tomllib  # Python 3.10
    cfg = tomllib.loads(Path(path).read_text(encoding='utf-8'))
    cfg.setdefault('sections', []); cfg.setdefault('papers', {}); cfg.setdefault('notebooks', {})
    keys = [s['key'] for s in cfg['sections']]
    if 'foundation' not in keys: raise ValueError(f"{path}: the sections need a 'foundation' entry")
    for s in cfg['sections']:
        if s.get('paper') and s['paper'] not in cfg['papers']: raise ValueError(f"{path}: section {s['key']!r} names unknown paper {s['paper']!r}")
    for nb, v in cfg['notebooks'].items():
        for p in v.get('implements', []):
            if p not in cfg['papers']: raise ValueError(f"{path}: notebooks.{nb!r} implements unknown paper {p!r}")
        if v.get('section') and v['section'] not in keys: raise ValueError(f"{path}: notebooks.{nb!r} names unknown section {v['section']!r}")
    return cfg

def rel(path:Path) -> str:
    "`nbs/10_l2ral` for `<root>/nbs/10_l2ral.ipynb` (the site's docname, the key of [notebooks])."
    return Path(path).resolve().relative_to(ROOT).with_suffix('').as_posix()

def all_notebooks(root:Path=NBS) -> list[Path]:
    "Every notebook under `nbs/` that the site and nbdev see (not `_*`, not checkpoints), index first, then by path."
    out = [p for p in sorted(root.rglob('*.ipynb'))
           if not any(part.startswith(('_', '.')) for part in p.relative_to(root).parts)]
    return sorted(out, key=lambda p: (p.name != 'index.ipynb' or p.parent != root, p.relative_to(root).as_posix()))

def is_experiment(path:Path) -> bool: return Path(path).resolve().parent == (NBS/'experiments').resolve()

_PREFIX = re.compile(r'^\d+[a-z]?_')

def section_of(path:Path, cfg:dict|None=None) -> str:
    "The section key of notebook `path` (see the rules in docs/papers.toml)."
    cfg = cfg or load_config()
    keys = [s['key'] for s in cfg['sections']]
    p = Path(path).resolve()
    if (v := cfg['notebooks'].get(rel(p), {}).get('section')): return v
    sub = p.relative_to(NBS.resolve()).parts
    if len(sub) > 1 and sub[0] in keys: return sub[0]
    name = p.stem if is_experiment(p) else _PREFIX.sub('', p.stem)
    if is_experiment(p) or _PREFIX.match(p.stem):
        for k in sorted(keys, key=len, reverse=True):
            if k != 'foundation' and (name == k or name.startswith(k + '_')): return k
    return 'foundation'

def site_sections(cfg:dict|None=None, notebooks:list[Path]|None=None) -> list[dict]:
    "The sections in order, each `dict(key, caption, paper, command, methods=[paths], experiments=[paths])`."
    cfg = cfg or load_config()
    nbs = [p for p in (all_notebooks() if notebooks is None else notebooks) if not (p.name == 'index.ipynb' and p.parent == NBS)]
    out = []
    for s in cfg['sections']:
        mine = [p for p in nbs if section_of(p, cfg) == s['key']]
        out.append(dict(s, methods=[p for p in mine if not is_experiment(p)], experiments=[p for p in mine if is_experiment(p)]))
    return out

# --- what a notebook builds on ------------------------------------------------------------------------------------
_DEFAULT_EXP = re.compile(r'^\s*#\s*\|\s*default_exp\s+(\S+)', re.M)
_IMPORT = re.compile(r'^\s*(?:from\s+alpapers\.([\w.]+)\s+import|from\s+alpapers\s+import\s+([\w, ]+)|import\s+(alpapers\.[\w.]+(?:\s*,\s*alpapers\.[\w.]+)*))', re.M)

def _cells(path:Path) -> list[dict]: return json.loads(Path(path).read_text(encoding='utf-8'))['cells']
def _src(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def module_map(notebooks:list[Path]|None=None) -> dict[str, Path]:
    "`{module: notebook}` from each notebook's `#| default_exp`."
    out = {}
    for p in notebooks or all_notebooks():
        for c in _cells(p):
            if c['cell_type'] == 'code' and (m := _DEFAULT_EXP.search(_src(c))): out[m.group(1)] = p; break
    return out

def imported_modules(path:Path) -> list[str]:
    "The `alpapers` modules that the code cells of `path` import, in order of first appearance."
    seen = []
    for c in _cells(path):
        if c['cell_type'] != 'code': continue
        for m in _IMPORT.finditer(_src(c)):
            if m.group(1): mods = [m.group(1)]
            elif m.group(2): mods = [n.strip() for n in m.group(2).split(',') if n.strip()]
            else: mods = [x.strip().removeprefix('alpapers.') for x in m.group(3).split(',')]
            for mod in mods:
                if mod not in seen: seen.append(mod)
    return seen

def builds_on(path:Path, modmap:dict[str, Path]|None=None) -> list[Path]:
    "The notebooks whose modules `path` imports (itself excluded), in file order."
    modmap = modmap if modmap is not None else module_map()
    me = Path(path).resolve()
    hits = set()
    for mod in imported_modules(path):
        while mod and mod not in modmap and '.' in mod: mod = mod.rsplit('.', 1)[0]  # alpapers.matal.agent.X -> ...
        if mod in modmap and modmap[mod].resolve() != me: hits.add(modmap[mod].resolve())
    order = {p.resolve(): i for i, p in enumerate(all_notebooks())}
    return sorted(hits, key=lambda p: (order.get(p, 10**6), str(p)))

# --- what an experiment writes --------------------------------------------------------------------------------------
def _manifest_outputs() -> dict[str, list[str]]:
    "`{notebook file name: outputs}` from alpapers' experiment manifest ({} when the package cannot be imported)."
    try:
        sys.path.insert(0, str(ROOT))
        from alpapers.reproduce import list_experiments
        out: dict[str, list[str]] = {}
        for e in list_experiments(): out.setdefault(Path(e.notebook).name, []).extend(e.outputs)
        return out
    except Exception:
        return {}
    finally:
        if sys.path and sys.path[0] == str(ROOT): sys.path.pop(0)

_MANIFEST: dict[str, list[str]] | None = None

def experiment_files(path:Path, figures:Path|None=None) -> list[str]:
    "The names of the files experiment `path` writes into `figures/`: its manifest outputs, else the files named after it."
    global _MANIFEST
    if _MANIFEST is None: _MANIFEST = _manifest_outputs()
    figdir = figures or (ROOT/'figures')
    stem = Path(path).stem
    return list(_MANIFEST.get(Path(path).name) or sorted(p.name for p in figdir.glob(f'{stem}*')
                                                         if p.stem == stem or p.stem.startswith(stem + '_')))

def experiment_outputs(path:Path, figures:Path|None=None) -> dict:
    "`dict(figures=[...], claims=[...])`: the image files and claims tables experiment `path` writes that `figures/` holds."
    figdir = figures or (ROOT/'figures')
    present = [n for n in experiment_files(path, figures) if (figdir/n).is_file()]
    pngs = [n for n in present if n.lower().endswith('.png')]
    imgs = pngs or [n for n in present if n.lower().endswith(_FIG_EXTS)]
    return dict(figures=imgs, claims=[n for n in present if n.endswith('_claims.md')])

# --- the opening links --------------------------------------------------------------------------------------------
def _link_label(url:str) -> str:
    if m := re.match(r'https?://arxiv\.org/abs/(\S+)', url): return f'arXiv:{m.group(1)}'
    if m := re.match(r'https?://(?:dx\.)?doi\.org/(\S+)', url): return f'doi:{m.group(1)}'
    return 'link'

def cite(key:str, cfg:dict) -> str:
    "One paper as Markdown: *title*, authors, venue (link)."
    p = cfg['papers'][key]
    s = f"*{p['title']}*, {p['authors']}, {p['venue']}"
    return s + (f" ([{_link_label(p['url'])}]({p['url']}))" if p.get('url') else '')

def _relpath(target:Path, start:Path) -> str: return Path(os.path.relpath(target, start)).as_posix()

def implements(path:Path, cfg:dict) -> list[str]:
    "The papers notebook `path` implements: its [notebooks] entry, else its section's paper."
    entry = cfg['notebooks'].get(rel(path), {})
    if 'implements' in entry: return list(entry['implements'])
    sec = next(s for s in cfg['sections'] if s['key'] == section_of(path, cfg))
    return [sec['paper']] if sec.get('paper') else []

def opening_links(path:Path, cfg:dict|None=None, modmap:dict|None=None, figures:Path|None=None) -> str:
    "The text of notebook `path`'s opening-links cell."
    cfg = cfg or load_config()
    path = Path(path).resolve()
    here = path.parent
    sec = next(s for s in cfg['sections'] if s['key'] == section_of(path, cfg))
    papers = implements(path, cfg)
    lines = [OPENING_MARKER, '']
    label = 'Reproduces' if is_experiment(path) else ('Paper' if len(papers) == 1 else 'Papers')
    if papers:
        if len(papers) == 1: lines.append(f"- **{label}:** {cite(papers[0], cfg)}")
        else: lines += [f"- **{label}:**"] + [f"  - {cite(k, cfg)}" for k in papers]
    elif sec['key'] == 'foundation':
        lines.append("- **Paper:** none of its own: this notebook is part of the foundation that the papers' notebooks share")
    else:
        lines.append(f"- **Section:** {sec['caption']} ({sec.get('summary', '')})")
    deps = builds_on(path, modmap)
    if deps: lines.append('- **Builds on:** ' + ' · '.join(f"[`{rel(d).removeprefix('nbs/')}`]({_relpath(d, here)})" for d in deps))
    if is_experiment(path):
        out = experiment_outputs(path, figures)
        figdir = figures or (ROOT/'figures')
        items = [f"[figure `{n}`]({_relpath(figdir/n, here)})" for n in out['figures']] + \
                [f"[claims table `{n}`]({_relpath(figdir/n, here)})" for n in out['claims']]
        lines.append('- **Results:** ' + (' · '.join(items) + ", as last committed (on the site: the Results page)" if items else
                                         'none committed yet: run `alpapers reproduce` for this experiment at the `cpu` profile'))
    return '\n'.join(lines)

def _is_opening(cell) -> bool: return cell['cell_type'] == 'markdown' and _src(cell).startswith(OPENING_MARKER)

def apply(nb:dict, path:Path, cfg:dict, modmap:dict, figures:Path|None=None) -> dict:
    "`nb` with the kernelspec set and its opening-links cell written (index.ipynb gets only the kernelspec)."
    nb.setdefault('metadata', {})['kernelspec'] = dict(KERNELSPEC)
    if Path(path).resolve() == (NBS/'index.ipynb').resolve(): return nb
    text = opening_links(path, cfg, modmap, figures)
    cells = nb['cells']
    cur = next((i for i, c in enumerate(cells[:4]) if _is_opening(c)), None)
    if cur is not None:
        cells[cur]['source'] = text.splitlines(keepends=True)
    else:
        at = 1 if cells and cells[0]['cell_type'] == 'markdown' and _src(cells[0]).lstrip().startswith('# ') else 0
        cells.insert(at, {'cell_type': 'markdown', 'id': os.urandom(4).hex(), 'metadata': {}, 'source': text.splitlines(keepends=True)})
    return nb

def dumps(nb:dict) -> str: return json.dumps(nb, indent=1, ensure_ascii=False) + '\n'

# --- the README's notebook map ------------------------------------------------------------------------------------
def notebook_map_markdown(cfg:dict|None=None, figures:Path|None=None) -> str:
    "The section → notebooks → figures → command table, with links relative to `nbs/` (make_readme rebases them)."
    cfg = cfg or load_config()
    figdir = figures or (ROOT/'figures')
    rows = ['| section | notebooks (`nbs/`) | experiments → committed figures | command |', '|---|---|---|---|']
    for s in site_sections(cfg):
        name = s['caption'] + (f" ({cfg['papers'][s['paper']]['venue']})" if s.get('paper') else '')
        if s.get('paper') and cfg['papers'][s['paper']].get('url'): name = f"[{name}]({cfg['papers'][s['paper']]['url']})"
        link = lambda p: f"[`{rel(p).removeprefix('nbs/')}`]({_relpath(p, NBS)})"
        nbl = ' · '.join(link(p) for p in s['methods'])
        related = [ROOT/f'{r}.ipynb' for r in s.get('related', []) if (ROOT/f'{r}.ipynb').is_file()]
        if related: nbl = (nbl + ', ' if nbl else '') + 'using ' + ' · '.join(link(p) for p in related)
        exps = []
        for p in s['experiments']:
            o = experiment_outputs(p, figdir)
            items = [f"[figure]({_relpath(figdir/n, NBS)})" for n in o['figures']] + [f"[claims]({_relpath(figdir/n, NBS)})" for n in o['claims']]
            exps.append(f"[`{p.stem}`]({_relpath(p, NBS)})" + (f" ({', '.join(items)})" if items else ''))
        planned = not s['methods'] and not s['experiments'] and not related
        rows.append(f"| {name} | {nbl or '*(planned)*'} | {' · '.join(exps) or '—'} | `{s.get('command', '')}`{' *(planned)*' if planned else ''} |")
    return '\n'.join(rows)

# --- command line -------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = '--check' in argv
    paths = [Path(a).resolve() for a in argv if not a.startswith('--')] or all_notebooks()
    cfg, modmap = load_config(), module_map()
    stale = []
    for p in paths:
        old = p.read_text(encoding='utf-8')
        new = dumps(apply(json.loads(old), p, cfg, modmap))
        if new != old:
            stale.append(p)
            if not check: p.write_text(new, encoding='utf-8')
    for p in stale: print(f"{'out of date' if check else 'updated'}: {p.relative_to(ROOT)}")
    if check and stale: print('run `python tools/nb_meta.py` (then `nbdev-clean`)', file=sys.stderr)
    return 1 if check and stale else 0

if __name__ == '__main__': sys.exit(main())

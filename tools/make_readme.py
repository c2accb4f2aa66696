"""Generate README.md from nbs/index.ipynb (stands in for `nbdev-readme`, which needs Quarto).

    python tools/make_readme.py            # write README.md
    python tools/make_readme.py --check    # exit 1 if README.md is out of date

Markdown cells are copied, except that a line `<!-- notebook map -->` is replaced by the table of sections, notebooks
and figures generated from docs/papers.toml (`tools/nb_meta.py`), and a line `<!-- results -->` by the results
generated from the claims tables in `figures/` (`results_markdown`). Relative links are written in the notebook
relative to `nbs/` (so they work there and on the site) and rebased to the repository root here (`rebase_links`).
Code cells become ```python fences, minus their `#|` directive lines; cells marked `#| hide` are left out. Outputs are
never included. tests/test_readme.py checks that the committed README.md equals what this script generates.
"""
from __future__ import annotations
import json, posixpath, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK, README = ROOT/'nbs'/'index.ipynb', ROOT/'README.md'
HEADER = '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n'
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*?)\s*$')

def _source(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s

def _directives(src:str) -> tuple[list[str], str]:
    "The leading `#|` directives of a code cell and the code after them."
    lines, dirs = src.splitlines(), []
    while lines and _DIRECTIVE.match(lines[0]):
        dirs.append(_DIRECTIVE.match(lines.pop(0)).group(1))
    return dirs, '\n'.join(lines).strip('\n')

RESULTS_MARKER = '<!-- results -->'
MAP_MARKER = '<!-- notebook map -->'
_LINK = re.compile(r'(!?\[[^\]]*\]\()([^)\s]+)(\))')

def rebase_links(md:str, base:str='nbs') -> str:
    "Relative Markdown link targets, written relative to folder `base`, rewritten relative to the repository root."
    def sub(m):
        target = m.group(2)
        if re.match(r'^[a-z][a-z0-9+.-]*:|^#|^/', target): return m.group(0)
        return m.group(1) + posixpath.normpath(posixpath.join(base, target)) + m.group(3)
    return _LINK.sub(sub, md)

def results_markdown(figures:Path|str=ROOT/'figures', link_base:str='../figures/') -> str:
    "One row per claims table in `figures/`: the figure, what made it, and each claim's outcome, read from its CSV."
    import csv
    figures = Path(figures)
    index = json.loads((figures/'provenance.json').read_text()) if (figures/'provenance.json').exists() else {}
    rows = ['| figure | made by | holds | contradicted | inconclusive |', '|---|---|---|---|---|']
    for f in sorted(figures.glob('*_claims.csv')):
        recs = [r for r in csv.DictReader(f.open(encoding='utf-8')) if not r['claim'].startswith('↳')]
        if not recs or 'outcome' not in recs[0]: continue
        prov = index.get(f.name, {})
        seeds = prov.get('seeds') or []
        made = f"{prov.get('profile', '?')}, {len(seeds)} seeds" if prov else 'unknown run'
        def cell(outcome):
            hit = [r for r in recs if r['outcome'] == outcome]
            if outcome == 'inconclusive': return str(len(hit))
            return '; '.join(f"{r['claim']} ({r['measured']})".replace('|', '\\|') for r in hit) or '—'
        stem = f.stem.removesuffix('_claims')
        figs = sorted(figures.glob(f'{stem}*.png'), key=lambda p: (p.stem != stem, len(p.stem), p.name))
        name = f"[`{stem}`]({link_base}{figs[0].name})" if figs else f"`{stem}`"
        if (figures/f'{f.stem}.md').exists(): name += f" ([claims]({link_base}{f.stem}.md))"
        rows.append(f"| {name} | {made} | {cell('holds')} | {cell('contradicted')} | {cell('inconclusive')} |")
    return '\n'.join(rows)

def render(nb_path:Path|str=NOTEBOOK) -> str:
    "The README text for notebook `nb_path`."
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = _source(cell)
        if cell['cell_type'] == 'markdown':
            if MAP_MARKER in src:
                sys.path.insert(0, str(ROOT/'tools'))
                import nb_meta
                src = src.replace(MAP_MARKER, nb_meta.notebook_map_markdown())
            if RESULTS_MARKER in src: src = src.replace(RESULTS_MARKER, results_markdown())
            src = rebase_links(src, Path(nb_path).resolve().parent.relative_to(ROOT).as_posix() if Path(nb_path).resolve().is_relative_to(ROOT) else '.')
            if src.strip(): parts.append(src.strip('\n'))
        elif cell['cell_type'] == 'code':
            dirs, code = _directives(src)
            if any(d.split(':')[0].split()[0] in ('hide', 'exporti', 'default_exp') for d in dirs if d) or not code.strip(): continue
            parts.append(f"```python\n{code}\n```")
    return HEADER + '\n\n'.join(parts) + '\n'

def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if '--check' in argv:
        ok = README.exists() and README.read_text(encoding='utf-8') == text
        if not ok: print('README.md is out of date: run `python tools/make_readme.py`', file=sys.stderr)
        return 0 if ok else 1
    README.write_text(text, encoding='utf-8')
    print(f'wrote {README.relative_to(ROOT)}')
    return 0

if __name__ == '__main__': sys.exit(main())

"""Sphinx configuration of the alpapers documentation site (Sphinx + myst-nb; Quarto is not needed).

The pages are the notebooks themselves, read in place: Sphinx's source directory is the repository root and this
file is passed with `-c docs` (see `tools/build_docs.py`). Only `nbs/*.ipynb`, `nbs/experiments/*.ipynb` and the
pages this file writes into `docs/_generated/` (git-ignored) are sources; every other top-level entry is excluded,
and so are notebooks whose name starts with `_` (nbdev ignores those too).

- Home page: `nbs/index.ipynb`. Its table of contents is appended at build time, so the notebook itself stays what
  nbdev and the README need: one sidebar section per entry of `docs/papers.toml` (foundation, baselines, then one per
  paper with its method notebooks and its experiments; `tools/nb_meta.py` decides which notebook goes where), then
  Results and the API. The home page's `<!-- notebook map -->` and `<!-- results -->` lines become the same tables
  the README gets.
- Links: a notebook's links to other notebooks (`06_active.ipynb`) become links to their pages; links into
  `figures/` become links to that file's entry on the Results page, and each Results entry links back to the
  experiment that made it. On the repository's web page the same links open the notebooks and the files.
- Experiment pages show the figure and claims table committed in `figures/` (the `cpu` run), whether or not the
  build executes the notebook.
- Math: MathJax 3 is served from the installed `django-static-mathjax` package (copied into `_static/mathjax`), so
  pages render equations offline; no CDN is used.
- nbdev cell directives (`#| hide`, `#| echo: false`, ...) become myst-nb cell tags; the `#|` lines are not shown.
- Results: `docs/_generated/results.md`, written from whatever `figures/` holds (every PNG, Markdown table, CSV...).
- API: one autodoc page per `alpapers` module, with parameter descriptions taken from the docments comments.
- Execution: off by default (the notebooks are stored without outputs). `ALPAPERS_DOCS_EXECUTE=1` (or `cache`,
  `force`) runs the chapters at build time at the smoke profile, with results and figures going to a temporary
  folder; experiments run too only with `ALPAPERS_DOCS_EXPERIMENTS=1` (their pages show the committed figures).
"""
from __future__ import annotations
import json, os, posixpath, re, shutil, sys, tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GEN = DOCS/'_generated'
sys.path.insert(0, str(ROOT))  # autodoc documents this checkout's package
sys.path.insert(0, str(ROOT/'tools'))
import nb_meta, make_readme  # tools/: the notebooks' sections and links; the README's generated tables

project = 'alpapers'
author = 'alpapers developers'
copyright = 'alpapers developers'
try:
    from alpapers import __version__ as release
except Exception:  # the API pages then report the import error; the notebook pages still build
    release = ''
version = release

extensions = ['myst_nb', 'sphinx.ext.autodoc', 'sphinx.ext.viewcode']

# --- sources: the repository root, restricted to the notebooks and the generated pages --------------------------
root_doc = 'nbs/index'
include_patterns = ['nbs/*.ipynb', 'nbs/*/*.ipynb', 'docs/_generated/**']
exclude_patterns = sorted(p.name for p in ROOT.iterdir() if p.name not in ('nbs', 'docs')) + [
    'nbs/_*', 'nbs/*/_*', '**/.ipynb_checkpoints', 'docs/_extra', 'docs/_static']
CFG = nb_meta.load_config()

def _docname(p:Path) -> str: return nb_meta.rel(p)

def _sections() -> list[tuple[str, list[str]]]:
    "(caption, docnames) per site section that has notebooks: method notebooks first, then experiments."
    out = []
    for sec in nb_meta.site_sections(CFG):
        docs = [_docname(p) for p in sec['methods'] + sec['experiments']]
        if not docs: continue
        paper = CFG['papers'].get(sec.get('paper') or '', {})
        out.append((sec['caption'] + (f" ({paper['venue']})" if paper.get('venue') else ''), docs))
    return out

# --- generated pages ----------------------------------------------------------------------------------------------
def _write_if_changed(path:Path, text:str):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding='utf-8') != text: path.write_text(text, encoding='utf-8')

_SRC_NB = re.compile(r'File to edit: \.\./nbs/(\S+)\.ipynb')

def _modules() -> list[tuple[str, str|None]]:
    "(module, source notebook docname) for every public `alpapers` module, in the order of their notebooks."
    out = []
    for p in sorted((ROOT/'alpapers').glob('*.py')):
        if p.stem.startswith('_'): continue
        m = _SRC_NB.search(p.read_text(encoding='utf-8')[:2000])
        out.append((p.stem, f'nbs/{m.group(1)}' if m and (ROOT/'nbs'/f'{m.group(1)}.ipynb').exists() else None))
    return sorted(out, key=lambda t: (t[1] is None, t[1] or '', t[0]))

def _api_page(mod:str, nb:str|None) -> str:
    title = f'alpapers.{mod}'
    lines = [title, '=' * len(title), '']
    if nb: lines += [f'Explained, with its tests, in :doc:`/{nb}`.', '']
    lines += [f'.. automodule:: alpapers.{mod}', '   :members:', '   :undoc-members:', '   :show-inheritance:', '']
    return '\n'.join(lines)

_FIG_EXTS = ('.png', '.jpg', '.jpeg', '.gif', '.svg')

def _demote(md:str) -> str:
    "Headings in an included table file become level 4+, so they nest under the table's own heading."
    out, fence = [], False
    for line in md.splitlines():
        if line.lstrip().startswith(('```', '~~~')): fence = not fence
        m = None if fence else re.match(r'^(#{1,6})\s', line)
        out.append('#' * min(6, len(m.group(1)) + 3) + line[len(m.group(1)):] if m else line)
    return '\n'.join(out)

def _made_by() -> dict[str, str]:
    "`{file stem: experiment docname}` for every file an experiment writes (manifest outputs, else name prefix)."
    out = {}
    for p in nb_meta.all_notebooks():
        if nb_meta.is_experiment(p):
            for name in nb_meta.experiment_files(p): out.setdefault(Path(name).stem, _docname(p))
    return out

def _results_page(figdir:Path, made_by:dict[str, str]|None=None) -> str:
    "The Results page: every figure and table in `figdir`, grouped by paper key (the stem's first `_` part)."
    lines = ['# Results', '',
             'The figures and tables committed in `figures/`, as the experiment notebooks last wrote them '
             '(each file records the profile it was made at). This page is generated from the folder contents '
             'every time the site is built; building the site never runs the experiments into `figures/`.', '']
    files = sorted(p for p in figdir.glob('*') if p.is_file() and not p.name.startswith('.')) if figdir.is_dir() else []
    if not files:
        return '\n'.join(lines + ['`figures/` holds no figures or tables yet: run the experiment notebooks '
                                  '(see the home page) to regenerate them.', ''])
    stems: dict[str, list[Path]] = {}
    for p in files: stems.setdefault(p.stem, []).append(p)
    claims = [s for s in stems if 'claims' in s and any(p.suffix == '.md' for p in stems[s])]
    n_fig = sum(any(p.suffix.lower() in _FIG_EXTS for p in ps) for ps in stems.values())
    n_tab = sum(any(p.suffix == '.md' for p in ps) for ps in stems.values())
    lines += [f'{n_fig} figure(s) and {n_tab} Markdown table(s), {len(claims)} of them claims tables'
              + (': ' + ', '.join(f'[`{s}`](#{_anchor(s)})' for s in claims) if claims else '') + '.', '']
    groups: dict[str, list[str]] = {}
    for s in stems: groups.setdefault(s.split('_')[0], []).append(s)
    for key in sorted(groups):
        lines += [f'## `{key}`', '']
        for s in sorted(groups[key]):
            ps = {p.suffix.lower(): p for p in stems[s]}
            lines += [f'({_anchor(s)})=', f'### {s}', '']
            if made_by and s in made_by: lines += ['Made by the experiment {doc}`' + f'/{made_by[s]}`.', '']
            img = next((ps[e] for e in ('.png', '.jpg', '.jpeg', '.gif', '.svg') if e in ps), None)
            if img: lines += ['```{image} /figures/' + img.name, f':alt: {s}', ':width: 100%', '```', '']
            if '.md' in ps: lines += [_demote(ps['.md'].read_text(encoding='utf-8')).rstrip(), '']
            other = [p for e, p in sorted(ps.items()) if p is not img and e != '.md']
            if other: lines += ['Files: ' + ', '.join('{download}`' + f'{p.name} </figures/{p.name}>`' for p in other), '']
    return '\n'.join(lines)

def _anchor(stem:str) -> str: return 'results-' + re.sub(r'[^a-z0-9]+', '-', stem.lower()).strip('-')

def _figures_dir() -> Path:
    "The committed figures folder (never the temporary one an executing build writes to)."
    return ROOT/'figures'

def generate():
    "Write the API stubs and the Results page into docs/_generated (only files whose text changed are rewritten)."
    mods = _modules()
    keep = {GEN/'results.md'} | {GEN/'api'/f'{m}.rst' for m, _ in mods}
    for m, nb in mods: _write_if_changed(GEN/'api'/f'{m}.rst', _api_page(m, nb))
    _write_if_changed(GEN/'results.md', _results_page(_figures_dir(), _made_by()))
    for p in GEN.rglob('*'):
        if p.is_file() and p not in keep: p.unlink()
    return mods

_MODULES = generate()

def _toc_cell() -> dict:
    "A markdown cell with the site's hidden toctrees, appended to the home notebook when Sphinx reads it."
    def tree(caption, docs, maxdepth=1):
        if not docs: return ''
        return '\n'.join(['```{toctree}', ':hidden:', f':caption: {caption}', f':maxdepth: {maxdepth}', '',
                          *('/' + d for d in docs), '```', ''])
    text = '\n'.join([*(tree(caption, docs) for caption, docs in _sections()),
                      tree('Results', ['docs/_generated/results']),
                      tree('API reference', [f'docs/_generated/api/{m}' for m, _ in _MODULES])])
    return {'cell_type': 'markdown', 'id': 'alpapers-docs-toc', 'metadata': {}, 'source': text}

# --- nbdev directives -> myst-nb tags -------------------------------------------------------------------------------
def _tst_flags() -> set[str]:
    try:
        import tomllib
        return set(tomllib.loads((ROOT/'pyproject.toml').read_text())['tool']['nbdev'].get('tst_flags', '').split())
    except Exception: return {'notest', 'slow'}

TST_FLAGS = _tst_flags()
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*?)\s*$')

def nbdev_to_tags(cell:dict) -> dict:
    "Strip the leading `#|` directive lines of a code cell and express them as myst-nb tags."
    if cell.get('cell_type') != 'code': return cell
    src = cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])
    lines, directives = src.splitlines(), []
    while lines and (m := _DIRECTIVE.match(lines[0])):
        directives.append(m.group(1)); lines.pop(0)
    if not directives: return cell
    tags = set(cell.setdefault('metadata', {}).get('tags', []))
    for d in directives:
        key, _, val = d.partition(':') if ':' in d else (d.split()[0] if d.split() else '', '', '')
        key, val = key.strip(), val.strip().lower()
        if key in ('hide', 'default_exp') or (key == 'include' and val == 'false'): tags.add('remove-cell')
        elif key == 'echo' and val == 'false': tags.add('remove-input')
        elif key == 'output' and val == 'false': tags.add('remove-output')
        elif key == 'eval' and val == 'false' or key in TST_FLAGS: tags.add('skip-execution')
    if not '\n'.join(lines).strip(): tags.add('remove-cell')
    cell['source'] = '\n'.join(lines)
    cell['metadata']['tags'] = sorted(tags)
    return cell

_MD_LINK = re.compile(r'(!?)\[([^\]]*)\]\(([^)\s]+)\)')

def _site_links(md:str, docname:str) -> str:
    "Links into `figures/` become links to that file's entry on the Results page (images stay images)."
    here = posixpath.dirname(docname)
    def sub(m):
        bang, text, target = m.groups()
        if bang or re.match(r'^[a-z][a-z0-9+.-]*:|^#|^/', target): return m.group(0)
        path = posixpath.normpath(posixpath.join(here, target.split('#')[0]))
        if not path.startswith('figures/') or not (ROOT/path).is_file(): return m.group(0)
        return f'[{text}](/docs/_generated/results.md#{_anchor(Path(path).stem)})'
    return _MD_LINK.sub(sub, md)

def _committed_result_cell(docname:str) -> dict|None:
    "For an experiment page: a markdown cell with its committed figure and claims table (None if `figures/` has neither)."
    path = ROOT/f'{docname}.ipynb'
    out = nb_meta.experiment_outputs(path, _figures_dir())
    if not out['figures'] and not out['claims']: return None
    prov = {}
    try: prov = json.loads((_figures_dir()/'provenance.json').read_text(encoding='utf-8'))
    except (OSError, ValueError): pass
    made = next((prov[n] for n in out['figures'] + out['claims'] if n in prov), {})
    how = f"the `{made['profile']}` profile, {len(made.get('seeds') or [])} seeds" if made.get('profile') else 'a recorded run'
    lines = ['## The committed result', '',
             f'What this experiment last wrote into `figures/`, at {how} (the table\'s last line names the run). '
             'These files come from the repository, not from running this page, so they show the full comparison even '
             'where the code cells below run at the `smoke` profile.', '']
    for n in out['figures']:
        lines += ['```{image} /figures/' + n, f':alt: {Path(n).stem}', ':width: 100%', '```', '']
    for n in out['claims']:
        lines += [_demote((_figures_dir()/n).read_text(encoding='utf-8')).rstrip(), '']
    return {'cell_type': 'markdown', 'id': 'alpapers-docs-committed', 'metadata': {}, 'source': '\n'.join(lines)}

def _on_source_read(app, docname, source):
    if not str(app.env.doc2path(docname)).endswith('.ipynb'): return
    nb = json.loads(source[0])
    nb['cells'] = [nbdev_to_tags(c) for c in nb['cells']]
    md = nb.setdefault('metadata', {})  # the kernel and the lexer need these (tools/nb_meta.py sets the kernelspec)
    md.setdefault('kernelspec', dict(nb_meta.KERNELSPEC))
    md.setdefault('language_info', {'name': 'python'})
    for c in nb['cells']:
        if c['cell_type'] != 'markdown': continue
        text = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
        if docname == root_doc:
            text = text.replace(make_readme.MAP_MARKER, nb_meta.notebook_map_markdown(CFG, _figures_dir()))
            text = text.replace(make_readme.RESULTS_MARKER, make_readme.results_markdown(_figures_dir(), link_base='../figures/'))
        c['source'] = _site_links(text, docname)
    if docname.startswith('nbs/experiments/') and (cell := _committed_result_cell(docname)):
        at = next((i + 1 for i, c in enumerate(nb['cells'][:4]) if c['cell_type'] == 'markdown'
                   and (c['source'] if isinstance(c['source'], str) else ''.join(c['source'])).startswith(nb_meta.OPENING_MARKER)), 1)
        nb['cells'].insert(at, cell)
    if docname == root_doc: nb['cells'].append(_toc_cell())
    source[0] = json.dumps(nb)

def _always_reread(app, env, added, changed, removed):
    # their text depends on folder listings and on figures/, not only on their own files
    return [root_doc, 'docs/_generated/results'] + [_docname(p) for p in nb_meta.all_notebooks() if nb_meta.is_experiment(p)]

_STAR = re.compile(r'(?<![\\\w*])(\*{1,2})([A-Za-z_]\w*)(?![\w*])')

def _rst_safe(text:str) -> str:
    "Escape the `*args`, `**kw` and `|x|` of Markdown-style docstrings (to reST: emphasis, substitutions); code spans stay."
    parts = re.split(r'(`[^`]*`)', text)
    return ''.join(p if p.startswith('`') else _STAR.sub(lambda m: '\\*' * len(m.group(1)) + m.group(2), p).replace('|', '\\|')
                   for p in parts)

def _docments(app, what, name, obj, options, lines):
    "Make docstrings reST-safe and append `:param name: comment` lines from nbdev's docments comments (fastcore)."
    lines[:] = [_rst_safe(l) for l in lines]
    if what not in ('function', 'method', 'class'): return
    try:
        from fastcore.docments import docments
        docs = docments(obj)
    except Exception: return
    params = [(k, v) for k, v in docs.items() if v and k not in ('self', 'return')]
    if not params and not docs.get('return'): return
    if lines and lines[-1].strip(): lines.append('')
    lines += [f':param {k}: {_rst_safe(v)}' for k, v in params]
    if docs.get('return'): lines.append(f":returns: {_rst_safe(docs['return'])}")

def _cache_in_outdir(app, config):
    "Keep myst-nb's execution cache inside the output folder (its default, outdir/../.jupyter_cache, is the repo root)."
    if not config.nb_execution_cache_path: config.nb_execution_cache_path = str(Path(app.outdir)/'.jupyter_cache')

def _mathjax_source() -> Path|None:
    "MathJax 3's `es5/` folder inside the installed `django-static-mathjax` package (None if it is not installed)."
    import importlib.util
    spec = importlib.util.find_spec('mathjax')
    for loc in (spec.submodule_search_locations or []) if spec else []:
        d = Path(loc)/'static'/'mathjax'/'es5'
        if (d/'tex-mml-chtml.js').is_file(): return d
    return None

MATHJAX_PARTS = ('tex-mml-chtml.js', 'a11y', 'adaptors', 'input', 'output/chtml', 'ui')  # not the speech rules or SVG output

def _copy_mathjax(app, exc):
    "Put MathJax into `_static/mathjax` of an HTML build, once per MathJax version."
    if exc or app.builder.format != 'html': return
    src, dst = _mathjax_source(), Path(app.outdir)/'_static'/'mathjax'
    stamp = dst/'.source'
    if stamp.is_file() and stamp.read_text() == str(src): return
    for part in MATHJAX_PARTS:
        a, b = src/part, dst/part
        if a.is_dir(): shutil.copytree(a, b, dirs_exist_ok=True)
        else: b.parent.mkdir(parents=True, exist_ok=True); shutil.copy2(a, b)
    stamp.write_text(str(src))

if _mathjax_source() is None:
    raise RuntimeError("MathJax is not installed: the docs serve it from the django-static-mathjax package, not a CDN; "
                       "install the docs extra, `pip install -e \".[docs]\"`")

def setup(app):
    app.connect('config-inited', _cache_in_outdir)
    app.connect('source-read', _on_source_read)
    app.connect('env-get-outdated', _always_reread)
    app.connect('autodoc-process-docstring', _docments)
    app.connect('build-finished', _copy_mathjax)
    return {'parallel_read_safe': True}

# --- execution (off by default) -------------------------------------------------------------------------------------
_EXEC_MODES = {'': 'off', '0': 'off', 'off': 'off', 'no': 'off', 'false': 'off',
               '1': 'cache', 'yes': 'cache', 'true': 'cache', 'cache': 'cache', 'force': 'force'}
_exec = os.environ.get('ALPAPERS_DOCS_EXECUTE', '').strip().lower()
if _exec not in _EXEC_MODES:
    raise ValueError(f"ALPAPERS_DOCS_EXECUTE={_exec!r}: use one of 0/off, 1/cache, force")
nb_execution_mode = _EXEC_MODES[_exec]
# experiment pages show their committed figures; running them (smoke profile) is asked for separately
nb_execution_excludepatterns = [] if os.environ.get('ALPAPERS_DOCS_EXPERIMENTS', '') in ('1', 'yes', 'true') else ['nbs/experiments/*']
if nb_execution_mode != 'off':
    # The kernels inherit this environment: nbdev_export() cells become no-ops (IN_TEST), and results and figures
    # go to a temporary folder so a docs build never overwrites the committed figures/.
    os.environ.setdefault('IN_TEST', '1')
    os.environ.setdefault('ALPAPERS_PROFILE', 'smoke')
    _tmp = Path(tempfile.mkdtemp(prefix='alpapers-docs-'))
    os.environ.setdefault('ALPAPERS_RESULTS', str(_tmp/'results'))
    os.environ.setdefault('ALPAPERS_FIGURES', str(_tmp/'figures'))
nb_execution_timeout = int(os.environ.get('ALPAPERS_DOCS_TIMEOUT', '600'))  # seconds per cell
nb_execution_raise_on_error = False  # a failing notebook is a warning (an error under -W), and the others still run
nb_execution_show_tb = True
nb_execution_in_temp = False  # run in the notebook's folder, as nbdev-test does

# --- rendering --------------------------------------------------------------------------------------------------
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'deflist']
myst_heading_anchors = 3
default_role = 'literal'  # docstrings write `name` as in Markdown
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_preserve_defaults = True

html_theme = 'sphinx_book_theme'
html_title = 'alpapers'
html_extra_path = ['_extra']  # index.html at the site root, redirecting to the home notebook
html_static_path = ['_static']
html_css_files = ['alpapers.css']  # a content column wide enough for the notebooks' code lines
mathjax_path = 'mathjax/tex-mml-chtml.js'  # relative to _static: copied from the installed package (_copy_mathjax)
html_theme_options = {'home_page_in_toc': True, 'show_toc_level': 2, 'navigation_with_keys': False}
html_last_updated_fmt = None

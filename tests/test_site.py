"""The built site in headless Chromium, as a reader gets it: the home page, one paper chapter, one experiment and the
Results page. A page fails on an image that does not load, an internal link that leads nowhere (a missing page or a
missing anchor), an equation MathJax did not render (or raw TeX left in the text), or a script from another host
(MathJax must come from the site itself, so pages render offline). The executed outputs must carry no warnings and
no paths of the machine that built them.
"""
from __future__ import annotations
import re, sys, tempfile, urllib.error, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = {'home': 'nbs/index.html', 'chapter': 'nbs/10_l2ral.html', 'experiment': 'nbs/experiments/l2ral_fig4.html',
         'results': 'docs/_generated/results.html'}

_INSPECT = r"""
const main = document.querySelector('main') || document.body;
const imgs = [...document.querySelectorAll('img')].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}));
const maths = [...main.querySelectorAll('.math')];
const clone = main.cloneNode(true);
clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, .math').forEach(e => e.remove());
let width = null;
const pre = main.querySelector('div.cell_input pre');
if (pre) {
  const probe = document.createElement('span'); probe.textContent = 'x'.repeat(120);
  pre.appendChild(probe);
  const cs = getComputedStyle(pre);
  width = {need: probe.getBoundingClientRect().width,
           have: pre.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)};
  probe.remove();
}
return {
  images: imgs,
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  scripts: [...document.scripts].map(s => s.src).filter(Boolean),
  math_total: maths.length,
  math_rendered: maths.filter(m => m.querySelector('mjx-container')).length,
  math_errors: main.querySelectorAll('mjx-merror').length,
  text: clone.textContent,
  captions: [...document.querySelectorAll('.bd-sidebar-primary p.caption')].map(p => p.textContent.trim()),
  output_images: main.querySelectorAll('div.cell_output img').length,
  code_width: width,
};
"""

_WAIT_MATHJAX = r"""
const done = arguments[arguments.length - 1];
if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(() => done(true), e => done(String(e)));
else done(null);
"""

_RAW_TEX = re.compile(r'\\\(|\\\[|\$\$|\\(?:frac|mathrm|tag|sum|min|lVert|rVert|hat|varepsilon)\b')

@pytest.fixture(scope='module')
def pages(browser, site_url):
    "Each page of PAGES loaded in Chromium (MathJax awaited), with what the page shows."
    from selenium.webdriver.support.ui import WebDriverWait
    out = {}
    for key, rel in PAGES.items():
        browser.get(f'{site_url}/{rel}')
        WebDriverWait(browser, 60).until(lambda d: d.execute_script('return document.readyState') == 'complete')
        mj = browser.execute_async_script(_WAIT_MATHJAX)
        out[key] = dict(browser.execute_script(_INSPECT), mathjax=mj, url=f'{site_url}/{rel}')
    return out

def _get(url:str, cache:dict) -> str|None:
    "The text at `url` (None for a 4xx/5xx), fetched once."
    if url not in cache:
        try:
            with urllib.request.urlopen(url, timeout=30) as r: cache[url] = r.read().decode('utf-8', 'replace')
        except urllib.error.HTTPError: cache[url] = None
    return cache[url]

@pytest.mark.parametrize('key', list(PAGES))
def test_page_images_load(pages, key):
    p = pages[key]
    bad = [i['src'] for i in p['images'] if not i['ok']]
    assert not bad, f"{key} ({p['url']}): images that did not load: {bad}"

@pytest.mark.parametrize('key', list(PAGES))
def test_page_internal_links_resolve(pages, site_url, key):
    cache, broken = {}, []
    for href in sorted(set(pages[key]['links'])):
        if not href.startswith(site_url): continue
        url, _, frag = href.partition('#')
        html = _get(url, cache)
        if html is None: broken.append(f'{href} (no such page)')
        elif frag and url.endswith('.html') and not re.search(r'\bid="' + re.escape(frag) + '"', html):
            broken.append(f'{href} (no anchor #{frag})')
    assert not broken, f"{key} ({pages[key]['url']}): broken internal links:\n" + '\n'.join(broken)

@pytest.mark.parametrize('key', list(PAGES))
def test_page_equations_render_offline(pages, site_url, key):
    p = pages[key]
    foreign = [s for s in p['scripts'] if not s.startswith(site_url)]
    assert not foreign, f"{key}: scripts from another host (the site must work offline): {foreign}"
    assert p['math_rendered'] == p['math_total'], f"{key}: {p['math_total'] - p['math_rendered']} of {p['math_total']} equations not rendered"
    assert p['math_errors'] == 0, f"{key}: {p['math_errors']} TeX errors"
    raw = sorted(set(_RAW_TEX.findall(p['text'])))
    assert not raw, f"{key}: raw TeX left in the page text: {raw}"
    if p['math_total']: assert p['mathjax'] is True, f"{key}: MathJax did not start ({p['mathjax']})"

def test_chapter_has_its_equations_and_plot(pages):
    p = pages['chapter']
    assert p['math_total'] >= 6 and p['mathjax'] is True    # L2R-AL's Eqs. 1-6, typeset
    assert p['output_images'] >= 1, "10_l2ral shows no plot: the executed chapter should draw the sorter's ranks"

def test_code_fits_the_content_column(pages):
    # in the browser's 1600-pixel-wide window (conftest.py), both sidebars shown: a 120-character line needs no scrolling
    w = pages['chapter']['code_width']
    assert w, 'no code cell found on the chapter page'
    assert w['need'] <= w['have'], f"a 120-character code line needs {w['need']:.0f}px, the column gives {w['have']:.0f}px"

def test_sidebar_is_grouped_by_paper(pages):
    caps = pages['home']['captions']
    assert caps[0] == 'Foundation' and caps[-2:] == ['Results', 'API reference'], caps
    l2ral = next(i for i, c in enumerate(caps) if c.startswith('L2R-AL'))
    assert caps.index('Foundation') < l2ral
    assert all(caps.index(c) > l2ral for c in caps if c.startswith('MATAL'))

def test_experiment_page_shows_committed_figure_and_claims(pages, site):
    p = pages['experiment']
    assert any('l2ral_fig4' in i['src'] and i['ok'] for i in p['images']), p['images']
    html = (site/PAGES['experiment']).read_text(encoding='utf-8')
    assert 'The committed result' in html and 'L2R-AL Fig. 4: claims at profile cpu' in html
    assert any(h.split('#')[0].endswith('docs/_generated/results.html') and '#results-l2ral-fig4' in h for h in p['links'])

def test_results_page_links_back_to_experiments(pages):
    assert any(h.endswith('nbs/experiments/l2ral_fig4.html') for h in pages['results']['links'])

def _machine_paths() -> list[str]:
    out = {str(ROOT), sys.prefix, str(Path.home()) + '/', tempfile.gettempdir().rstrip('/') + '/'}
    return sorted(p for p in out if len(p) > 3)

def test_executed_outputs_have_no_warnings_or_machine_paths(site):
    from bs4 import BeautifulSoup
    bad, executed = [], 0
    for page in sorted((site/'nbs').rglob('*.html')):
        soup = BeautifulSoup(page.read_text(encoding='utf-8'), 'html.parser')
        outs = soup.select('div.cell_output')
        executed += bool(outs)
        for o in outs:
            text = o.get_text(' ')
            rel = page.relative_to(site).as_posix()
            for w in set(re.findall(r'\b\w*Warning\b(?=:)', text)): bad.append(f'{rel}: {w}')
            for p in _machine_paths():
                if p in text: bad.append(f'{rel}: the path {p!r}')
    assert executed >= 10, f'only {executed} pages have outputs: was the site built with --execute?'
    assert not bad, 'outputs with warnings or machine paths:\n' + '\n'.join(sorted(set(bad)))

"""Fixtures shared by the documentation tests: the built site (built once per session) and a headless Chromium.

The browser tests drive Debian's `chromium` through `chromedriver` (`apt-get install chromium chromium-driver`) with
Selenium (the `dev` extra). Without them those tests are skipped with the reason; with ALPAPERS_REQUIRE_BROWSER=1
(set by .ci/run) a missing browser is a failure instead, so CI cannot pass by skipping them.
ALPAPERS_TEST_SITE=DIR tests a site already built into DIR instead of building one.
"""
from __future__ import annotations
import functools, http.server, importlib.util, os, shutil, subprocess, sys, threading
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS_PACKAGES = ('sphinx', 'myst_nb', 'sphinx_book_theme', 'mathjax')

def docs_missing() -> list[str]:
    "The docs packages that are not importable here."
    return [m for m in DOCS_PACKAGES if importlib.util.find_spec(m) is None]

def browser_missing() -> str|None:
    "Why the browser tests cannot run here (None when they can)."
    if importlib.util.find_spec('selenium') is None: return "selenium is not installed (pip install -e '.[dev]')"
    if not (shutil.which('chromium') or shutil.which('chromium-browser')): return "no chromium browser (apt-get install chromium chromium-driver)"
    if not shutil.which('chromedriver'): return "no chromedriver (apt-get install chromium-driver)"
    return None

def _require_browser() -> bool: return os.environ.get('ALPAPERS_REQUIRE_BROWSER', '') in ('1', 'yes', 'true')

@pytest.fixture(scope='session')
def browser():
    "A headless Chromium (Selenium WebDriver), shared by the session."
    why = browser_missing()
    if why:
        if _require_browser(): pytest.fail(f"ALPAPERS_REQUIRE_BROWSER is set but {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    opts = Options()
    opts.binary_location = shutil.which('chromium') or shutil.which('chromium-browser')
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1600,1000',
              '--disable-extensions', '--no-first-run', '--lang=en-US'):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    try: yield drv
    finally: drv.quit()

@pytest.fixture(scope='session')
def site(tmp_path_factory):
    "The site, built once: chapters executed at the smoke profile (experiments show their committed figures)."
    if miss := docs_missing():
        if _require_browser(): pytest.fail(f"ALPAPERS_REQUIRE_BROWSER is set but the docs packages are missing: {', '.join(miss)}")
        pytest.skip(f"docs extra not installed ({', '.join(miss)} missing): pip install -e '.[docs]'")
    if (pre := os.environ.get('ALPAPERS_TEST_SITE')) and (Path(pre)/'index.html').is_file():
        return Path(pre)  # a site already built with `tools/build_docs.py --execute --out DIR` (for iterating on the tests)
    out = tmp_path_factory.mktemp('site')
    env = {k: v for k, v in os.environ.items() if k not in ('ALPAPERS_DOCS_EXECUTE', 'ALPAPERS_DOCS_EXPERIMENTS')}
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py'), '--execute', '--out', str(out), '-q'],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=2400)
    assert r.returncode == 0, f"docs build failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    return out

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

@pytest.fixture(scope='session')
def site_url(site):
    "The built site served over HTTP on 127.0.0.1 (a free port), as a browser would load it."
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
    try: yield f'http://127.0.0.1:{srv.server_address[1]}'
    finally: srv.shutdown(); srv.server_close()

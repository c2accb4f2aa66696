"""The tutorial in JupyterLab: `jupyter lab nbs/index.ipynb` opens the notebook with its first heading rendered and
its kernel started, with no "Select Kernel" dialog (the notebooks keep a `python3` kernelspec, see tools/nb_meta.py).

A control run opens a copy whose kernelspec was removed and expects the dialog, so the check can fail.
A JupyterLab server is started on 127.0.0.1 (a free port) with its own config, runtime and workspace folders, and
stopped at the end.
"""
from __future__ import annotations
import importlib.util, json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(importlib.util.find_spec('jupyterlab') is None and os.environ.get('ALPAPERS_REQUIRE_BROWSER', '') not in ('1', 'yes', 'true'),
                                reason="JupyterLab is not installed: pip install -e '.[lab]'")

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "A JupyterLab server over a folder holding nbs/index.ipynb as committed and a copy without its kernelspec."
    assert importlib.util.find_spec('jupyterlab') is not None, "JupyterLab is not installed: pip install -e '.[lab]'"
    tmp = tmp_path_factory.mktemp('lab')
    root = tmp/'root'; (root/'nbs').mkdir(parents=True)
    shutil.copy(ROOT/'nbs'/'index.ipynb', root/'nbs'/'index.ipynb')
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
    nb.get('metadata', {}).pop('kernelspec', None)
    (root/'nbs'/'no_kernelspec.ipynb').write_text(json.dumps(nb), encoding='utf-8')
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp/'config'), JUPYTER_RUNTIME_DIR=str(tmp/'runtime'),
               JUPYTERLAB_SETTINGS_DIR=str(tmp/'settings'), JUPYTERLAB_WORKSPACES_DIR=str(tmp/'workspaces'))
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}', '--port-retries=0',
           f'--ServerApp.root_dir={root}', "--IdentityProvider.token=", '--ServerApp.password=',
           '--ServerApp.disable_check_xsrf=True', f'--LabApp.workspaces_dir={tmp/"workspaces"}', '--LabApp.news_url=',
           '--ServerApp.allow_root=True']
    log = (tmp/'lab.log').open('w')
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        for _ in range(120):
            if proc.poll() is not None: break
            try:
                urllib.request.urlopen(f'{url}/api/status', timeout=2); break
            except OSError: time.sleep(0.5)
        else: pass
        if proc.poll() is not None:
            raise AssertionError(f"JupyterLab exited ({proc.returncode}):\n{(tmp/'lab.log').read_text()[-3000:]}")
        yield url
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()

def _open(browser, url:str) -> dict:
    "Open a notebook in JupyterLab; wait for its first heading; report dialogs and the kernel's name."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(url)
    wait = WebDriverWait(browser, 90)
    # the visible notebook's first heading, read while it is shown (an earlier notebook's tab stays open, hidden, in the same lab)
    heading = wait.until(lambda d: next((e.text.strip() for e in
                                         d.find_elements(By.CSS_SELECTOR, '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown h1')
                                         if e.text.strip()), None))
    deadline = time.time() + 30  # the kernel session is set up after the document opens: wait for a kernel or a dialog
    state = {}
    while time.time() < deadline:
        state = browser.execute_script("""
            const p = '.jp-NotebookPanel:not(.lm-mod-hidden) ';
            const k = document.querySelector(p + '.jp-NotebookPanel-toolbar .jp-KernelName, ' + p + '.jp-Toolbar-kernelName');
            return {dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 200)),
                    kernel: k ? k.innerText.trim() : null};""")
        if state['dialogs'] or (state['kernel'] and state['kernel'] not in ('No Kernel', 'Kernel', '')): break
        time.sleep(0.5)
    time.sleep(2)  # a dialog that comes late still counts
    state['dialogs'] = browser.execute_script("return [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 200));")
    return dict(state, heading=heading)

def test_notebook_opens_with_heading_and_kernel_without_dialog(browser, lab):
    r = _open(browser, f'{lab}/lab/tree/nbs/index.ipynb')
    assert r['heading'].startswith('alpapers'), r
    assert not r['dialogs'], f"JupyterLab showed a dialog: {r['dialogs']}"
    assert r['kernel'] and 'python' in r['kernel'].lower(), r

def test_control_without_kernelspec_shows_the_dialog(browser, lab):
    r = _open(browser, f'{lab}/lab/tree/nbs/no_kernelspec.ipynb')
    assert r['heading'].startswith('alpapers'), r
    assert any('kernel' in d.lower() for d in r['dialogs']), f"expected JupyterLab's kernel dialog for a notebook without kernelspec: {r}"

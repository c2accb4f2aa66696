"""Wall time of the whole test suite and of the smoke reproduction, measured side by side in one run.

    python benchmarks/suite_time.py            # nbdev-test, pytest, alpapers reproduce --profile smoke

Results and figures of the reproduction go to a temporary folder, so the committed figures are untouched.
Target (issue 2): nbdev-test + `alpapers reproduce --profile smoke` under 10 minutes on a 2-core machine.
"""
import os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def timed(label, cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    status = 'ok' if r.returncode == 0 else f'FAILED (exit {r.returncode})'
    print(f"{label:<40s} {dt:8.1f} s  {status}", flush=True)
    if r.returncode: print(r.stdout[-2000:], r.stderr[-2000:], sep='\n')
    return dt

if __name__ == '__main__':
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, 'ALPAPERS_RESULTS': f'{d}/results', 'ALPAPERS_FIGURES': f'{d}/figures'}
        t_nb = timed('nbdev-test (all notebooks)', [str(BIN/'nbdev-test')], env)
        t_py = timed('pytest', [sys.executable, '-m', 'pytest', '-q'], env)
        t_rp = timed('alpapers reproduce --profile smoke', [str(BIN/'alpapers'), 'reproduce', '--profile', 'smoke'], env)
    total = t_nb + t_rp
    print(f"{'nbdev-test + reproduce smoke':<40s} {total:8.1f} s  (target < 600 s: {'met' if total < 600 else 'missed'})")
    print(f"{'everything incl. pytest':<40s} {total + t_py:8.1f} s")

"""The GPU check's parts that run anywhere: the wheel list for the node, and the stage-rate benchmark at ci sizes."""
import os, subprocess, sys
from pathlib import Path

import pandas as pd

from condaclarid.paper import discover, paper_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'benchmarks'))
from gpu_wheels import closure, NODE_HAS, ROOTS  # noqa: E402


def test_wheel_closure_carries_what_the_node_lacks():
    names = closure()
    assert set(ROOTS) <= set(names), set(ROOTS) - set(names)
    assert {'jupyter-client', 'pyzmq', 'nbclient', 'traitlets'} <= set(names)   # the kernel papermill starts
    assert not set(names) & set(NODE_HAS), set(names) & set(NODE_HAS)          # never a second copy of torch & co.
    assert 'tensorflow' not in names                                           # animal-mnist's data need no tensorflow


def test_stage_rates_and_prediction_at_ci_sizes(tmp_path):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    r = subprocess.run([sys.executable, str(ROOT/'benchmarks'/'paper_rates.py'), '--profile', 'ci', '--quick', '--device', 'cpu',
                        '--out', str(tmp_path)], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    rates = pd.read_csv(tmp_path/'rates.csv')
    assert (rates.rate > 0).all() and rates.rate.notna().all(), rates
    for stage in ('simulation: video', 'training: ConDA denoiser', 'inversion: CLARID teacher', 'CEBRA', 'CLARID Jacobian',
                  'student training'):
        assert stage in set(rates.stage), stage
    pred = pd.read_csv(tmp_path/'predicted.csv')
    assert list(pred.notebook) == [n.id for n in discover(paper_dir())] + ['total']
    assert abs(pred['predicted (h)'].iloc[:-1].sum() - pred['predicted (h)'].iloc[-1]) < 1e-9
    stages = pd.read_csv(tmp_path/'predicted_stages.csv')
    assert set(stages.stage) <= set(rates.stage) and (stages.units > 0).all()
    assert (tmp_path/'rates.md').read_text().startswith('| device')

"""Training, inversion, sampling and CLARID across two processes (`accelerate launch`, gloo on the CPU) against one.

`multiprocess_job.py` runs once as a plain process and once under `accelerate launch --multi_gpu --num_processes 2`
(accelerate's multi-process launcher; without GPUs the processes form a gloo group on the CPU)."""
import os, socket, subprocess, sys
from pathlib import Path

import pytest
import torch
from fastcore.test import test_close as close, test_eq as equal

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT/'tests'/'multiprocess_job.py'


def env() -> dict:
    "One torch thread per process, no GPU (the test is about gloo on the CPU), this checkout's package."
    return {**os.environ, 'OMP_NUM_THREADS': '1', 'CONDACLARID_QUIET': '1', 'CUDA_VISIBLE_DEVICES': '',
            'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}


def free_port() -> int:
    "A free TCP port for the processes' rendezvous (other test runs on this machine may hold accelerate's default)."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def accelerate_launch(*args, processes: int = 2) -> list:
    "The command line of `accelerate launch` with `processes` processes on this machine."
    return [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', str(processes),
            '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no',
            '--main_process_port', str(free_port()), *map(str, args)]


def run(cmd: list):
    done = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    "What the job computed with one process and with two."
    one, two = tmp_path_factory.mktemp('one'), tmp_path_factory.mktemp('two')
    run([sys.executable, JOB, one])
    run(accelerate_launch(JOB, two))
    return torch.load(one/'result-1.pt'), torch.load(two/'result-2.pt')


def same_state(a: dict, b: dict, eps: float = 0.0):
    equal(a.keys(), b.keys())
    for k in a: close(a[k].float(), b[k].float(), eps=eps) if eps else equal(a[k], b[k])


def check_training(res: dict, run: str, init: dict):
    "Losses finite, weights moved, every process ends with the same weights, and the resumed run with the same ones."
    full, resumed = res[run], res[run + '_resumed']
    assert all(torch.isfinite(torch.tensor(l)) for l in full['loss']), full['loss']
    assert any(not torch.equal(init[k], full['weights'][0][k]) for k in init)            # it trained
    for w in full['weights'][1:]: same_state(full['weights'][0], w)                      # processes in sync
    equal(full['resumed_at'], 0); assert resumed['resumed_at'] > 0                      # the second call resumed
    equal(resumed['loss'], full['loss'])                                               # ... to the same run
    same_state(resumed['weights'][0], full['weights'][0])


def test_two_processes_ran(results):
    one, two = results
    equal((one['processes'], two['processes']), (1, 2))


def test_diffusion_training(results):
    one, two = results
    equal((one['den']['rows'], two['den']['rows']), ([[8]], [[4], [4]]))   # each process trains on half of each batch
    for res in results: check_training(res, 'den', res['den_init'])
    # the processes' gradients are averaged: two halves of each batch train what the whole batch trains
    close(two['den']['loss'], one['den']['loss'], eps=1e-5)
    same_state(two['den']['weights'][0], one['den']['weights'][0], eps=1e-4)


def test_student_training(results):
    # per-process BatchNorm and CKA batches: two processes do not reproduce one, but train, agree and resume
    one, two = results   # 8 images + 8 teacher images in 2 views per step, halved
    equal((one['student']['rows'], two['student']['rows']), ([[24]], [[12], [12]]))
    for res in results: check_training(res, 'student', res['student_init'])


def test_inference_same_as_one_process(results):
    "Inversion, sampling, canonical features and two-stage sampling: 5 images, split 3 + 2, back in order."
    one, two = results
    equal((one['invert_rows'], two['invert_rows']), ([50], [30, 20]))   # 10 steps x (3 + 2) images
    for key in ('latents', 'latent_of_one', 'samples', 'features', 'two_stage'): close(two[key], one[key], eps=1e-4)


def test_clarid_same_as_one_process(results):
    one, two = results
    equal(two['clarid']['k'], one['clarid']['k'])
    for key in ('x_canonical', 'canonical', 'sigma'): close(two['clarid'][key], one['clarid'][key], eps=1e-4)


def test_command_line_two_processes(tmp_path):
    "`accelerate launch ... -m condaclarid.cli invert` with two processes writes the latents one process computes."
    from condaclarid.core import seed_everything
    from condaclarid.inversion import ddim_invert
    from condaclarid.models import Denoiser, ModelConfig
    from condaclarid.scale import load_arrays, save_arrays
    from condaclarid.train import moving_blobs
    imgs, _, c = moving_blobs(5, size=8)
    seed_everything(0)
    den = Denoiser(ModelConfig(arch='dit', sample_size=8, condition='class', num_classes=3, dit_layers=1, dit_heads=2,
                               dit_head_dim=8, patch_size=2))
    den.save_pretrained(tmp_path/'model'); save_arrays(tmp_path/'x.npz', images=imgs, labels=c)
    run(accelerate_launch('-m', 'condaclarid.cli', 'invert', tmp_path/'model', tmp_path/'x.npz', tmp_path/'z.npz',
                          '--num-steps', 5, '--batch-size', 2))
    z, y = load_arrays(tmp_path/'z.npz', 'latents', 'labels')
    equal(y, c)
    close(z, ddim_invert(den, imgs, c, num_steps=5, batch_size=2, quiet=True), eps=1e-4)

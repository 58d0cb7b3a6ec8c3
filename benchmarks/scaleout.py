"""Training and inversion speed with one process against several (`accelerate launch`).

For the `cpu`-profile DiT (randomly initialised: speed does not depend on the weights) at 32x32, print seconds per
training step of the global batch and images/s of DDIM inversion, with as many processes as the script was launched
with. Run it once plainly and once launched, and compare the tables:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scaleout.py
    OMP_NUM_THREADS=1 .venv/bin/accelerate launch --multi_gpu --num_processes 2 benchmarks/scaleout.py

With one torch thread per process, two processes on two cores should approach twice the rate of one; on GPUs, launch
one process per GPU.
"""
from __future__ import annotations
import argparse, tempfile, time, warnings

import pandas as pd
import torch

from condaclarid.core import get_device, is_main_process, seed_everything
from condaclarid.models import Denoiser
from condaclarid.inversion import ddim_invert
from condaclarid.train import backbone_preset, fit_denoiser, moving_blobs

warnings.filterwarnings('ignore', category=FutureWarning)

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--steps', type=int, default=10, help='training steps timed (after 2 warm-up steps)')
ap.add_argument('--images', type=int, default=32, help='images inverted')
ap.add_argument('--num-steps', type=int, default=10, help='DDIM steps of the inversion')
args = ap.parse_args()

preset = backbone_preset('cpu', sample_size=32, condition='class', num_classes=3)
imgs, _, c = moving_blobs(256, size=32)
device = get_device()
cfg = preset.train
cfg.steps, cfg.checkpoint_every, cfg.warmup_steps = args.steps + 2, 10**6, 0
seed_everything(0); den = Denoiser(preset.model, scheduler=cfg.scheduler())
times = []
def tick(step, loss):
    if device.type == 'cuda': torch.cuda.synchronize()
    times.append(time.perf_counter())
with tempfile.TemporaryDirectory() as work:
    meta = fit_denoiser(den, imgs, c, cfg, f'{work}/run', on_step=tick, quiet=True)
train = (times[-1] - times[1]) / (len(times) - 2)
den.to(device)
x, y = imgs[:args.images], c[:args.images]
ddim_invert(den, x[:2], y[:2], num_steps=2, quiet=True)   # warm-up
t0 = time.perf_counter()
ddim_invert(den, x, y, num_steps=args.num_steps, batch_size=64, quiet=True)
inv = time.perf_counter() - t0
if is_main_process():
    print(pd.DataFrame([{'processes': meta['processes'], 'device': meta['device'], 'batch': cfg.batch_size,
                         's/train step': round(train, 3), 'train images/s': round(cfg.batch_size / train, 1),
                         'inversion images/s': round(args.images / inv, 2), 'inversion steps': args.num_steps}]).to_string(index=False))

"""Student training throughput per distillation method.

For PreActResNet students on 32x32 RGB images (randomly initialised, random images and a stand-in teacher signal:
speed does not depend on the values) print, per method and student size, the wall and CPU milliseconds per step,
the training throughput in images/s of the full training set (batch_size rows per step) and of all images the
student sees (teacher-signal methods add two views of teacher_batch_size items per step), and the minutes that
--epochs epochs over --train-size images would take. Throughput and minutes use the CPU time of the process: with
--threads 1 (the default) that is what a step costs one idle core, whatever else runs on the machine; on an idle
machine the wall time equals it. The teacher's features have the shape of the cpu-profile DiT's
last block: 64 tokens of 128 dims.

    .venv/bin/python benchmarks/distill.py                      # default: about three minutes on an idle CPU core
    .venv/bin/python benchmarks/distill.py --widths 16 --blocks 1 1 1 1 --steps 10
"""
from __future__ import annotations
import argparse, tempfile, time, warnings

import numpy as np
import pandas as pd
import torch

from condaclarid.core import seed_everything
from machine import machine, machine_options, where
from condaclarid.distill import METHODS, DistillConfig, PreActResNet, TeacherSignal, fit_student

warnings.filterwarnings('ignore', category=FutureWarning)


def stand_in_data(n: int, m: int, size: int, num_classes: int, tokens: int, dim: int, seed: int = 0) -> tuple:
    "Random images `(n, 3, size, size)` in [-1, 1], labels, and a teacher signal of `m` items with `(m, tokens, dim)` features."
    g = seed_everything(seed)
    images = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    labels = torch.arange(n) % num_classes
    idx = torch.arange(0, n, n // m)[:m]
    views = torch.rand(m, 3, size, size, generator=g) * 2 - 1
    return images, labels, TeacherSignal(idx, torch.randn(m, tokens, dim, generator=g), views, labels[idx])


def bench(method: str, width: int, blocks: tuple, data: tuple, a) -> dict:
    """Median wall and CPU (process) seconds per step over `a.steps` steps of `method`, after the first (warm-up) step.
    With one thread on a busy machine the CPU time is what the step costs an idle core."""
    images, labels, teacher = data
    cfg = DistillConfig(method=method, steps=a.steps + 1, batch_size=a.batch_size, teacher_batch_size=a.teacher_batch_size,
                        width=width, blocks=blocks, checkpoint_every=10 ** 6)
    seed_everything(0)
    student = PreActResNet(int(labels.max()) + 1, width, blocks)
    clocks = []
    with tempfile.TemporaryDirectory() as tmp:
        meta = fit_student(student, images, labels, cfg, tmp, teacher=teacher, device=a.device, quiet=True,
                           on_step=lambda step, loss: clocks.append((time.perf_counter(), time.process_time())))
    wall, cpu = (float(np.median(np.diff([c[k] for c in clocks]))) for k in (0, 1))
    seen = a.batch_size + (0 if method == 'vanilla' else 2 * meta['teacher_batch_size'])
    steps = a.epochs * a.train_size / a.batch_size
    return {'width': width, 'params (M)': sum(p.numel() for p in student.parameters()) / 1e6, 'method': method,
            'wall ms/step': 1e3 * wall, 'CPU ms/step': 1e3 * cpu, 'train images/s (CPU)': a.batch_size / cpu,
            'all images/s (CPU)': seen / cpu, f'CPU min, {a.epochs} epochs of {a.train_size}': steps * cpu / 60}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--widths', type=int, nargs='+', default=[16, 32])
    p.add_argument('--blocks', type=int, nargs='+', default=[2, 2, 2, 2], help='blocks per stage (default: ResNet-18)')
    p.add_argument('--methods', nargs='+', default=list(METHODS), choices=METHODS)
    p.add_argument('--steps', type=int, default=15, help='timed optimiser steps per row')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--teacher-batch-size', type=int, default=32)
    p.add_argument('--train-size', type=int, default=5000, help='training images, for the minutes column')
    p.add_argument('--epochs', type=int, default=10, help='epochs, for the minutes column')
    machine_options(p, device='cpu', threads=1)   # one thread: CPU time = idle wall time
    a = p.parse_args()
    dev = machine(a)
    data = stand_in_data(1024, 128, 32, 10, 64, 128)
    print(f"students: PreActResNet, blocks {tuple(a.blocks)}, 32x32 RGB, 10 classes; batch {a.batch_size} + teacher batch "
          f"{a.teacher_batch_size} (x2 views); teacher features (64, 128); {where(dev)}; {a.steps} steps per row")
    rows = [bench(m, w, tuple(a.blocks), data, a) for w in a.widths for m in a.methods]
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=('.0f', '.2f', '', '.0f', '.0f', '.0f', '.0f', '.1f')))


if __name__ == '__main__':
    main()

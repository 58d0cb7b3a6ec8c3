"""Time of each attack of `condaclarid.robustness`, in seconds per 100 attacked images, for budgeting evaluations.

The model is a STAND-IN for the students of `condaclarid.distill` (not imported, so this script runs on its own):
a plain conv net for 32x32 images with four stages of four 3x3 convolutions (widths w, 2w, 4w, 8w; BatchNorm,
ReLU, global pooling). At the default w = 64 it has the size and the multiply-adds of a pre-activation ResNet-18
(about 11M parameters, 0.55 GMAC per image) minus the skip connections, which cost little. It is randomly
initialised (speed does not depend on the weights), and the labels are its own predictions, so every image is
classified correctly and attacked in full (`robust_accuracy` attacks only correctly classified images, and so does
APGD inside itself).

Printed per attack: seconds for `--n` images, seconds per 100 images (linear in the number of images, measured
once after a warm-up), gradient steps per image, and the seconds per image and gradient step: the cost of the
torchattacks bookkeeping on top of a forward and backward pass shows as a higher per-step time than PGD's.

    .venv/bin/python benchmarks/robustness.py                     # ResNet-18-sized stand-in, 8 images: ~3 min on 1 thread
    .venv/bin/python benchmarks/robustness.py --width 16 --n 32   # 1/16 of the multiply-adds: ~1 min
    .venv/bin/python benchmarks/robustness.py --device cuda --n 256
"""
from __future__ import annotations
import argparse, time

import pandas as pd
import torch
import torch.nn as nn

from condaclarid.core import seed_everything
from machine import machine, machine_options, where
from condaclarid.robustness import ATTACKS, attack, attack_spec, predict_logits


def standin(width: int = 64, num_classes: int = 10) -> nn.Sequential:
    "Plain conv net `(B, 3, 32, 32)` -> `(B, num_classes)`: 4 stages x 4 convs of widths w..8w (see the module docstring)."
    layers, c_in = [], 3
    for stage in range(4):
        c_out = width * 2 ** stage
        for i in range(4):
            stride = 2 if stage > 0 and i == 0 else 1
            layers += [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, num_classes))


def sync(device: torch.device):
    if device.type == 'cuda': torch.cuda.synchronize()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--width', type=int, default=64, help='stand-in width w (64: ResNet-18 size)')
    p.add_argument('--n', type=int, default=8, help='images attacked per timing')
    p.add_argument('--eps', type=float, default=8 / 255)
    p.add_argument('--attacks', nargs='+', default=list(ATTACKS))
    machine_options(p, device='cpu', threads=1)
    a = p.parse_args()
    dev = machine(a)
    g = seed_everything(0)
    model = standin(a.width).to(dev).eval()
    images = torch.rand(a.n, 3, 32, 32, generator=g) * 2 - 1
    labels = predict_logits(model, images, device=dev).argmax(1)
    params = sum(p.numel() for p in model.parameters())
    print(f'stand-in width {a.width}: {params / 1e6:.1f}M parameters; {a.n} images; eps {a.eps * 255:g}/255; '
          f'{where(dev)}')
    attack(model, images[:2], labels[:2], 'PGD-2', a.eps, device=dev, quiet=True)   # warm-up
    rows = []
    for name in a.attacks:
        spec = attack_spec(name)
        sync(dev); t0 = time.perf_counter()
        attack(model, images, labels, spec, a.eps, device=dev, quiet=True)
        sync(dev); s = time.perf_counter() - t0
        steps = spec.steps * spec.restarts
        rows.append({'attack': spec.name, 'seconds': round(s, 2), 's / 100 images': round(s * 100 / a.n, 1),
                     'steps / image': steps, 'ms / image-step': round(1000 * s / (a.n * steps), 2)})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == '__main__':
    main()

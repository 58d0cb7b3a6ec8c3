"""Speed of DDIM inversion against bare forward passes of the denoiser.

For the recommended `cpu`-profile model (randomly initialised: speed does not depend on the weights) and batch sizes
1, 16 and 64, print: the backbone's bare forward time per image and step, the inversion time per image, and their
ratio (inversion time / (steps x bare forward time)), i.e. the overhead of our loop, checks and DDIM arithmetic over
the network evaluations it cannot avoid (target < 1.10). On a GPU it also prints images/s of inversion for the
paper-size ConDA U-Net (4x32x32 latents, widths 128-512).

    .venv/bin/python benchmarks/inversion.py                 # default: under a minute on 2 idle CPU cores
    .venv/bin/python benchmarks/inversion.py --threads 1 --fixed-point-iters 2
"""
from __future__ import annotations
import argparse, time, warnings

import pandas as pd
import torch

from condaclarid.core import seed_everything
from machine import machine, machine_options, where
from condaclarid.models import Denoiser
from condaclarid.inversion import ddim_invert
from condaclarid.train import backbone_preset

warnings.filterwarnings('ignore', category=FutureWarning)


def sync(device: torch.device):
    if device.type == 'cuda': torch.cuda.synchronize()


def best_time(fn, device, repeats: int) -> float:
    "Smallest wall time of `repeats` calls of `fn` after one warm-up call (the least disturbed by other load)."
    fn(); sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); sync(device); times.append(time.perf_counter() - t0)
    return min(times)


def bench(den: Denoiser, batch: int, steps: int, repeats: int, iters: int = 0) -> dict:
    """Bare forward time per image-step, inversion time per image and their ratio (inversion time over the time of its
    steps x (1 + iters) network evaluations as bare forward passes) for one batch size."""
    dev, c = den.device, den.config
    g = seed_everything(0)
    x = torch.rand((batch, *den.image_shape), generator=g).mul(2).sub(1).to(dev)
    y = (torch.randint(c.num_classes, (batch,), generator=g) if c.condition == 'class' else
         torch.rand(batch, c.cond_dim, generator=g) if c.condition == 'continuous' else None)
    y = None if y is None else y.to(dev)
    z, t = den.encode(x), torch.full((batch,), 500, device=dev)
    with torch.no_grad():   # the backbone as `Denoiser.eps` calls it (condition handling included), without input checks
        fwd = best_time(lambda: den._backbone_call(z, t, y), dev, repeats)
    inv = best_time(lambda: ddim_invert(den, x, y, num_steps=steps, fixed_point_iters=iters, batch_size=batch, quiet=True),
                    dev, max(1, repeats // 2))
    return {'batch': batch, 'forward ms/img-step': 1e3 * fwd / batch, 'inversion ms/img': 1e3 * inv / batch,
            'ratio': inv / (steps * (1 + iters) * fwd)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 16, 64])
    p.add_argument('--steps', type=int, default=50, help='DDIM inversion steps (default 50, as the cpu profile)')
    p.add_argument('--fixed-point-iters', type=int, default=0, help='fixed-point iterations per inversion step')
    p.add_argument('--repeats', type=int, default=5, help='timed repeats; the minimum is reported')
    machine_options(p)
    a = p.parse_args()
    dev = machine(a)
    preset = backbone_preset('cpu', sample_size=32, in_channels=3, condition='continuous', cond_dim=1)
    seed_everything(0)
    den = Denoiser(preset.model).to(dev).eval().requires_grad_(False)
    n_params = sum(q.numel() for q in den.backbone.parameters())
    print(f"cpu-profile model: {preset.model.arch}, {n_params / 1e6:.2f}M parameters, 3x32x32 pixels + 1 continuous label; "
          f"{where(dev)}, "
          f"{a.steps} inversion steps x {1 + a.fixed_point_iters} evaluations")
    rows = [bench(den, b, a.steps, a.repeats, a.fixed_point_iters) for b in a.batch_sizes]
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=('.0f', '.3f', '.2f', '.3f')))
    if dev.type == 'cuda':
        paper = backbone_preset('paper', sample_size=32, in_channels=4, condition='continuous', cond_dim=1)
        seed_everything(0)
        big = Denoiser(paper.model).to(dev).eval().requires_grad_(False)
        r = bench(big, 64, a.steps, a.repeats, a.fixed_point_iters)
        print(f"\npaper-size ConDA U-Net ({sum(q.numel() for q in big.backbone.parameters()) / 1e6:.0f}M parameters, "
              f"4x32x32 latents, float32), batch 64, {a.steps} steps: {1e3 / r['inversion ms/img']:.1f} images/s "
              f"inverted ({1e3 / r['forward ms/img-step']:.0f} image-steps/s bare forward, ratio {r['ratio']:.3f}); "
              f"a 1000-step inversion as in ConDA: {1e3 / r['inversion ms/img'] * a.steps / 1000:.2f} images/s")


if __name__ == '__main__':
    main()

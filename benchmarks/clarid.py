"""Matrix-free against dense Jacobian SVD for CLARID, and the time of the whole CLARID pipeline.

For `cpu`-profile class-conditional DiTs (`backbone_preset('cpu', size, 3, 'class', num_classes=10)`) at 16x16 and
32x32 RGB inputs (64x64 on request), briefly trained on 10-class blobs (cached under data/, so spectra are as flat as
a trained model's, not a random one's), invert a few images to t_e = 0.8 T and compute the top-n singular pairs of
the feature Jacobian at the last transformer block (n = 10) in three ways:

- dense, computed as well as we can: the full Jacobian (D = 3 x size^2 columns per image, each J e_i by reverse mode
  twice, vectorised over 128 columns), then `eigh` of the D x D matrix J^T J in float64 (the reference);
- matrix-free, converged: `jacobian_svd` (Golub-Kahan-Lanczos) with its default stopping rule (residual < 1e-5 sigma_1);
- matrix-free, 6n budget: the same stopped after 3n steps (6n products), the old `cpu` setting, for contrast.

Printed per size: seconds and Jacobian products per image, agreement with the dense answer (mean squared cosine of
the principal angles, `subspace_agreement`, and cosine of the largest angle, `subspace_cosine`; worst image), the
largest relative singular-value error, and the speed-up over dense. Then the time per image of `clarid`
(inversion, SVD, projection, two guided decodings) with 50 DDIM steps at 32x32.

    .venv/bin/python benchmarks/clarid.py --threads 1 --sizes 32   # ~20 min on the shared 2-core machine at load 11
    .venv/bin/python benchmarks/clarid.py --sizes 16 32 64 --dense-max-size 64   # dense at 64^2 too (slow)
"""
from __future__ import annotations
import argparse, time, warnings

import pandas as pd
import torch

from condaclarid.core import seed_everything
from machine import machine, machine_options, where
from condaclarid.models import Denoiser
from condaclarid.inversion import ddim_invert
from condaclarid.train import backbone_preset, moving_blobs, train_model, TrainConfig
from condaclarid.clarid import (ClaridConfig, clarid, dense_jacobian, dense_jacobian_svd, feature_map, jacobian_svd,
                                snap_time, subspace_agreement, subspace_cosine)

warnings.filterwarnings('ignore', category=FutureWarning)


def sync(device: torch.device):
    if device.type == 'cuda': torch.cuda.synchronize()


def timed(fn, device):
    "`(result, seconds)` of one call of `fn`."
    sync(device); t0 = time.perf_counter(); out = fn(); sync(device)
    return out, time.perf_counter() - t0


def toy_model(size: int, steps: int, device) -> Denoiser:
    "The cpu-preset class-conditional DiT at `size`, trained `steps` steps on 10-class blobs (cached), or random if 0."
    preset = backbone_preset('cpu', size, 3, 'class', num_classes=10)
    if steps == 0:
        seed_everything(0)
        return Denoiser(preset.model).to(device).eval().requires_grad_(False)
    images, _, classes = moving_blobs(1024, size=size, num_classes=10)
    train = TrainConfig(steps=steps, batch_size=32, lr=2e-3, warmup_steps=20, ema_decay=0.95, checkpoint_every=10_000)
    return train_model(images, classes, preset.model, train, device=device, quiet=True)


def compare(den: Denoiser, n_images: int, n: int, dense: bool, dense_columns: int = 256) -> list[dict]:
    """Rows of the table for one model: dense (measured, or extrapolated from `dense_columns` columns), converged
    matrix-free and 6n-budget matrix-free."""
    dev, size = den.device, den.config.sample_size
    images, _, classes = moving_blobs(n_images, size=size, num_classes=10, seed=1)
    steps, t_e = snap_time(den, 0.8, 50)
    y = classes.to(dev)
    x_te = ddim_invert(den, images.to(dev), y, num_steps=steps, t_end=t_e, quiet=True)
    f, D = feature_map(den, t_e, y), x_te[0].numel()
    base = {'input': f'3x{size}x{size}'}
    ref = None
    if dense:
        ref, sec = timed(lambda: dense_jacobian_svd(f, x_te, n=n + 1), dev)
        gap = (ref.S[:, n - 1] / ref.S[:, n] - 1).min().item()
        rows = [{**base, 'method': 'dense (Jacobian + eigh of JᵀJ)', 's/image': sec / n_images, 'products/image': D, 'speed-up': 1.0,
                 'agreement': 1.0, 'cosine': 1.0, 'sv rel. error': 0.0,
                 'note': f'sigma_{n}/sigma_1 = {(ref.S[:, n - 1] / ref.S[:, 0]).min():.2f}, sigma_{n}/sigma_{n + 1} - 1 = {gap:.1e}'}]
    else:  # no reference: time the first columns and extrapolate linearly in D
        _, sec = timed(lambda: dense_jacobian(f, x_te, columns=range(dense_columns)), dev)
        rows = [{**base, 'method': 'dense (Jacobian + eigh of JᵀJ)', 's/image': sec / n_images * D / dense_columns,
                 'products/image': D, 'note': f'extrapolated from {dense_columns} of {D} columns; eigh time not included'}]
    for name, max_steps in (('matrix-free, converged (tol 1e-5)', None), (f'matrix-free, {3 * n} steps (6n products)', 3 * n)):
        mf, sec = timed(lambda: jacobian_svd(den, x_te, t_e, y, n=n, max_steps=max_steps), dev)
        row = {**base, 'method': name, 's/image': sec / n_images, 'products/image': mf.products,
               'speed-up': rows[0]['s/image'] * n_images / sec, 'note': f'residual {mf.residual.max():.1e}'}
        if ref is not None:
            row['agreement'] = subspace_agreement(mf.V, ref.V[:, :n]).min().item()
            row['cosine'] = subspace_cosine(mf.V, ref.V[:, :n]).min().item()
            row['sv rel. error'] = ((mf.S - ref.S[:, :n]).abs() / ref.S[:, :n]).max().item()
        rows.append(row)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', type=int, nargs='+', default=[16, 32])
    p.add_argument('--images', type=int, default=4, help='images per size (default 4)')
    p.add_argument('--n', type=int, default=10, help='singular pairs (default 10, as the paper)')
    p.add_argument('--train-steps', type=int, default=120, help='training steps of each toy model (0: random weights)')
    p.add_argument('--dense-max-size', type=int, default=32, help='largest size at which the dense SVD is run; above: extrapolated')
    p.add_argument('--pipeline-images', type=int, default=4, help='images for the pipeline timing at 32x32 (0: skip)')
    machine_options(p)
    a = p.parse_args()
    dev = machine(a)
    print(f"cpu-preset class-conditional DiTs ({'random weights' if a.train_steps == 0 else f'trained {a.train_steps} steps on blobs'}), "
          f"n = {a.n}, t_e = 0.8 T, {a.images} images per size; {where(dev)}")
    rows = []
    for size in a.sizes:
        den = toy_model(size, a.train_steps, dev)
        rows += compare(den, a.images, a.n, dense=size <= a.dense_max_size)
        print(f'  {size}x{size} done ({where(dev)})', flush=True)
    table = pd.DataFrame(rows).reindex(columns=['input', 'method', 's/image', 'products/image', 'speed-up', 'agreement',
                                                'cosine', 'sv rel. error', 'note'])
    print(table.to_markdown(index=False, floatfmt=('', '', '.2f', '.0f', '.1f', '.4f', '.4f', '.1e', ''), missingval='–'))
    if a.pipeline_images:
        den = toy_model(32, a.train_steps, dev)
        images, _, classes = moving_blobs(a.pipeline_images, size=32, num_classes=10, seed=2)
        cfg = ClaridConfig(num_steps=50, batch_size=a.pipeline_images)
        res, sec = timed(lambda: clarid(den, images, classes, cfg, quiet=True), dev)
        steps, _ = snap_time(den, cfg.t_e, cfg.num_steps)
        print(f"\nwhole CLARID pipeline at 3x32x32 (cpu preset, 50 DDIM steps: {steps} to invert, 2 x {steps} guided to decode), "
              f"{a.pipeline_images} images: {sec / a.pipeline_images:.1f} s per image; Jacobian products per image "
              f"{res.products.float().mean():.0f}, k = {res.k.tolist()}; {where(dev)}")


if __name__ == '__main__':
    main()

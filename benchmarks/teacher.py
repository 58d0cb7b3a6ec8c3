"""The teacher and judge stages of a profile and their gates: CPU minutes of each stage (trained here, or read from
the cache's build record), then `judge-real`, `teacher-samples` (with and without guidance) and `teacher-regenerates`
(CFG regenerations from t_e of `--n-regen` CLARep images, decoded as `clarid` decodes them, without the Jacobian).
For a latent teacher it also prints the autoencoder's ceiling: the judge's accuracy on the real control test images
passed through the VAE (encode, decode). No sample decoded by that VAE can be judged much better than this, so
`teacher-samples` cannot pass while the ceiling is below about 0.6 of the judge's accuracy on real images.

The `cpu` profile ships its teacher (`canonical.SHIPPED_TEACHERS`): this loads it, and measures the gates on the
shipped float16 weights; `--train` trains the profile's teacher instead (or loads it from the cache).

    OMP_NUM_THREADS=1 python benchmarks/teacher.py --profile cpu --threads 1
"""
from __future__ import annotations
import argparse, dataclasses, json, time
from pathlib import Path

import torch

from machine import machine_options, machine, where
from condaclarid.profiles import get_profile
from condaclarid.canonical import (canonical_data, control_data, teacher_vae, animals_teacher, judge, judge_real,
                                   teacher_samples, teacher_samples_gate, teacher_regenerates_gate, clarep_index,
                                   per_class, shipped_teacher)
from condaclarid.clarid import snap_time
from condaclarid.inversion import ddim_invert, ddim_sample
from condaclarid.robustness import accuracy


def timed(what: str, fn, rows: list):
    "Run `fn()`, append `(what, CPU minutes, wall minutes)` to `rows`, return its result."
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    rows.append((what, (time.process_time() - c0) / 60, (time.perf_counter() - w0) / 60))
    return out


def build_minutes(folder: Path) -> float | None:
    "Wall minutes the cache recorded for building `folder` (its `build.json`), if any."
    f = folder/'build.json'
    return json.loads(f.read_text())['seconds'] / 60 if f.exists() else None


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--profile', default='cpu')
    p.add_argument('--n-regen', type=int, default=100, help='CLARep images regenerated for teacher-regenerates (a tenth per class)')
    p.add_argument('--train', action='store_true', help='train the teacher (or load it from the cache), not the shipped one')
    machine_options(p, 'cpu', 1)
    a = p.parse_args()
    dev = machine(a)
    cfg = get_profile(a.profile).clarid
    if a.train: cfg = dataclasses.replace(cfg, pretrained=False)
    rows = []
    timed('data (cue and control)', lambda: (canonical_data(cfg), control_data(cfg)), rows)
    gate = timed(f'class judges, seeds {cfg.judge_seeds}', lambda: judge_real(cfg, device=dev), rows)
    cj = judge(cfg, 'class', cue=False)
    vae = timed('teacher VAE', lambda: teacher_vae(cfg, device=dev), rows)
    den = timed('teacher denoiser', lambda: animals_teacher(cfg, device=dev), rows)
    test = control_data(cfg)['test']
    x, y = timed('samples from noise (guidance)', lambda: teacher_samples(cfg, device=dev), rows)
    x1, _ = timed('samples from noise (no guidance)', lambda: teacher_samples(cfg, guidance=1.0, device=dev), rows)
    train = canonical_data(cfg)['train']
    clareps = clarep_index(cfg)
    idx = clareps[per_class(train.labels[clareps], max(1, a.n_regen // 10))]   # balanced over the classes
    steps, t_e = snap_time(den, cfg.clarid.t_e, cfg.clarid.num_steps)
    def regenerate():
        xo, yo = train.images[idx].to(den.device), train.labels[idx].to(den.device)
        z = ddim_invert(den, xo, yo, num_steps=steps, t_end=t_e, quiet=True)
        return ddim_sample(den, z, yo, num_steps=steps, t_start=t_e, guidance=cfg.clarid.guidance, quiet=True).clamp(-1, 1).cpu()
    regen = timed(f'CFG regenerations of {len(idx)} images', regenerate, rows)
    gates = [gate, teacher_samples_gate(cj, x, y, test.images, test.labels),
             teacher_regenerates_gate(cj, regen, train.images[idx], train.labels[idx])]
    print(f'profile {a.profile}; {where(dev)}')
    print(f"{'stage':40s} {'CPU min':>8s} {'wall min':>9s}")
    for what, c, w in rows: print(f'{what:40s} {c:8.2f} {w:9.2f}')
    print(f"teacher: {'shipped in ' + str(shipped) if (shipped := shipped_teacher(cfg)) else 'trained'}")
    for name, folder in (('VAE', vae.parent if vae else None), ('denoiser', Path(den.config.vae).parent if vae else None)):
        if folder is not None and build_minutes(folder) is not None: print(f'cache build record, {name}: {build_minutes(folder):.2f} wall min')
    if vae is not None:
        with torch.no_grad():
            through = torch.cat([den.decode(den.encode(b.to(den.device))).clamp(-1, 1).cpu() for b in test.images.split(256)])
        print(f'autoencoder ceiling: judge accuracy on real control test images through the VAE {accuracy(cj, through, test.labels):.3f}')
    print(f'judge accuracy: real control test {accuracy(cj, test.images, test.labels):.3f}, samples (guidance '
          f'{cfg.clarid.guidance}) {accuracy(cj, x, y):.3f}, samples (no guidance) {accuracy(cj, x1, y):.3f}, '
          f'originals {accuracy(cj, train.images[idx], train.labels[idx]):.3f}, CFG regenerations {accuracy(cj, regen, train.labels[idx]):.3f}')
    for g in gates: print(g)


if __name__ == '__main__':
    main()

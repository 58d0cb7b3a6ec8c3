"""Rates of the expensive stages at `paper` sizes, and the predicted time of the whole `paper` profile per notebook.

Each stage runs through the library's own code on the `paper` profile's models and sizes (`condaclarid.profiles`),
randomly initialised (speed does not depend on the weights), for a short fixed number of steps after a warm-up, with
`torch.cuda.synchronize` around the clock on a GPU:

| stage | library code | unit |
|---|---|---|
| simulation | `fluid.ChannelFlow.step` of each simulated `FluidConfig` (video, sweep, benchmark resolutions) | lattice steps/s |
| diffusion training | `train.fit_denoiser` of the ConDA denoiser (U-Net at paper size) and the CLARID DiT teacher | images/s |
| inversion | `inversion.ddim_invert` with each of those models | image-evaluations/s |
| CEBRA | `contrastive.ContrastiveEmbedder.fit` with `EmbedConfig.paper()` on video-sized latents | iterations/s |
| CLARID Jacobian | `clarid.jacobian_svd` of the DiT teacher at t_e | image-products/s |
| student training | `distill.fit_student` of the paper student and of the judge | images/s |

Then the work of each notebook of `nbs/paper/` at the `paper` profile is counted from the `Profile` fields (lattice
steps, training images, network evaluations, CEBRA iterations, Jacobian products, student images; a cached stage is
paid by the first notebook in the runner's order that needs it) and divided by the measured rates. Not counted:
renders of a few frames, plots, the animals data and the corruptions (CPU work outside the stages above), the tours.

    .venv/bin/python benchmarks/paper_rates.py --out /tmp/rates           # paper batch sizes, 3 timed steps per stage
    .venv/bin/python benchmarks/paper_rates.py --out /tmp/rates --quick   # batch 1, 1 timed step: a few minutes on a CPU
    .venv/bin/python benchmarks/paper_rates.py --out /tmp/rates --quick --profile ci   # ci sizes: seconds (a smoke test)

Writes `rates.csv|md` (measured rates) and `predicted.csv|md` (predicted time per notebook) into `--out`. With
`--quick` batches are capped at 1 image, so the per-image rates on a GPU are far below what full batches reach.
"""
from __future__ import annotations
import argparse, dataclasses, tempfile, time, warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from condaclarid.core import seed_everything, config_dict
from machine import machine, machine_options, where
from condaclarid.fluid import ChannelFlow, lattice_units
from condaclarid.models import Denoiser
from condaclarid.train import fit_denoiser
from condaclarid.inversion import ddim_invert
from condaclarid.contrastive import ContrastiveEmbedder
from condaclarid.clarid import jacobian_svd, snap_time
from condaclarid.distill import PreActResNet, fit_student, teacher_subset
from condaclarid.canonical import STUDENTS
from condaclarid.robustness import attack_spec, EPS_SWEEP
from condaclarid.profiles import get_profile
from condaclarid.paper import discover, paper_dir
from condaclarid.plots import save_table

warnings.filterwarnings('ignore', category=FutureWarning)


def sync(device: torch.device):
    if device.type == 'cuda': torch.cuda.synchronize()


def per_second(fn, work: float, device, warmup=None) -> float:
    "`work` / seconds of one call of `fn`, after one call of `warmup` (default `fn`)."
    (warmup or fn)(); sync(device)
    t0 = time.perf_counter(); fn(); sync(device)
    return work / (time.perf_counter() - t0)


# --- measured rates ---------------------------------------------------------------------------------------------------
def simulation_rate(cfg, steps: int, device) -> float:
    "Lattice steps/s of the batch of simulations of `cfg` (`fluid.FluidConfig`)."
    flow = ChannelFlow(cfg, device=device)
    def run():
        for _ in range(steps): flow.step()
    return per_second(run, steps, device, warmup=flow.step)


def fake_data(den: Denoiser, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    "`n` random images in [-1, 1] and labels of `den`'s condition (time in [0, 1] or a class)."
    g = torch.Generator().manual_seed(0)
    x = torch.rand((n, *den.image_shape), generator=g) * 2 - 1
    if den.config.condition == 'class': y = torch.randint(den.config.num_classes, (n,), generator=g)
    else: y = torch.rand((n, den.config.cond_dim), generator=g)
    return x, y


def training_rate(model, train, batch: int, steps: int, device) -> float:
    "Images/s of `train.fit_denoiser` on `model` at `batch` images per step (after a warm-up step)."
    seed_everything(0)
    den = Denoiser(model, scheduler=train.scheduler())
    x, y = fake_data(den, max(batch, 8))
    stamps = []
    cfg = dataclasses.replace(train, steps=steps + 1, batch_size=batch, warmup_steps=1, checkpoint_every=10**9)
    with tempfile.TemporaryDirectory() as work:
        fit_denoiser(den, x, y, cfg, work, device=device, quiet=True, on_step=lambda s, l: stamps.append(time.perf_counter()))
    return steps * batch / (stamps[-1] - stamps[0])


def frozen(model, train, device) -> Denoiser:
    seed_everything(0)
    return Denoiser(model, scheduler=train.scheduler()).to(device).eval().requires_grad_(False)


def inversion_rate(den: Denoiser, batch: int, steps: int) -> float:
    "Image-evaluations/s of `inversion.ddim_invert` (one network evaluation per image and step)."
    x, y = (a.to(den.device) for a in fake_data(den, batch))
    return per_second(lambda: ddim_invert(den, x, y, num_steps=steps, batch_size=batch, quiet=True), batch * steps,
                      den.device, warmup=lambda: ddim_invert(den, x, y, num_steps=1, batch_size=batch, quiet=True))


def cebra_rate(embed, n: int, dim: int, steps: int, device) -> float:
    """Iterations/s of `ContrastiveEmbedder.fit` with `embed` on `n` random latents of `dim` features, labelled by
    time as in `conda.conda_embedding` (fit time of 1 + steps iterations minus that of 1)."""
    Z = np.random.default_rng(0).standard_normal((n, dim), dtype=np.float32)
    t = None if embed.conditional == 'time' else np.linspace(0, 1, n, dtype=np.float32)
    fit = lambda k: ContrastiveEmbedder(dataclasses.replace(embed, max_iterations=k, device=str(device))).fit(Z, t, quiet=True).fit_seconds_
    fit(1)                                     # warm-up: CUDA context, kernels
    return steps / (fit(1 + steps) - fit(1))


def jacobian_rate(den: Denoiser, clarid_cfg, batch: int, steps: int) -> float:
    """Image-products/s (JVPs + VJPs) of `clarid.jacobian_svd` at t_e of `clarid_cfg`, run for `steps` Lanczos steps
    (n = `steps` directions: Lanczos needs at least n steps; a product costs the same whatever n)."""
    _, t_e = snap_time(den, clarid_cfg.t_e, clarid_cfg.num_steps)
    x, y = (a.to(den.device) for a in fake_data(den, batch))
    svd = lambda k: jacobian_svd(den, x, t_e, y, clarid_cfg.layer, n=k, tol=0.0, max_steps=k)
    return per_second(lambda: svd(steps), batch * 2 * steps, den.device, warmup=lambda: svd(1))


def student_rate(config, image_size: int, batch: int, steps: int, device) -> float:
    "Images/s of `distill.fit_student` (vanilla) of `config`'s network at `batch` images per step."
    seed_everything(0)
    net = PreActResNet(10, config.width, config.blocks, 3)
    n = max(batch, 16)
    x = torch.rand((n, 3, image_size, image_size)) * 2 - 1
    y = torch.arange(n) % 10
    cfg = dataclasses.replace(config, method='vanilla', steps=steps + 1, batch_size=batch, warmup_steps=1, checkpoint_every=10**9)
    stamps = []
    with tempfile.TemporaryDirectory() as work:
        fit_student(net, x, y, cfg, work, device=device, quiet=True, on_step=lambda s, l: stamps.append(time.perf_counter()))
    return steps * batch / (stamps[-1] - stamps[0])


def measure(prof, device, steps: int, batch_cap: int | None) -> dict:
    "`{rate name: (value, unit, batch)}` of every stage at the sizes of `prof`."
    b = lambda n: min(n, batch_cap) if batch_cap else n
    c, k = prof.conda, prof.clarid
    rates = {}
    def put(name, unit, batch, fn):
        t0 = time.perf_counter()
        rates[name] = (fn(), unit, batch)
        print(f'  {name}: {rates[name][0]:.4g} {unit} (batch {batch}; {time.perf_counter() - t0:.0f} s)', flush=True)
    sims = {'video': c.video, 'sweep': c.sweep, **{f'benchmark {r}': dataclasses.replace(prof.fluid_benchmark, resolution=r)
                                                    for r in prof.fluid_resolutions}}
    for name, cfg in sims.items():
        put(f'simulation: {name}', 'lattice steps/s', len(cfg.reynolds), lambda: simulation_rate(cfg, steps, device))
    models = {'ConDA denoiser': (c.model, c.train, 64), 'CLARID teacher': (k.model, k.train, k.clarid.batch_size)}
    for name, (model, train, inv_batch) in models.items():
        put(f'training: {name}', 'images/s', b(train.batch_size), lambda: training_rate(model, train, b(train.batch_size), steps, device))
        den = frozen(model, train, device)
        put(f'inversion: {name}', 'image-evaluations/s', b(inv_batch), lambda: inversion_rate(den, b(inv_batch), steps))
        if name == 'CLARID teacher':
            put('CLARID Jacobian', 'image-products/s', b(k.clarid.batch_size), lambda: jacobian_rate(den, k.clarid, b(k.clarid.batch_size), steps))
        del den
    n_video = len(c.video.reynolds) * c.video.n_frames * c.n_train // c.block
    put('CEBRA', 'iterations/s', c.embed.batch_size, lambda: cebra_rate(c.embed, n_video, int(np.prod(video_latent_shape(prof))), steps, device))
    for name, cfg in (('student', k.student), ('judge', k.judge)):
        put(f'{name} training', 'images/s', b(cfg.batch_size), lambda: student_rate(cfg, k.data.image_size, b(cfg.batch_size), steps, device))
    return rates


def video_latent_shape(prof) -> tuple:
    "Shape `(C, H, W)` of one ConDA latent (pixel space: the image's)."
    m = prof.conda.model
    return (m.in_channels, m.sample_size, m.sample_size)


# --- work of the paper profile ----------------------------------------------------------------------------------------
def sim_steps(cfg) -> int:
    "Lattice steps of the simulation batch `cfg`, as `fluid.simulate` runs them."
    u = lattice_units(cfg)
    return u.warmup_steps + (cfg.n_frames - 1) * u.steps_per_frame


def clarid_evaluations(ccfg) -> tuple[int, int]:
    """`(network evaluations, Jacobian products at most)` per image of `canonical.clarep_stage` with `ccfg`: inversion to
    t_e, Lanczos, two guided decodings from t_e (two evaluations per step: CFG), canonical features of three image sets
    (inversion to t_r, then one evaluation)."""
    te, tr = round(ccfg.t_e * ccfg.num_steps), round(ccfg.t_r * ccfg.num_steps)
    evals = te * (1 + ccfg.fixed_point_iters) + 2 * 2 * te + 3 * (tr + 1)
    return evals, 2 * (ccfg.max_steps or 50 * ccfg.n)   # matrix_free_svd's default cap: 50 n steps


def notebook_work(prof) -> dict:
    """`{notebook id: [(what, rate name, units)]}`: the work each paper notebook adds at `prof`, in the runner's order,
    each cached stage counted once, where it is first needed. Multipliers that are notebook structure (not profile
    fields: which judges, which ablations, which CEBRA dimensions) mirror the notebooks and are named in `what`."""
    c, k = prof.conda, prof.clarid
    work, paid = {}, set()
    def once(key, item):
        if key in paid: return []
        paid.add(key); return [item]
    video = c.video.n_frames * len(c.video.reynolds)
    sweep = c.sweep.n_frames * len(c.sweep.reynolds)
    evals = c.inversion_steps * (1 + c.fixed_point_iters)
    conda_base = lambda: (once('video', ('simulate the video', 'simulation: video', sim_steps(c.video)))
                          + once('sweep', ('simulate the Reynolds sweep', 'simulation: sweep', sim_steps(c.sweep)))
                          + once('unet', ('train the ConDA denoiser', 'training: ConDA denoiser', c.train.steps * c.train.batch_size))
                          + once('zv', (f'invert {video} video frames', 'inversion: ConDA denoiser', video * evals)))
    cebra = lambda key: once(('cebra', key), (f'CEBRA fit ({key})', 'CEBRA', c.embed.max_iterations))
    per_class_labels = torch.arange(10).repeat_interleave(k.data.n_train)
    clarep = lambda n: len(teacher_subset(per_class_labels, n, k.seed))
    teacher = lambda: once('dit', ('train the DiT teacher', 'training: CLARID teacher', k.train.steps * k.train.batch_size))
    def stage(key, m, ccfg):
        ev, prod = clarid_evaluations(ccfg)
        return (once(('clarep', key), (f'CLARID on {m} images ({key}): evaluations', 'inversion: CLARID teacher', m * ev))
                + once(('clarep-j', key), (f'CLARID on {m} images ({key}): Jacobian products (at most)', 'CLARID Jacobian', m * prod)))
    judge = lambda key: once(('judge', key), (f'judge {key}', 'judge training', k.judge.steps * k.judge.batch_size))
    def student(key):
        method, source, share, seed, off = key
        name = f"student {method} from {source}, share {share}, seed {seed}" + (f', {off} = 0' if off else '')
        return once(('student', key), (name, 'student training', k.student.steps * k.student.batch_size))
    n_models = len(k.students) * len(k.student_seeds)   # the rows of STUDENTS the profile trains
    n_attack = 10 * min(max(1, k.n_attack // 10), k.data.n_test)
    grads = sum(attack_spec(a).steps * attack_spec(a).restarts for a in k.attacks) + len(EPS_SWEEP) * attack_spec(k.attacks[0]).steps
    seed0 = k.student_seeds[0]
    ablations = ([('cadistill', 'canonical', k.clarep_fraction, seed0, t) for t in ('', 'lambda_dist', 'lambda_align', 'lambda_cano')]
                 + [('cadistill', 'canonical', f, seed0, '') for f in k.fractions if f != k.clarep_fraction]
                 + [(m, 'canonical', k.clarep_fraction, seed0, '') for m in ('fitnet', 'at', 'rkd')])
    main_students = [(m, s, k.clarep_fraction, seed, '') for name, (m, s) in STUDENTS.items()
                     if name in k.students for seed in k.student_seeds]
    nmi_configs = {str(config_dict(dataclasses.replace(k.clarid, **ch))): ch for ch in
                   [dict(t_e=t) for t in k.te_grid] + [dict(n=n) for n in k.n_grid]
                   + [{}] + [dict(k=f) for f in k.fixed_k]}
    te_images = 100   # clarid_te: 10 samples per class at each t_e
    for nb in discover(paper_dir()):
        items = []
        if nb.id == 'animals-dataset':
            for key in ('class on Original', 'class on Original, control', 'class on Only-BG-T', 'class on Only-FG'): items += judge(key)
        elif nb.id == 'clarid-te':
            items += teacher() + judge('class on Original, control')
            items += [(f'two-stage samples: {te_images} images at 9 t_e', 'inversion: CLARID teacher', te_images * 9 * 2 * k.clarid.num_steps)]
        elif nb.id.startswith('cadistill-') or nb.id.startswith('clarid-'):
            items += teacher() + stage('default', clarep(k.clarep_fraction), k.clarid)
            if nb.id == 'cadistill-ablations':
                for f in k.fractions:
                    if f > k.clarep_fraction: items += stage(f'share {f}', clarep(f), k.clarid)
                for s in ablations: items += student(s)
            if nb.id in ('cadistill-generalisation', 'cadistill-robustness'):
                for s in main_students: items += student(s)
            if nb.id == 'cadistill-robustness':
                items += [(f'attacks on {n_attack} test images, {n_models} students', 'student training', n_models * n_attack * grads)]
            if nb.id == 'clarid-nmi':
                m = 10 * k.n_per_class
                for key, ch in nmi_configs.items(): items += stage(f'sweep {ch or "default"}', m, dataclasses.replace(k.clarid, **ch))
            if nb.id == 'clarid-samples': items += judge('class on Original, control') + judge('family, control')
        elif nb.id.startswith('conda-') or nb.id in ('fluid-samples', 'inversion-roundtrip'):
            items += conda_base()
            if nb.id == 'conda-ablations':
                for d in sorted({2, 3, 4, c.embed.output_dimension}): items += cebra(f'video, d={d}')
            if nb.id in ('conda-class-transfer', 'conda-classification'):
                items += once('zs', (f'invert {sweep} sweep frames', 'inversion: ConDA denoiser', sweep * evals)) + cebra(nb.id)
            if nb.id in ('conda-embedding', 'conda-extrapolation', 'conda-interpolation', 'conda-locality'):
                items += cebra(f'video, d={c.embed.output_dimension}') + (cebra('video, d=3') if nb.id == 'conda-embedding' else [])
            if nb.id == 'inversion-roundtrip':
                per = sum(prof.roundtrip_steps) * (2 + (1 + prof.roundtrip_fixed_point_iters) + 1)
                items += [(f'round trips of {prof.roundtrip_frames} frames', 'inversion: ConDA denoiser', prof.roundtrip_frames * per)]
        elif nb.id == 'fluid-dataset':
            items += once('sweep', ('simulate the Reynolds sweep', 'simulation: sweep', sim_steps(c.sweep)))
        elif nb.id == 'fluid-validation':
            items += [(f'benchmark at {r} cells/D', f'simulation: benchmark {r}', sim_steps(dataclasses.replace(prof.fluid_benchmark, resolution=r)))
                      for r in prof.fluid_resolutions]
        work[nb.id] = items
    return work


def predict(work: dict, rates: dict) -> pd.DataFrame:
    "One row per notebook and stage: units of work, the rate, predicted seconds."
    rows = [{'notebook': nb, 'work': what, 'stage': name, 'units': units, 'rate (/s)': rates[name][0],
             'predicted (h)': units / rates[name][0] / 3600} for nb, items in work.items() for what, name, units in items]
    return pd.DataFrame(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, type=Path, help='folder for rates.csv|md and predicted.csv|md')
    p.add_argument('--steps', type=int, default=3, help='timed steps per stage, after one warm-up (default 3)')
    p.add_argument('--batch-cap', type=int, default=None, help='at most this many images per batch (default: paper sizes)')
    p.add_argument('--quick', action='store_true', help='1 timed step, batches of 1: a few minutes on a CPU')
    p.add_argument('--profile', default='paper', help="whose sizes to time and predict (default paper; ci: a smoke test)")
    machine_options(p)
    a = p.parse_args()
    if a.quick: a.steps, a.batch_cap = 1, 1
    dev = machine(a)
    prof = get_profile(a.profile)
    print(f'{prof.name}-profile stage rates, {where(dev)}; {a.steps} timed steps, batch cap {a.batch_cap}', flush=True)
    t0 = time.perf_counter()
    rates = measure(prof, dev, a.steps, a.batch_cap)
    table = pd.DataFrame([{'stage': n, 'rate': v, 'unit': u, 'batch': bt} for n, (v, u, bt) in rates.items()])
    table.insert(0, 'device', where(dev).removeprefix('device '))
    work = notebook_work(prof)
    pred = predict(work, rates)
    per_nb = pred.groupby('notebook', sort=False)['predicted (h)'].sum().reindex(list(work), fill_value=0.0).reset_index()
    per_nb = pd.concat([per_nb, pd.DataFrame([{'notebook': 'total', 'predicted (h)': per_nb['predicted (h)'].sum()}])])
    a.out.mkdir(parents=True, exist_ok=True)
    save_table(table, 'rates', a.out)
    save_table(pred, 'predicted_stages', a.out)
    save_table(per_nb, 'predicted', a.out)
    print(table.to_markdown(index=False, floatfmt='.4g'))
    print(per_nb.to_markdown(index=False, floatfmt='.3g'))
    print(f'measured in {time.perf_counter() - t0:.0f} s; tables in {a.out}')


if __name__ == '__main__':
    main()

"""Tiny training, inversion, sampling and CLARID run by `tests/test_multiprocess.py`, once as one process and once
under `accelerate launch` with two: `python tests/multiprocess_job.py OUT` or
`accelerate launch --multi_gpu --num_processes 2 tests/multiprocess_job.py OUT` (CPU: gloo). The main process saves
what it computed, and the weights every process ends with, to `OUT/result-<processes>.pt`."""
import sys, time
from pathlib import Path

import torch
from accelerate.utils import gather_object

from condaclarid.core import is_main_process, seed_everything
from condaclarid.models import Denoiser, ModelConfig
from condaclarid.train import TrainConfig, fit_denoiser, moving_blobs
from condaclarid.inversion import ddim_invert, ddim_sample
from condaclarid.clarid import ClaridConfig, clarid, canonical_features, two_stage_sample
from condaclarid.distill import DistillConfig, PreActResNet, TeacherSignal, fit_student, teacher_subset

torch.set_num_threads(1)
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
imgs, u, c = moving_blobs(32, size=8, num_classes=3)
model = ModelConfig(arch='dit', sample_size=8, condition='class', num_classes=3, dit_layers=1, dit_heads=2,
                    dit_head_dim=8, patch_size=2)
res = {}

def weights(module) -> list:
    "The state of `module` in every process, gathered: DDP must keep them equal."
    return gather_object([{k: v.detach().clone() for k, v in module.state_dict().items()}])

def rows_seen(module) -> list:
    "A list that collects how many rows each input of `module` has: what a process computes on."
    seen = []
    def hook(m, args, kwargs): seen.append(len(next(v for v in (*args, *kwargs.values()) if torch.is_tensor(v))))
    module.register_forward_pre_hook(hook, with_kwargs=True)
    return seen

# diffusion training: a 6-step run with a checkpoint at step 3, then the same call again resumes from it
cfg = TrainConfig(steps=6, batch_size=8, lr=2e-3, warmup_steps=2, ema_decay=0.9, checkpoint_every=3)
for run, seed in (('den', 0), ('den_resumed', 1)):   # the resumed run starts from other weights: the checkpoint's win
    seed_everything(seed); den = Denoiser(model, scheduler=cfg.scheduler())
    seen = rows_seen(den.backbone)
    t0 = time.perf_counter()
    meta = fit_denoiser(den, imgs, c, cfg, out/'work-den', device='cpu', quiet=True)
    res[run] = {'weights': weights(den), 'loss': meta['loss'], 'resumed_at': meta['resumed_at'],
                'seconds_per_step': (time.perf_counter() - t0) / meta['steps_this_run'],
                'rows': gather_object([sorted(set(seen))])}
seed_everything(0); res['den_init'] = Denoiser(model, scheduler=cfg.scheduler()).state_dict()

# student training (CaDistill with a random teacher signal) likewise
idx = teacher_subset(c, 0.5)
teacher = TeacherSignal(idx, torch.randn(len(idx), 12, generator=torch.Generator().manual_seed(0)), imgs[idx], c[idx])
dcfg = DistillConfig(steps=4, batch_size=8, teacher_batch_size=8, width=4, blocks=(1, 1), checkpoint_every=2)
for run, seed in (('student', 0), ('student_resumed', 1)):
    seed_everything(seed); st = PreActResNet(3, 4, (1, 1), 3)
    seen = rows_seen(st.stem)
    meta = fit_student(st, imgs, c, dcfg, out/'work-student', teacher=teacher, device='cpu', quiet=True)
    res[run] = {'weights': weights(st), 'loss': meta['loss'], 'resumed_at': meta['resumed_at'],
                'rows': gather_object([sorted(set(seen))])}
seed_everything(0); res['student_init'] = PreActResNet(3, 4, (1, 1), 3).state_dict()

# inversion, sampling and CLARID of 5 images (an uneven split: 3 + 2) with a fixed untrained model
seed_everything(0); den = Denoiser(model, scheduler=cfg.scheduler()).eval()
x, y = imgs[:5], c[:5]
seen = rows_seen(den.backbone)
t0 = time.perf_counter()
res['latents'] = ddim_invert(den, x, y, num_steps=10, batch_size=2, quiet=True)
res['invert_seconds'] = time.perf_counter() - t0
res['invert_rows'] = gather_object([sum(seen)])   # network rows each process computed
res['latent_of_one'] = ddim_invert(den, x[:1], y[:1], num_steps=10, quiet=True)   # fewer images than processes
res['samples'] = ddim_sample(den, res['latents'], y, num_steps=10, batch_size=2, quiet=True)
r = clarid(den, x, y, ClaridConfig(n=3, num_steps=10, batch_size=2, tol=1e-6))
res['clarid'] = {'x_canonical': r.x_canonical, 'canonical': r.canonical, 'k': r.k, 'sigma': r.sigma}
res['features'] = canonical_features(den, x, num_steps=10, batch_size=2, quiet=True)
res['two_stage'] = two_stage_sample(den, torch.randn(5, 3, 8, 8, generator=torch.Generator().manual_seed(0)), y,
                                    num_steps=10, batch_size=2, quiet=True)
if is_main_process():
    res['processes'] = len(res['den']['weights'])
    torch.save(res, out/f"result-{res['processes']}.pt")

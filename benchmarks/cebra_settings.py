"""CEBRA settings for the ConDA video at a profile: do they pass the gates `embedding-converged` and `embedding-time`?

For each named setting (changes to the profile's `EmbedConfig`, or to `EmbedConfig.paper()`; `embed_label` changes
the `CondaConfig`'s label, see `conda.video_labels`), fit the video's
embedding through the artifact cache (`conda.conda_embedding`, so the chosen setting's fit is the one the paper
notebooks then load) and print one row: fit seconds, the gate values (relative loss improvement over the last 10 %
of steps; held-out linear R² of the shedding phase after the start-up), the 5-NN R² of the phase, the linear R² of time, and the spline /
lerp distance ratio of the interpolation notebook (below 1: a spline through the training frames' C lands nearer the
held-out frames' C than a straight line does). Needs the profile's latents (built on first use). With `--features
images`, CEBRA is fitted on the video's images instead (as many features as Z at 32 px; no diffusion model needed,
nothing cached): a stand-in for Z when the model is not trained yet, not a measurement of the profile's C.

    .venv/bin/python benchmarks/cebra_settings.py --threads 1                      # every setting below, cpu profile
    .venv/bin/python benchmarks/cebra_settings.py --threads 1 --only profile mse-500
    .venv/bin/python benchmarks/cebra_settings.py --threads 1 --features images
"""
from __future__ import annotations
import argparse, dataclasses, json, time

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor

from machine import machine, machine_options, where
from condaclarid.conda import conda_data, conda_embedding, video_labels, after_startup, interior_frames, fluid_images
from condaclarid.contrastive import ContrastiveEmbedder
from condaclarid.contrastive import EmbedConfig, loss_improvement, phase_r2
from condaclarid.fluid import shedding_phase
from condaclarid.profiles import get_profile
from condaclarid.traversal import spline_interpolate

# name -> changes to the profile's EmbedConfig ({'paper': True, ...}: changes to EmbedConfig.paper())
SETTINGS = {
    'profile': {},                                                   # the profile's own setting (cpu: time + phase, d 16)
    'seed1': dict(seed=1),
    'time+phase-d8': dict(output_dimension=8),                       # the authors' dimension
    'time+phase-d10': dict(output_dimension=10),                     # the most dimensions FITPACK's splprep takes
    'phase-labels': dict(embed_label='phase'),                       # the phase alone: C forgets time
    'time-labels': dict(embed_label='time'),                         # labelled by time as the authors
    'mse-500': dict(embed_label='time', model_architecture='offset1-model-mse', distance='euclidean', temperature=1.12,
                    max_iterations=500),                             # the cpu setting before the gates
    'mse-2000': dict(embed_label='time', model_architecture='offset1-model-mse', distance='euclidean', temperature=1.12,
                     max_iterations=2000),
    'cosine-time': dict(model_architecture='offset1-model', distance='cosine', temperature=0.1, conditional='time',
                        max_iterations=1000),
    'cosine-time-period': dict(model_architecture='offset1-model', distance='cosine', temperature=0.1,
                               conditional='time', time_offsets=87, max_iterations=1000),   # ~ one shedding period
    'paper-2000': dict(paper=True, max_iterations=2000, num_threads=1),   # the authors' settings, fewer steps
}


def measure(cfg, name: str, changes: dict, features: str = 'latents') -> dict:
    changes = dict(changes)
    label = changes.pop('embed_label', cfg.embed_label)
    embed = (EmbedConfig.paper(**{k: v for k, v in changes.items() if k != 'paper'}) if changes.get('paper')
             else dataclasses.replace(cfg.embed, **changes))
    cfg = dataclasses.replace(cfg, embed=embed, embed_label=label)
    d = conda_data(cfg, quiet=True)
    v, train, test = d['video'], d['train'], d['test']
    t0 = time.perf_counter()
    if features == 'latents': emb, C = conda_embedding(cfg, quiet=True)
    else:
        X = fluid_images(v)[0].flatten(1).numpy()
        labels = video_labels(cfg, v, train)
        emb = ContrastiveEmbedder(embed).fit(X[train], labels, quiet=True)
        C = emb.transform(X)
    wall = time.perf_counter() - t0
    phase = shedding_phase(v.lift[0], v.force_time, v.t)
    tr, te = after_startup(v, train), after_startup(v, test)
    y = np.stack([np.cos(phase), np.sin(phase)], 1)
    inner, tt = interior_frames(v.time, train, test), v.time[train]
    b = np.searchsorted(tt, v.time[inner]); a = b - 1
    w = ((v.time[inner] - tt[a]) / (tt[b] - tt[a]))[:, None]
    spline = spline_interpolate(C[train], tt, v.time[inner])
    line = C[train][a] + w * (C[train][b] - C[train][a])
    dist = lambda P: np.linalg.norm(P - C[inner], axis=1).mean()
    return {'setting': name, 'label': label, 'steps': embed.max_iterations, 'fit s': round(emb.fit_seconds_, 1),
            'built now': wall > 0.5 * emb.fit_seconds_,
            'loss improvement, last 10 %': loss_improvement(emb.loss_),
            'phase R² (linear, held out)': phase_r2(C, phase, tr, te),
            'phase R² (5-NN, held out)': r2_score(y[te], KNeighborsRegressor(5).fit(C[tr], y[tr]).predict(C[te])),
            'time R² (linear, held out)': r2_score(v.time[te], LinearRegression().fit(C[tr], v.time[tr]).predict(C[te])),
            'spline / lerp distance in C': dist(spline) / dist(line)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--profile', default='cpu')
    p.add_argument('--only', nargs='*', help=f'settings to run (default: all of {list(SETTINGS)})')
    p.add_argument('--json', help='also append each row to this JSON-lines file')
    p.add_argument('--features', choices=('latents', 'images'), default='latents', help='what CEBRA embeds (see above)')
    machine_options(p, device='cpu', threads=1)
    a = p.parse_args()
    dev = machine(a)
    cfg = get_profile(a.profile).conda
    rows = []
    for name in a.only or SETTINGS:
        rows.append(measure(cfg, name, SETTINGS[name], a.features))
        print(json.dumps(rows[-1]), flush=True)
        if a.json:
            with open(a.json, 'a') as f: f.write(json.dumps(rows[-1]) + '\n')
    print(f'\nCEBRA settings on the {a.profile} video\'s {a.features} ({where(dev)}); gates: improvement <= 0.01, linear R² >= 0.9')
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt='.4g'))


if __name__ == '__main__':
    main()

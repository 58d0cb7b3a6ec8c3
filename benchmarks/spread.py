"""How far the headline numbers of the animals data move when only the training seed changes.

Trains the judges that `nbs/paper/animals_dataset.ipynb` trains, with the same library functions
(`canonical.judge`, `animals.background_variant`, `animals.bg_gap`, `robustness.accuracy`) and the profile's
recipe, at two training seeds (the data fixed), and prints per quantity its value at each seed and the spread
|seed A - seed B|. Training runs with `core.STAGE_THREADS` torch threads, so the thread count adds no spread (the
notebooks 11_train and 31_distill test it); what remains is the seed. A verdict whose margin lies within the spread
is not a verdict.

The profile's own seed (0) reuses judges the paper notebook cached under the data folder; set CONDACLARID_DATA to
train everything afresh:

    CONDACLARID_DATA=/tmp/spread .venv/bin/python benchmarks/spread.py --profile ci    # seconds: checks it runs
    .venv/bin/python benchmarks/spread.py --profile cpu                                # 8 judges of 500 steps
"""
from __future__ import annotations
import argparse, dataclasses, time, warnings

import pandas as pd

from machine import machine, machine_options, where
from condaclarid.animals import VARIANTS, background_variant, bg_gap
from condaclarid.canonical import canonical_data, judge
from condaclarid.profiles import get_profile
from condaclarid.robustness import accuracy

warnings.filterwarnings('ignore', category=FutureWarning)


def judge_numbers(cfg, seed: int, device) -> dict:
    """The animals-dataset notebook's judge numbers with the judges trained at `seed` (`cfg.judge.seed`): accuracies
    of the class judge on the test variants, its BG-Gap, the control judge's (trained without the cue), and the
    accuracies from the background alone and from the foreground alone."""
    cfg = dataclasses.replace(cfg, judge=dataclasses.replace(cfg.judge, seed=seed))
    test = canonical_data(cfg)['test']
    variants = {v: background_variant(test, v, seed=cfg.seed) for v in VARIANTS}
    acc = lambda model, v: accuracy(model, variants[v], test.labels)
    cue, ctrl = judge(cfg, 'class', 'Original', device=device), judge(cfg, 'class', 'Original', cue=False, device=device)
    on_cue = {v: acc(cue, v) for v in ('Original', 'Mixed-Same', 'Mixed-Rand')}
    on_ctrl = {v: acc(ctrl, v) for v in ('Mixed-Same', 'Mixed-Rand')}
    out = {f'judge accuracy, {v}': a for v, a in on_cue.items()}
    out.update({'judge BG-Gap': bg_gap(on_cue),
                'BG-Gap of a judge trained without the cue': bg_gap(on_ctrl),
                'accuracy on Mixed-Rand of a judge trained without the cue': on_ctrl['Mixed-Rand']})
    for v in ('Only-BG-T', 'Only-FG'):
        out[f'accuracy trained and tested on {v}'] = acc(judge(cfg, 'class', v, device=device), v)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--profile', default='ci', help="'ci' (checks it runs) or 'cpu' (the numbers the README reports)")
    p.add_argument('--seeds', type=int, nargs=2, default=(0, 1), help='the two training seeds (default 0 1)')
    machine_options(p, device='cpu')
    a = p.parse_args()
    dev = machine(a)
    cfg = get_profile(a.profile).clarid
    t0 = time.perf_counter()
    runs = {s: judge_numbers(cfg, s, dev) for s in a.seeds}
    s0, s1 = a.seeds
    table = pd.DataFrame([{'quantity': q, f'seed {s0}': runs[s0][q], f'seed {s1}': runs[s1][q],
                           'spread': abs(runs[s0][q] - runs[s1][q])} for q in runs[s0]])
    print(f"judges of the animals data at the {a.profile} profile ({cfg.data.n_test * 10} test images; judge "
          f"{cfg.judge.steps} steps, width {cfg.judge.width}), training seeds {s0} and {s1}; "
          f"{where(dev)}; {time.perf_counter() - t0:.0f} s\n")
    print(table.to_markdown(index=False, floatfmt='.3f'))


if __name__ == '__main__':
    main()

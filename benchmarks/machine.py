"""What every benchmark script shares: its `--device` and `--threads` options, applying them, and the words that say
where a table was measured (a GPU's name, or the CPU threads and the load average, since a shared CPU is slower)."""
from __future__ import annotations
import argparse, os

import torch

from condaclarid.core import get_device


def machine_options(p: argparse.ArgumentParser, device: str | None = None, threads: int | None = None):
    "Add `--device` and `--threads` to `p` with these defaults (device None: cuda if available; threads None: torch decides)."
    p.add_argument('--device', default=device, help=f"'cpu' or 'cuda' (default: {device or 'cuda if available'})")
    p.add_argument('--threads', type=int, default=threads, help=f"torch CPU threads (default: {threads or 'torch decides'})")


def machine(a: argparse.Namespace) -> torch.device:
    "Apply `a.threads`, silence the library's progress bars, and return the device `a.device` names."
    if a.threads: torch.set_num_threads(a.threads)
    os.environ.setdefault('CONDACLARID_QUIET', '1')
    return get_device(a.device)


def where(dev: torch.device) -> str:
    "Where a table is measured: `device cuda (NVIDIA H200)`, or `device cpu, 1 CPU threads (load average 2.1)`."
    if dev.type == 'cuda': return f'device {dev} ({torch.cuda.get_device_name(dev)})'
    return f'device {dev}, {torch.get_num_threads()} CPU threads (load average {os.getloadavg()[0]:.1f})'

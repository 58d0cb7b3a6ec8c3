#!/usr/bin/env bash
# The GPU check, in one command: install the wheelhouse if packages are missing, run the whole paper at the `ci`
# profile through the runner (every notebook and tour, on the GPU if there is one), then time each expensive stage at
# `paper` sizes and predict the `paper` profile's time per notebook (benchmarks/paper_rates.py).
#
#   benchmarks/gpu_check.sh OUT [paper_rates.py options, e.g. --quick or --device cpu]
#
# OUT gets: paper-ci/ (the runner's REPORT.md, executed notebooks, figures), rates.csv|md, predicted.csv|md,
# predicted_stages.csv|md and gpu_check.md (what ran where, and the two tables). Python: $PYTHON, else .venv/bin/python,
# else python3. Missing packages come from .whl/ (`make wheelhouse`), installed into $CONDACLARID_SITE
# (default /tmp/condaclarid-site); the library itself is used from this source tree. Exit status 1 if a notebook failed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: benchmarks/gpu_check.sh OUT [--quick] [--device cpu|cuda]}; shift
mkdir -p "$out"; out=$(cd "$out" && pwd)
py=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
site=${CONDACLARID_SITE:-/tmp/condaclarid-site}
needs='import diffusers, cebra, papermill, torchattacks, nbformat, fastcore, ipykernel, animal_mnist'
t0=$SECONDS

if ! "$py" -c "$needs" 2>/dev/null; then
  ls .whl/*.whl >/dev/null 2>&1 || { echo "gpu_check: packages missing and no wheelhouse in .whl/: run 'make wheelhouse' where pip works" >&2; exit 2; }
  echo "== installing $(ls .whl/*.whl | wc -l) wheels from .whl/ into $site"
  "$py" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$site" .whl/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  "$py" -c "$needs"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"      # condaclarid from this tree; its paper notebooks beside it

# papermill runs the notebooks in the `condaclarid` kernel if one is registered, else `python3`: register it with
# this interpreter where it is missing (the kernel inherits PYTHONPATH).
if ! "$py" -c 'from jupyter_client.kernelspec import find_kernel_specs as f; import sys; sys.exit("condaclarid" not in f())'; then
  "$py" -m ipykernel install --prefix "$site/kernel" --name condaclarid --display-name condaclarid >/dev/null
  export JUPYTER_PATH="$site/kernel/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
fi

device=$("$py" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU: CPU")')
echo "== device: $device; python: $("$py" -c 'import sys; print(sys.version.split()[0])'); torch $("$py" -c 'import torch; print(torch.__version__)')"

echo "== the whole paper at the ci profile (every notebook and tour, through the runner)"
ci=0
"$py" -m condaclarid.cli reproduce --profile ci --force --quiet --out "$out/paper-ci" || ci=$?
ci_seconds=$((SECONDS - t0))

echo "== stage rates at paper sizes, and the predicted paper profile"
"$py" benchmarks/paper_rates.py --out "$out" "$@"

{
  echo "# GPU check — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Device: $device. Python $("$py" -c 'import sys; print(sys.version.split()[0])'), torch $("$py" -c 'import torch; print(torch.__version__)'). Options: ${*:-none}."
  echo
  echo "## The paper at the ci profile ($ci_seconds s; exit status $ci; report: paper-ci/REPORT.md)"
  echo
  sed -n '/^| id /,/^$/p; /^| tutorial /,/^$/p' "$out/paper-ci/REPORT.md"
  echo "## Measured rates at paper sizes"
  echo
  cat "$out/rates.md"
  echo
  echo "## Predicted time of the paper profile per notebook (hours; work per stage in predicted_stages.md)"
  echo
  cat "$out/predicted.md"
} > "$out/gpu_check.md"
echo "== done in $((SECONDS - t0)) s: $out/gpu_check.md"
[ "$ci" -eq 0 ] || { echo "gpu_check: a notebook failed at the ci profile (exit status $ci): see $out/paper-ci/REPORT.md" >&2; exit 1; }

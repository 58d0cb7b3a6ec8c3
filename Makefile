# condaclarid — the two commands are `make reproduce` and `make test` (see README.md); `make docs` builds the site.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The one torch pin: installs use it as a constraint, so pip never swaps in another (e.g. multi-GB CUDA) build.
TORCH := 2.13.0
# The silhouettes of the CLARID animals data (MIT); installed without its declared dependencies (see below).
ANIMAL_MNIST := 0.4
PROFILE ?= auto
STAMP := $(VENV)/.installed

.PHONY: reproduce test docs install readme readme-figures check-clean check-sync nbtest pytest paper-ci clean-venv wheelhouse

reproduce: $(STAMP)
	$(BIN)/condaclarid reproduce --profile $(PROFILE)

# paper-ci before pytest: the site test (tests/test_docs.py) reuses the tours it executed in figures/ci/.
test: $(STAMP) check-clean check-sync readme-check nbtest paper-ci pytest
	@echo "make test: all checks passed"

# The documentation site in _site/ (open _site/index.html), from figures/<profile>/: cpu unless PROFILE names one.
docs: $(STAMP)
	$(BIN)/condaclarid docs --profile $(if $(filter auto,$(PROFILE)),cpu,$(PROFILE))

install: $(STAMP)

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	echo "torch==$(TORCH)" > $(VENV)/constraints.txt
	$(BIN)/pip install -q -c $(VENV)/constraints.txt "torch==$(TORCH)"
	$(BIN)/pip install -q -c $(VENV)/constraints.txt -e '.[dev]'
	# animal-mnist declares tensorflow and keras, which its data files do not need: install it alone
	$(BIN)/pip install -q --no-deps "animal-mnist==$(ANIMAL_MNIST)"
	$(BIN)/python -m ipykernel install --sys-prefix --name condaclarid --display-name condaclarid >/dev/null
	touch $(STAMP)

# Notebooks must be committed clean: fail if nbdev_clean changes anything.
check-clean: $(STAMP)
	@before=$$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | xargs md5sum); \
	$(BIN)/nbdev_clean; \
	after=$$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | xargs md5sum); \
	if [ "$$before" != "$$after" ]; then diff <(echo "$$before") <(echo "$$after"); \
	  echo "ERROR: notebooks were not clean (nbdev_clean changed the files above): review and commit them."; exit 1; fi

# The library must be what the notebooks export: fail, with the diff, if nbdev_export changes condaclarid/.
check-sync: $(STAMP)
	@tmp=$$(mktemp -d); cp -r condaclarid $$tmp/; \
	$(BIN)/nbdev_export; \
	if ! diff -ru --exclude=__pycache__ $$tmp/condaclarid condaclarid; then \
	  echo "ERROR: library out of sync with notebooks: condaclarid/ changed on nbdev_export (diff above)."; \
	  echo "Export with nbdev_export and commit; never edit condaclarid/*.py by hand."; rm -rf $$tmp; exit 1; fi; \
	rm -rf $$tmp

# README.md is generated from nbs/index.ipynb.
readme: $(STAMP)
	$(BIN)/jupyter nbconvert --log-level WARN --to markdown nbs/index.ipynb --output-dir . --output README

# The README's three figures: small copies of figures/cpu/ (from `make reproduce`) in figures/readme/, committed.
readme-figures: $(STAMP)
	$(BIN)/python -c "from condaclarid.cli import readme_figures; readme_figures('figures/cpu', 'figures/readme')"

readme-check: $(STAMP)
	@$(BIN)/jupyter nbconvert --log-level WARN --to markdown nbs/index.ipynb --stdout 2>/dev/null | diff -q - README.md >/dev/null \
	  || { echo "ERROR: README.md is stale: run 'make readme' and commit."; exit 1; }

nbtest: $(STAMP)
	# two workers on two cores: one torch thread each, or they oversubscribe and crawl
	CONDACLARID_QUIET=1 OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --timing
	# the module notebooks once more with two torch threads (one worker): a test that holds only at one thread fails here
	CONDACLARID_QUIET=1 OMP_NUM_THREADS=2 $(BIN)/nbdev_test --n_workers 1 --timing --file_re '^[0-9]{2}_'

pytest: $(STAMP)
	CONDACLARID_QUIET=1 $(BIN)/pytest -q -rs tests

paper-ci: $(STAMP)
	# ci models are tiny: one torch thread avoids thread overhead and oversubscription
	OMP_NUM_THREADS=1 $(BIN)/condaclarid reproduce --profile ci --quiet

clean-venv:
	rm -rf $(VENV)

# The wheels an air-gapped GPU node (Python 3.12, CUDA torch and the scientific stack, no registry) lacks to run the
# paper: benchmarks/gpu-wheels.txt (written by benchmarks/gpu_wheels.py from this venv), as Python 3.12 x86-64 wheels
# in .whl/ (at most 64 MiB: what a device call carries), checked by a dry install for that interpreter.
# Then, on the node: benchmarks/gpu_check.sh OUT (see README.md, "GPU check").
WHEEL_TAGS := --python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none \
  $(foreach p,manylinux_2_28 manylinux_2_27 manylinux_2_26 manylinux_2_17 manylinux2014 manylinux1,--platform $(p)_x86_64)
PIP := $(if $(wildcard $(BIN)/pip),$(BIN)/pip,$(PY) -m pip)

wheelhouse:
	rm -rf .whl && mkdir .whl
	$(PIP) download -q --no-deps --only-binary=:all: $(WHEEL_TAGS) -d .whl -r benchmarks/gpu-wheels.txt
	@want=$$(grep -c '==' benchmarks/gpu-wheels.txt); got=$$(ls .whl/*.whl | wc -l); \
	if [ "$$want" != "$$got" ]; then echo "ERROR: $$got wheels in .whl/ for $$want pins in benchmarks/gpu-wheels.txt"; exit 1; fi
	tmp=$$(mktemp -d); $(PIP) install -q --no-index --no-deps --no-compile --only-binary=:all: $(WHEEL_TAGS) \
	  --target $$tmp .whl/*.whl && rm -rf $$tmp
	@size=$$(du -cb .whl/*.whl | tail -1 | cut -f1); \
	echo "wheelhouse: $$(ls .whl/*.whl | wc -l) wheels, $$((size / 1048576)) MiB in .whl/"; \
	if [ $$size -gt $$((64 * 1048576)) ]; then echo "ERROR: .whl/ is over 64 MiB: a device call cannot carry it"; exit 1; fi

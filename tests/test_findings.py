"""Paper notebooks write what they found from the numbers they recorded (issue 18, §2): no Markdown cell of
`nbs/paper/*.ipynb` types a number the project measured, and every notebook that declares paper numbers ends by
checking that it recorded them (`findings.findings` or `findings.check_recorded` in its last code cell)."""
import ast, re
from pathlib import Path

import nbformat
import pytest

from condaclarid.findings import typed_numbers

PAPER = Path(__file__).resolve().parents[1]/'nbs'/'paper'
NOTEBOOKS = sorted(p for p in PAPER.glob('*.ipynb') if not p.name.startswith(('_', '.')))

# Numbers a Markdown cell may type that are not measurements of this project, by notebook: the paper's settings, gate
# thresholds and the like. The paper's own results need no entry here: they are allowed where they equal a number the
# notebook declares in `PAPER['numbers']` (as a fraction or as a percentage).
ALLOWED = {
    'animals_dataset': {'10 %': 'chance with ten classes'},
    'cadistill_ablations': {'0.4': "the paper's loss weight lambda", '0.5': "the paper's loss weight lambda",
                            '0 %': 'what undefended students are expected at'},
    'cadistill_robustness': {'10 %': "the paper's share of CLAReps", '0 %': 'what undefended students are expected at',
                             '20 %': 'students-converged: the part of training it looks at', '0.01': 'students-converged threshold',
                             '0.02': 'attacks-valid threshold', '0.03': 'attacks-valid tolerance'},
    'clarid_nmi': {'0.1': "the paper's feature time t_r"},
    'clarid_samples': {'5 %': 'significance level', '0.8': 'teacher-regenerates threshold'},
    'conda_classification': {'10 %': 'embedding-converged: the part of the steps it looks at'},
    'conda_embedding': {'1 %': 'embedding-converged threshold', '10 %': 'embedding-converged: the part of the steps it looks at',
                        '0.9': 'embedding-time threshold'},
    'conda_locality': {'0.6': "the paper's perturbation step"},
    'fluid_dataset': {'2.2': 'Schäfer–Turek geometry', '0.41': 'Schäfer–Turek geometry', '0.05': 'Schäfer–Turek geometry',
                      '0.2': 'Schäfer–Turek geometry', '1.5': "the paper's time window"},
}


def _value(token: str) -> float:
    return float(re.sub(r'[^\d.+-]', '', token.replace('−', '-')))


def declared_numbers(nb) -> list[float]:
    "Every number in the values of the notebook's `PAPER['numbers']`, including those inside texts such as '0.219 (ImageNet)'."
    for cell in nb.cells:
        if cell.cell_type == 'code' and cell.source.startswith('PAPER'):
            decl = ast.literal_eval(cell.source.split('=', 1)[1].strip())
            values = [str(v) for v in decl.get('numbers', {}).values()]
            return [_value(t) for v in values for t in re.findall(r'[-+]?\d*\.?\d+', v)]
    raise ValueError(f'{nb.metadata.get("name", "notebook")}: no PAPER declaration')


def measured_in_markdown(path: Path) -> list[str]:
    "The numbers in `path`'s Markdown cells that are neither a declared paper number nor allowed for that notebook."
    nb = nbformat.read(path, as_version=4)
    paper, allowed = declared_numbers(nb), ALLOWED.get(path.stem, {})
    def quoted(token):
        v = _value(token)
        return any(abs(v - d) < 1e-9 or (token.endswith('%') and abs(v - 100*d) < 1e-9) for d in paper)
    text = '\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')
    text = re.sub(r'arXiv \d+\.\d+', '', text)                          # paper identifiers
    return [t for t in typed_numbers(text) if t not in allowed and not quoted(t)]


def test_scanner_sees_measured_numbers(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("The paper (arXiv 2506.09955) reports 0.87 and +6.7 %; chance is 10 %."),
        nbformat.v4.new_code_cell("PAPER = {'id': 'x', 'numbers': {'acc': 0.87, 'gain': '+0.067 (ImageNet-A)'}}"),
        nbformat.v4.new_markdown_cell("We found 0.854, 26.3 dB and 58 % at Re 85 (Figure 3).")])
    nbformat.write(nb, tmp_path/'animals_dataset.ipynb')            # a notebook name whose allow-list has '10 %'
    assert measured_in_markdown(tmp_path/'animals_dataset.ipynb') == ['0.854', '26.3 dB', '58 %']


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_no_measured_number_in_markdown(path):
    found = measured_in_markdown(path)
    assert not found, (f"{path.name} types numbers in Markdown that look measured: {found}. Render them from the recorded "
                       "values (condaclarid.findings), or, if one is not a measurement, add it to ALLOWED with the reason")


def test_allow_list_is_used():
    "Every allowed number still occurs where it is allowed (no stale entries that would let a measurement through later)."
    for stem, allowed in ALLOWED.items():
        nb = nbformat.read(PAPER/f'{stem}.ipynb', as_version=4)
        found = set(typed_numbers('\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')))
        assert set(allowed) <= found, f'{stem}: allowed but not typed any more: {sorted(set(allowed) - found)}'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_declared_numbers_are_checked(path):
    "A notebook that declares paper numbers ends by checking it recorded every one (`findings` or `check_recorded`)."
    nb = nbformat.read(path, as_version=4)
    if not declared_numbers(nb): return
    last = [c for c in nb.cells if c.cell_type == 'code'][-1].source
    assert re.search(r'\b(findings|check_recorded)\(rec\b', last), f'{path.name}: its last code cell does not call findings(rec, ...)'

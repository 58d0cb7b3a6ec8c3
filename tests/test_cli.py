"""The `condaclarid` command end to end: discovery, failures, skipping and forcing, the report."""
import ast, json, subprocess, sys
from pathlib import Path

import nbformat
import pytest

from condaclarid.paper import make_paper_notebook, discover, discover_tutorials
from condaclarid.runner import output_lock

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, '-m', 'condaclarid.cli', *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def paper(tmp_path):
    nbs, out = tmp_path/'nbs', tmp_path/'out'
    nbs.mkdir()
    make_paper_notebook(nbs/'a_ok.ipynb', 'ok', "open(out_dir + '/ok.txt', 'w').write(profile); rec('ok n', 1)",
                        outputs=['ok.txt'])
    make_paper_notebook(nbs/'b_bad.ipynb', 'bad', "x = 1\n1 / 0")
    make_paper_notebook(nbs/'c_late.ipynb', 'late', "open(out_dir + '/late.txt', 'w').write('x'); rec('late n', 7.5)",
                        outputs=['late.txt'])
    return nbs, out


def run(nbs, out, *extra):
    return cli('reproduce', '--profile', 'ci', '--notebooks', str(nbs), '--out', str(out), '--kernel', 'python3',
               '--quiet', *extra)


def test_list(paper):
    nbs, _ = paper
    r = cli('reproduce', '--list', '--notebooks', str(nbs))
    assert r.returncode == 0 and [l.split()[0] for l in r.stdout.splitlines()] == ['ok', 'bad', 'late']


def test_failure_reported_others_continue(paper):
    nbs, out = paper
    r = run(nbs, out)
    assert r.returncode == 1
    assert 'ZeroDivisionError: division by zero' in r.stdout
    # papermill injects a parameters cell, so the failing cell (after the setup cell) is index 5 of the executed notebook
    assert f"in cell 5 of the partially executed notebook {out/'notebooks'/'bad.ipynb'}" in r.stdout
    assert (out/'notebooks'/'bad.ipynb').exists()
    assert (out/'ok.txt').read_text() == 'ci' and (out/'late.txt').exists()
    report = (out/'REPORT.md').read_text()
    assert '| failed |' in report and 'ZeroDivisionError' in report and report.count('| ok |') == 2


def test_fail_fast_stops(paper):
    nbs, out = paper
    r = run(nbs, out, '--fail-fast')
    assert r.returncode == 1 and not (out/'late.txt').exists()


def test_up_to_date_skipped_and_force(paper):
    nbs, out = paper
    assert run(nbs, out, '--only', 'ok').returncode == 0
    r = run(nbs, out, '--only', 'ok')
    assert 'up to date' in r.stdout
    r = run(nbs, out, '--only', 'ok', '--force')
    assert r.returncode == 0 and 'up to date' not in r.stdout


def test_changed_notebook_reruns(paper):
    nbs, out = paper
    assert run(nbs, out, '--only', 'ok').returncode == 0
    make_paper_notebook(nbs/'a_ok.ipynb', 'ok', "open(out_dir + '/ok.txt', 'w').write('v2'); rec('n', 2)",
                        outputs=['ok.txt'])
    assert run(nbs, out, '--only', 'ok').returncode == 0 and (out/'ok.txt').read_text() == 'v2'


def test_rerun_drops_numbers_no_longer_recorded(tmp_path):
    nbs, out = tmp_path/'nbs', tmp_path/'out'
    nbs.mkdir()
    rec = "from condaclarid.paper import record\n"
    make_paper_notebook(nbs/'r.ipynb', 'r', rec + "record(out_dir, 'r', 'old', 1.0); record(out_dir, 'r', 'kept', 2.0)")
    assert run(nbs, out).returncode == 0 and '| old | 1 |' in (out/'REPORT.md').read_text()
    make_paper_notebook(nbs/'r.ipynb', 'r', rec + "record(out_dir, 'r', 'kept', 3.0)")
    assert run(nbs, out).returncode == 0
    report = (out/'REPORT.md').read_text()
    assert '| kept | 3 |' in report and '| old |' not in report


def test_missing_declared_output_fails(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    make_paper_notebook(nbs/'x.ipynb', 'x', 'pass', outputs=['never.png'])
    r = run(nbs, tmp_path/'out')
    assert r.returncode == 1 and "did not write its declared outputs ['never.png']" in r.stdout


def test_bad_arguments_exit_2(paper):
    nbs, out = paper
    r = run(nbs, out, '--only', 'nope')
    assert r.returncode == 2 and "unknown notebook ids ['nope']" in r.stderr
    r = cli('reproduce', '--profile', 'huge', '--notebooks', str(nbs))
    assert r.returncode == 2 and 'unknown profile' in r.stderr
    r = cli('reproduce', '--notebooks', str(nbs/'missing'), '--list')
    assert r.returncode == 2 and 'no paper notebook folder' in r.stderr


def test_project_paper_notebooks_are_well_formed():
    "Every real paper notebook declares itself and has a `parameters` cell of literals holding `profile`."
    for nb in discover(ROOT/'nbs'/'paper'):
        cells = nbformat.read(nb.path, as_version=4).cells
        params = [c for c in cells if 'parameters' in c.metadata.get('tags', [])]
        assert len(params) == 1, f'{nb.path.name}: needs exactly one cell tagged parameters'
        names = {}
        for node in ast.parse(params[0].source).body:
            assert isinstance(node, ast.Assign), f'{nb.path.name}: parameters cell must hold assignments only'
            names[node.targets[0].id] = ast.literal_eval(node.value)
        assert {'profile', 'out_dir'} <= set(names), f'{nb.path.name}: parameters must set profile and out_dir'
        assert nb.outputs, f'{nb.path.name}: declares no outputs'


def test_only_keeps_every_notebook_in_the_report(paper):
    "The README's `--only ID --force` must not drop the other notebooks' rows and numbers from REPORT.md."
    nbs, out = paper
    assert run(nbs, out).returncode == 1                              # bad fails, ok and late record numbers
    make_paper_notebook(nbs/'d_new.ipynb', 'new', "rec('new n', 1)")
    r = run(nbs, out, '--only', 'ok', '--force')
    assert r.returncode == 0 and 'late' not in r.stdout               # only ok ran ...
    report = (out/'REPORT.md').read_text()                           # ... but the report covers all four
    for row in ('| [late](notebooks/late.ipynb) |', '| [bad](notebooks/bad.ipynb) |', '| new |', '| [ok](notebooks/ok.ipynb) |'):
        assert row in report, row
    assert '| late n | 7.5 |' in report and '| ok n | 1 |' in report
    assert '| ok (earlier run) |' in report and '| failed (earlier run) |' in report and '| never run |' in report
    stamp = json.loads((out/'.stamps'/'late.json').read_text())
    assert f"| {stamp['finished']} |" in report                       # marked with the time of that run
    assert 'ZeroDivisionError' in report


def test_changed_notebook_not_rerun_is_marked_out_of_date(paper):
    nbs, out = paper
    assert run(nbs, out, '--only', 'late').returncode == 0
    make_paper_notebook(nbs/'c_late.ipynb', 'late', "open(out_dir + '/late.txt', 'w').write('y'); rec('late n', 8)",
                        outputs=['late.txt'])
    assert run(nbs, out, '--only', 'ok').returncode == 0
    assert '| ok (earlier run, out of date) |' in (out/'REPORT.md').read_text()


def test_non_finite_number_fails_the_notebook(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    make_paper_notebook(nbs/'n.ipynb', 'n', "rec('fine', 1.0)\nrec('broken', float('nan'))")
    r = run(nbs, tmp_path/'out')
    assert r.returncode == 1 and "'broken' is nan, not a finite number" in r.stdout
    assert [x['quantity'] for x in json.loads((tmp_path/'out'/'n.results.json').read_text())] == ['fine']


def test_notebook_that_records_nothing_fails(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    make_paper_notebook(nbs/'q.ipynb', 'q', "x = 1")
    r = run(nbs, tmp_path/'out')
    assert r.returncode == 1 and 'recorded no number' in r.stdout


def test_dead_kernel_names_the_running_cell(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    make_paper_notebook(nbs/'k.ipynb', 'k', "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    r = run(nbs, tmp_path/'out')
    assert r.returncode == 1 and 'DeadKernelError' in r.stdout
    assert f"in cell 5 of the partially executed notebook {tmp_path/'out'/'notebooks'/'k.ipynb'}" in r.stdout


def test_second_run_on_the_same_folder_is_refused(paper):
    nbs, out = paper
    with output_lock(out):                                            # as if another run were writing there
        r = run(nbs, out, '--only', 'ok')
    assert r.returncode == 2 and f'another run is writing to {out}' in r.stderr
    assert not (out/'REPORT.md').exists() and not (out/'.stamps').exists()
    assert run(nbs, out, '--only', 'ok').returncode == 0               # released: the next run goes ahead


def write_tour(path, body):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell('# My tour'),
        nbformat.v4.new_code_cell("profile = 'paper'", metadata={'tags': ['parameters']}),
        nbformat.v4.new_code_cell(body)])
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
    nbformat.write(nb, str(path))


def test_tours_run_after_the_paper_notebooks_and_only_selects_them(tmp_path):
    "A tour beside the paper folder runs at the profile, is listed, reported in its section, and selectable by id."
    nbs, tours, out = tmp_path/'paper', tmp_path/'tutorials', tmp_path/'out'
    nbs.mkdir(); tours.mkdir()
    make_paper_notebook(nbs/'a.ipynb', 'a', "rec('n', 1)")
    write_tour(tours/'my_tour.ipynb', "assert profile == 'ci'")
    write_tour(tours/'bad_tour.ipynb', "raise RuntimeError('tour broke')")
    r = cli('reproduce', '--list', '--notebooks', str(nbs))
    assert [l.split()[0] for l in r.stdout.splitlines()] == ['a', 'bad-tour', 'my-tour']
    r = run(nbs, out, '--only', 'my-tour')
    assert r.returncode == 0 and (out/'tutorials'/'my-tour.ipynb').exists() and not (out/'notebooks').exists()
    report = (out/'REPORT.md').read_text()
    assert '| [my-tour](tutorials/my-tour.ipynb) | My tour | ok |' in report
    assert '| a | test |' in report and '| bad-tour | My tour | never run |' in report
    assert '## my-tour' not in report                                 # tours have no section of numbers
    r = run(nbs, out)
    assert r.returncode == 1 and 'RuntimeError: tour broke' in r.stdout and 'up to date' in r.stdout
    assert 'tour broke' in (out/'REPORT.md').read_text()


def test_project_tutorials_take_a_profile():
    "Every real tour has a `parameters` cell setting `profile`, so the runner can execute it at any profile."
    tours = discover_tutorials(ROOT/'nbs'/'tutorials')
    assert {'conda-tour', 'clarid-tour', 'cadistill-tour'} <= {t.id for t in tours}


def test_one_command_with_every_subcommand():
    "One `condaclarid` command (the console script is `condaclarid.cli:main`) with the papers' and the jobs' subcommands."
    r = cli('--help')
    assert r.returncode == 0, r.stderr
    assert '{reproduce,docs,teacher,train,invert,sample,clarid}' in r.stdout, r.stdout
    scripts = [l for l in (ROOT/'settings.ini').read_text().splitlines() if l.startswith('console_scripts')]
    assert scripts == ['console_scripts = condaclarid=condaclarid.cli:main'], scripts
    r = cli('invert', 'no-model', 'no-such.npz', 'z.npz')                 # a job's bad input: status 2, one line
    assert r.returncode == 2 and r.stderr.strip() == 'condaclarid: error: no such file: no-such.npz', r.stderr

"""The documentation site of the project at the `ci` profile: every page, every link, every picture, and one page
rendered by a real headless browser where one is installed."""
import re, shutil, subprocess, sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from condaclarid.docs import check_site, plan_site
from condaclarid.paper import discover_tutorials
from condaclarid.cli import README_FIGURES

ROOT = Path(__file__).resolve().parents[1]
TOURS = discover_tutorials(ROOT/'nbs'/'tutorials')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The site at `ci`, built by the command line: the tours come from `figures/ci/tutorials/` (`make test` runs
    `paper-ci` first), else are run now. The command checks the site itself and exits 1 on any problem."""
    out = tmp_path_factory.mktemp('docs')/'_site'
    r = subprocess.run([sys.executable, '-m', 'condaclarid.cli', 'docs', '--profile', 'ci', '--out', str(out),
                        '--quiet'], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and f"open {out/'index.html'}" in r.stdout, r.stdout + r.stderr[-3000:]
    return out, [p['page'] for p in plan_site(ROOT, ROOT/'figures'/'ci')]


def test_every_page_exists(site):
    out, pages = site
    modules = {f'api/{p.stem}.html' for p in (ROOT/'nbs').glob('*.ipynb') if p.stem != 'index'}
    tours = {f'tutorials/{t.path.stem}.html' for t in TOURS}
    assert len(tours) == 3 and len(modules) >= 15
    assert {'index.html', 'report/index.html'} | modules | tours <= set(pages)
    missing = [p for p in pages if not (out/p).is_file()]
    assert not missing, missing


def test_links_resolve_images_present_nothing_offsite(site):
    out, _ = site
    assert check_site(out) == []


def test_home_page_links_the_tours_and_the_report(site):
    out, _ = site
    home = (out/'index.html').read_text()
    for t in TOURS: assert f'href="tutorials/{t.path.stem}.html"' in home, t.id
    assert 'href="report/index.html"' in home


def test_home_page_shows_the_readme_figures(site):
    "The README shows the figures `make readme-figures` writes; they are on the home page, copied into the site."
    out, _ = site
    home = (out/'index.html').read_text()
    figures = re.findall(r'!\[[^\]]*\]\((figures/readme/[^)\s]+\.png)\)', (ROOT/'README.md').read_text())
    assert sorted(Path(f).name for f in figures) == sorted(README_FIGURES), figures   # what the make target writes
    for f in figures: assert f'src="files/{f}"' in home and (out/'files'/f).is_file(), f


def test_tours_show_their_pictures(site):
    "Each tour page carries every figure of its run at the site's profile, inline."
    out, _ = site
    for t in TOURS:
        run = nbformat.read(ROOT/'figures'/'ci'/t.executed, as_version=4)
        pictures = sum('image/png' in o.get('data', {}) for c in run.cells if c.cell_type == 'code' for o in c.outputs)
        page = (out/'tutorials'/f'{t.path.stem}.html').read_text()
        assert pictures >= 2 and page.count('src="data:image/png;base64,') == pictures, t.id
        assert run.metadata.papermill.parameters == {'profile': 'ci'}, t.id


def test_report_page_lists_the_tours(site):
    out, _ = site
    report = (out/'report'/'index.html').read_text()
    for t in TOURS: assert f'href="../tutorials/{t.path.stem}.html"' in report, t.id


CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


@pytest.mark.skipif(not CHROMIUM, reason="no headless browser here (Debian's `chromium` package provides one): "
                                          "the pages were checked for links and pictures, not rendered")
def test_tour_renders_in_headless_chromium(site, tmp_path):
    "Chromium draws the ConDA tour: a screenshot that is not blank and holds colour (the inferno flow frames)."
    out, _ = site
    shot = tmp_path/'tour.png'
    r = subprocess.run([CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                        '--disable-component-update', '--no-first-run', f'--user-data-dir={tmp_path/"profile"}',
                        '--hide-scrollbars', '--window-size=1280,4000', f'--screenshot={shot}',
                        (out/'tutorials'/'conda_tour.html').as_uri()], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    rgb = np.asarray(Image.open(shot).convert('RGB')).astype(float)
    assert rgb.shape[:2] == (4000, 1280)
    assert rgb.std() > 20, 'blank page'
    saturation = rgb.max(-1) - rgb.min(-1)
    assert (saturation > 100).mean() > 0.01, 'no coloured figure on the page'

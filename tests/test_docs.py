"""The documentation site of the project at the `ci` profile, built by the command line as `make docs PROFILE=ci`
does: every page, every link, every picture; then pages rendered by a real headless browser (formulas as MathML,
search finding a function, the API's anchors) where one is installed."""
import html, re, shutil, subprocess, sys
from pathlib import Path

import nbformat
import pytest

from condaclarid.docs import check_site, plan_site
from condaclarid.paper import discover, discover_tutorials
from condaclarid.cli import README_FIGURES
from condaclarid.profiles import default_out_dir

ROOT = Path(__file__).resolve().parents[1]
TOURS = discover_tutorials(ROOT/'nbs'/'tutorials')
REPORTS = default_out_dir('ci', ROOT)
BAR = re.compile(r'\d+%\||\d(?:it/s|s/it)\]')     # what a tqdm bar prints


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The site at `ci`, built by the command line: the tours come from `figures/ci/tutorials/` (`make test` runs
    `paper-ci` first), else are run now. The command checks the site itself and exits 1 on any problem."""
    out = tmp_path_factory.mktemp('docs')/'_site'
    r = subprocess.run([sys.executable, '-m', 'condaclarid.cli', 'docs', '--profile', 'ci', '--out', str(out),
                        '--quiet'], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and f"open {out/'index.html'}" in r.stdout, r.stdout + r.stderr[-3000:]
    return out, [p['page'] for p in plan_site(ROOT, REPORTS)]


def test_every_page_exists_in_its_section(site):
    out, pages = site
    modules = {f'api/{p.stem}.html' for p in (ROOT/'nbs').glob('*.ipynb') if p.stem != 'index'}
    tours = {f'tutorials/{t.path.stem}.html' for t in TOURS}
    papers = {f'paper/{n.path.stem}.html' for n in discover(ROOT/'nbs'/'paper') if (REPORTS/n.executed).exists()}
    assert len(tours) == 3 and len(modules) >= 15 and papers
    assert {'index.html', 'report/index.html'} | modules | tours | papers <= set(pages)
    missing = [p for p in pages + ['search.html', 'genindex.html'] if not (out/p).is_file()]
    assert not missing, missing
    home = (out/'index.html').read_text()
    nav = re.search(r'<ul class="bd-navbar-elements navbar-nav">(.*?)</ul>', home, re.S).group(1)   # the top bar: the sections
    links = re.findall(r'<a[^>]*href="([^"]*)"[^>]*>\s*([^<]+?)\s*</a>', nav)
    assert [h for h, _ in links] == ['tutorials/index.html', 'paper/index.html', 'api/index.html', 'report/index.html']
    assert [t for _, t in links][:3] == ['Tutorials', 'Paper figures', 'API'] and 'report' in links[3][1].lower()


def test_links_resolve_images_present_nothing_offsite(site):
    out, _ = site
    assert check_site(out) == []


def test_every_page_names_the_profile_and_ci_pictures_are_labelled(site):
    out, pages = site
    for p in pages: assert 'Built from the <b>ci</b> profile' in (out/p).read_text(), p
    css = (out/'_static'/'site.css').read_text()
    assert 'ci profile: this picture is not meaningful' in css and '_static/site.css' in (out/'tutorials'/'conda_tour.html').read_text()


def test_home_page_links_the_tours_and_the_report(site):
    out, _ = site
    home = (out/'index.html').read_text()
    for t in TOURS: assert f'href="tutorials/{t.path.stem}.html' in home, t.id
    assert 'href="report/index.html' in home


def test_home_page_shows_the_readme_figures(site):
    "The README shows the figures `make readme-figures` writes; they are on the home page, copied into the site."
    out, _ = site
    home = (out/'index.html').read_text()
    figures = re.findall(r'!\[[^\]]*\]\((figures/readme/[^)\s]+\.png)\)', (ROOT/'README.md').read_text())
    assert sorted(Path(f).name for f in figures) == sorted(README_FIGURES), figures   # what the make target writes
    for f in figures:
        src = re.search(rf'<img[^>]*src="([^"]*{re.escape(Path(f).name)})"', home)
        assert src and (out/src.group(1)).is_file(), f


def test_tours_show_their_pictures_and_no_progress_bars(site):
    "Each tour page carries every figure of its run at the site's profile; no page carries a progress bar."
    out, pages = site
    for t in TOURS:
        run = nbformat.read(REPORTS/t.executed, as_version=4)
        pictures = sum('image/png' in o.get('data', {}) for c in run.cells if c.cell_type == 'code' for o in c.outputs)
        page = (out/'tutorials'/f'{t.path.stem}.html').read_text()
        shown = re.findall(r'<img[^>]*src="(\.\./_images/[^"]+)"', page.split('<article', 1)[1])
        assert pictures >= 2 and len(shown) == pictures and all((out/'tutorials'/s).is_file() for s in shown), t.id
        assert run.metadata.papermill.parameters == {'profile': 'ci'}, t.id
    outputs = lambda page: re.findall(r'<div class="output[^"]*"[^>]*>(.*?)</div>', page, re.S)   # not the code
    bars = {p: sum(len(BAR.findall(o)) for o in outputs((out/p).read_text())) for p in pages}
    assert sum(bars.values()) == 0, {p: n for p, n in bars.items() if n}
    stderr = {p: (out/p).read_text().count('class="output stderr') for p in pages}
    streams = sum(1 for t in TOURS for c in nbformat.read(REPORTS/t.executed, as_version=4).cells if c.cell_type == 'code'
                  for o in c.outputs if o.output_type == 'stream' and o.name == 'stderr' and not BAR.search(o.text)
                  and o.text.strip())
    assert sum(stderr[f'tutorials/{t.path.stem}.html'] for t in TOURS) <= streams   # only the tours' real warnings


def test_report_page_lists_the_tours_and_the_paper_notebooks(site):
    out, _ = site
    report = (out/'report'/'index.html').read_text()
    for t in TOURS: assert f'href="../tutorials/{t.path.stem}.html' in report, t.id
    for n in discover(ROOT/'nbs'/'paper'):
        if (REPORTS/n.executed).exists(): assert f'href="../paper/{n.path.stem}.html' in report, n.id


def test_api_entries_have_signature_parameters_and_anchor(site):
    "One entry per exported function, with its anchor, signature, docstring and the docments table."
    out, _ = site
    page = (out/'api'/'51_docs.html').read_text()
    entry = re.search(r'<dt class="sig sig-object py" id="condaclarid\.docs\.rewrite_links">(.*?)</dd>', page, re.S)
    assert entry, 'no entry for rewrite_links'
    text = re.sub(r'<[^>]+>', '', entry.group(1))
    assert 'rewrite_links' in text and 'allowed' in text and 'Rewrite the links of Markdown' in text
    assert 'class="docments' in entry.group(1) and 'hosts (and their subdomains) whose links are kept' in text
    core = (out/'api'/'00_core.html').read_text()
    assert 'id="condaclarid.core.progress"' in core and 'href="#condaclarid.core.progress"' in core


CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


def dom(page: Path, tmp_path, query: str = '') -> str:
    "The DOM of `page` after Chromium loaded it and ran its scripts (for up to 10 s of virtual time)."
    r = subprocess.run([CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                        '--disable-component-update', '--no-first-run', f'--user-data-dir={tmp_path/"profile"}',
                        '--virtual-time-budget=10000', '--allow-file-access-from-files', '--dump-dom',
                        page.as_uri() + query], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and '</html>' in r.stdout, r.stderr[-2000:]
    return r.stdout


def visible_text(dom: str) -> str:
    "The text of the article a reader sees: no scripts, styles, code or formulas."
    body = dom.split('<article', 1)[1].split('</article>', 1)[0]
    for tag in ('script', 'style', 'pre', 'code', 'math'): body = re.sub(rf'<{tag}\b.*?</{tag}>', '', body, flags=re.S)
    return html.unescape(re.sub(r'<[^>]+>', ' ', body))


needs_chromium = pytest.mark.skipif(not CHROMIUM, reason="no headless browser here (Debian's `chromium` package "
                                    "provides one): the pages were checked as files, not rendered")


@needs_chromium
def test_formulas_render_as_mathml_in_chromium(site, tmp_path):
    "The CLARID tour and the distillation module: every formula of their Markdown is a MathML element; no TeX is left."
    out, _ = site
    for page, source in [('tutorials/clarid_tour.html', ROOT/'nbs'/'tutorials'/'clarid_tour.ipynb'),
                         ('api/31_distill.html', ROOT/'nbs'/'31_distill.ipynb')]:
        md = '\n'.join(c.source for c in nbformat.read(source, as_version=4).cells if c.cell_type == 'markdown')
        formulas = len(re.findall(r'\$\$.+?\$\$|(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$', md, re.S))
        d = dom(out/page, tmp_path)
        assert formulas >= 5 and d.count('<math') >= formulas, (page, formulas, d.count('<math'))
        if '\\mathcal L' in md: assert '&#x02112;' in d or '\u2112' in d, page    # a script L where TeX has one
        assert 'mathvariant="script"' not in d, page                                   # which Chromium would not draw
        left = re.findall(r'\$[^$\s][^$]*\$|\\(?:frac|mathcal|sigma|mathrm|tfrac)\b', visible_text(d))
        assert not left, (page, left[:5])


@needs_chromium
def test_search_finds_a_function_in_chromium(site, tmp_path):
    "Sphinx's search page, offline: searching `rewrite_links` lists the docs API page at the function's anchor."
    out, _ = site
    assert 'rewrite_links' in (out/'searchindex.js').read_text()
    d = dom(out/'search.html', tmp_path, '?q=rewrite_links')
    results = re.findall(r'<a[^>]*href="([^"]*)"', d.split('id="search-results"', 1)[1])
    assert any(h.startswith('api/51_docs.html') and 'rewrite_links' in h for h in results), results[:10]


@needs_chromium
def test_api_page_links_a_function_anchor_in_chromium(site, tmp_path):
    "The rendered core page: its table of contents links `#condaclarid.core.progress`, an element with that id exists."
    out, _ = site
    d = dom(out/'api'/'00_core.html', tmp_path)
    assert 'id="condaclarid.core.progress"' in d and 'href="#condaclarid.core.progress"' in d

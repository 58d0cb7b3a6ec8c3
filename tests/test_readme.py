"""The README's "Using the library" examples run exactly as printed: each Python block of that section is written to
a file unchanged and run by a fresh interpreter in an empty temporary folder, with one torch thread and this
checkout's library. When the README's code changes so that it no longer runs, these tests fail."""
import os, re, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = '## Using the library'

def section_blocks(text: str, heading: str = SECTION) -> list[str]:
    "The ```python blocks of the Markdown section that starts at `heading`, up to the next `## ` heading."
    start = text.index(heading + '\n')
    end = text.find('\n## ', start + len(heading))
    return re.findall(r'^```python\n(.*?)^```', text[start:end if end >= 0 else None], re.S | re.M)

def test_section_blocks():
    text = "# t\n## Using the library\n\n```python\na = 1\n```\n\n```sh\nls\n```\n```python\nb = 2\n```\n## Next\n```python\nc\n```\n"
    assert section_blocks(text) == ['a = 1\n', 'b = 2\n']
    with pytest.raises(ValueError): section_blocks('# no such section\n')

BLOCKS = section_blocks((ROOT/'README.md').read_text())

def test_the_two_examples_are_there():
    assert len(BLOCKS) == 2, f"expected the ConDA and the CLARID/CaDistill examples, found {len(BLOCKS)} Python blocks"
    assert 'Denoiser.from_pretrained' in BLOCKS[0] and 'clarid(' in BLOCKS[1]

@pytest.mark.parametrize('i', range(len(BLOCKS)), ids=['conda', 'clarid-cadistill'][:len(BLOCKS)])
def test_readme_example_runs_as_printed(i, tmp_path):
    (tmp_path/'example.py').write_text(BLOCKS[i])
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'CONDACLARID_QUIET': '1',
           'CONDACLARID_DATA': str(tmp_path/'data'), 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    done = subprocess.run([sys.executable, 'example.py'], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"README example {i + 1} failed:\n{done.stderr[-3000:]}"

"""The package's import graph: every module imports, no module imports another that (directly or not) imports it back,
and the command line (`condaclarid.cli`) sits on top, imported by no module.

The graph is read from the source with `ast`: every `from .X import`, `from condaclarid.X import`, `from . import X`
and `import condaclarid.X`, at any depth (an import inside a function counts: it closes a cycle as surely when it runs)."""
import ast, importlib
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1]/'condaclarid'


def import_graph(pkg: Path, name: str = 'condaclarid') -> dict:
    "`{module: set of the package's modules it imports}` for every `*.py` of the package folder `pkg` (`__init__` left out)."
    mods = {p.stem for p in pkg.glob('*.py') if p.stem != '__init__'}
    graph = {}
    for m in sorted(mods):
        deps = set()
        for node in ast.walk(ast.parse((pkg/f'{m}.py').read_text(), filename=f'{m}.py')):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1: parts = node.module.split('.') if node.module else []
                elif node.level == 0 and node.module and node.module.split('.')[0] == name: parts = node.module.split('.')[1:]
                else: continue
                deps |= {parts[0]} if parts else {a.name for a in node.names}   # `from . import x`: x is a module
            elif isinstance(node, ast.Import):
                deps |= {a.name.split('.')[1] for a in node.names if a.name.startswith(name + '.')}
        graph[m] = deps & mods
    return graph


def find_cycle(graph: dict) -> list | None:
    "A cycle of the directed `graph` (`{node: successors}`) as `[a, b, ..., a]`, or None when it is acyclic."
    state, stack = {}, []
    def visit(n):
        state[n] = 'open'; stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 'open': return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)): return c
        state[n] = 'done'; stack.pop()
        return None
    for n in sorted(graph):
        if n not in state and (c := visit(n)): return c
    return None


def test_find_cycle_on_small_graphs():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'a'}}) == ['a', 'a']
    assert find_cycle({'x': {'a'}, 'a': {'b', 'c'}, 'b': {'d'}, 'c': {'d'}, 'd': set()}) is None   # a diamond is no cycle
    assert find_cycle({'a': {'b'}, 'b': set(), 'c': {'d'}, 'd': {'e'}, 'e': {'c'}}) == ['c', 'd', 'e', 'c']
    assert find_cycle({}) is None


def test_import_graph_reads_every_form(tmp_path):
    "Each way of importing a sibling is an edge; other packages and the standard library are not."
    files = {'a': 'from .b import f\nfrom condaclarid.c import g\nimport condaclarid.d\nimport os, numpy\n',
             'b': 'from . import d\nfrom numpy import array\n',
             'c': 'def late():\n    from .e import h\n    return h\n',      # lazy: still an edge
             'd': 'from condaclarid.d.sub import x\n',                    # itself: a self-loop
             'e': 'from condaclarid import a\nfrom condaclaridx import y\n'}
    for m, src in files.items(): (tmp_path/f'{m}.py').write_text(src)
    (tmp_path/'__init__.py').write_text('from .a import *\n')
    graph = import_graph(tmp_path)
    assert graph == {'a': {'b', 'c', 'd'}, 'b': {'d'}, 'c': {'e'}, 'd': {'d'}, 'e': {'a'}}
    assert find_cycle(graph) == ['d', 'd']
    (tmp_path/'d.py').write_text('\n')
    assert find_cycle(import_graph(tmp_path)) == ['a', 'c', 'e', 'a']
    (tmp_path/'e.py').write_text('import os\n')
    assert find_cycle(import_graph(tmp_path)) is None


def test_no_import_cycle_in_the_package():
    graph = import_graph(PKG)
    assert {'core', 'cli', 'runner', 'docs', 'paper', 'profiles', 'plots', 'scale'} <= set(graph), sorted(graph)
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_command_line_is_on_top():
    "`cli` imports the runner and the site builder; the site builder imports the runner; nothing imports `cli`."
    graph = import_graph(PKG)
    assert {'runner', 'docs', 'paper', 'profiles'} <= graph['cli']
    assert 'runner' in graph['docs'] and 'cli' not in graph['docs']
    assert [m for m, deps in graph.items() if 'cli' in deps] == []
    assert graph['plots'] <= {'core'}, graph['plots']      # module notebooks can draw without the runner


@pytest.mark.parametrize('module', sorted(p.stem for p in PKG.glob('*.py')))
def test_every_module_imports(module):
    importlib.import_module(f'condaclarid.{module}' if module != '__init__' else 'condaclarid')

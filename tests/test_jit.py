"""The numba kernels against their own plain-Python form (``.py_func``), value for value."""

from __future__ import annotations

import numpy as np
import pytest

import generators.backtracker as bt
import generators.prim as prim
from generators._jit import compile_kernel

SIZES = [(1, 2), (2, 1), (3, 5), (14, 14), (9, 4), (40, 33)]


def _edge_uniforms(max_slots: int) -> np.ndarray:
    """Doubles as ``rng.random`` draws them (multiples of 2**-53) at and beside every ``k / F``,
    ``F <= max_slots``, where ``floor(u * F)`` changes, and the extremes 0 and 1 - 2**-53."""
    scale = 2.0**53
    values = {0.0, 1.0 - 2.0**-53}
    for slots in range(1, max_slots + 1):
        for k in range(slots + 1):
            values.update((round(k / slots * scale) + d) / scale for d in (-1, 0, 1))
    return np.array(sorted(v for v in values if 0.0 <= v < 1.0))


def _run(module, cells: tuple[int, int], u: np.ndarray, compiled: bool) -> np.ndarray:
    walls = np.ones((len(u), 2 * cells[0] + 1, 2 * cells[1] + 1), dtype=bool)
    kernel = compile_kernel(bt._carve_kernel if module is bt else prim._grow_kernel)
    kernel = kernel if compiled else kernel.py_func
    extra = (bt._MOVE,) if module is bt else ()
    kernel(np.ascontiguousarray(u), *cells, walls, *extra)
    return walls


@pytest.mark.parametrize("module", [prim, bt], ids=["prim", "backtracker"])
@pytest.mark.parametrize("cells", SIZES)
def test_kernel_equals_its_python_form(module, cells):
    gen = (prim.PrimGenerator if module is prim else bt.BacktrackerGenerator)(cells)
    u = np.random.default_rng(11).random((12, gen.num_draws()))
    expected = _run(module, cells, u, compiled=False)
    assert np.array_equal(_run(module, cells, u, compiled=True), expected)
    assert np.array_equal(gen.walls_from_uniforms(u), expected)
    for i in range(3):  # one maze per call, as `generate` asks for it
        assert np.array_equal(gen.walls_from_uniforms(u[i : i + 1]), expected[i : i + 1])


@pytest.mark.parametrize("module", [prim, bt], ids=["prim", "backtracker"])
@pytest.mark.parametrize("cells", [(3, 5), (9, 4), (14, 14)])
def test_kernel_agrees_at_slot_boundaries(module, cells):
    # Next to k/F one ulp decides floor(u * F): the compiled product and truncation must be
    # Python's exactly, and 1 - 2**-53 must stay in the last slot.
    gen = (prim.PrimGenerator if module is prim else bt.BacktrackerGenerator)(cells)
    u = np.random.default_rng(13).choice(_edge_uniforms(max_slots=48), (30, gen.num_draws()))
    u[:4] = 1.0 - 2.0**-53  # always the last slot
    u[4:8] = 0.0  # always the first slot
    assert np.array_equal(_run(module, cells, u, compiled=True), _run(module, cells, u, compiled=False))


def test_edge_uniforms_lie_on_both_sides_of_a_boundary():
    edges = _edge_uniforms(max_slots=7)
    assert np.all(edges * 2.0**53 == np.round(edges * 2.0**53))
    below, above = edges[edges < 3 / 7].max(), edges[edges >= 3 / 7].min()
    assert int(below * 7) == 2 and int(above * 7) == 3


@pytest.mark.parametrize(
    ("n", "min_rows", "parts"), [(0, 2, 8), (1, 2, 8), (5, 2, 8), (37, 2, 8), (300, 256, 1)]
)
def test_split_rows_covers_every_row_once(n, min_rows, parts):
    import threading

    from generators._jit import split_rows

    seen = np.zeros(n, dtype=np.int64)
    lock = threading.Lock()

    def run(lo: int, hi: int) -> None:
        with lock:
            seen[lo:hi] += 1

    split_rows(run, n, min_rows=min_rows, parts=parts)
    assert (seen == 1).all()


@pytest.mark.parametrize("name", ["backtracker", "prim", "kruskal", "wilson", "vae", "ae"])
def test_kernel_calls_take_numbas_fast_dispatch(name, monkeypatch):
    # Once a kernel is compiled for its argument types, calling it again must not go back through
    # numba's typing path: an omitted default argument does, on every call (about 0.2 ms, more
    # than a 14x14 maze takes to make).
    from collections import Counter

    import numba.core.dispatcher as dispatcher

    from generators import make_generator

    gen = make_generator(name)
    controlled = make_generator(name, difficulty=0.5) if name not in ("ae", "vae") else None
    for rng_seed in range(2):  # compile (or load) every kernel these calls reach
        gen.generate(np.random.default_rng(rng_seed))
        gen.generate_batch(3, np.random.default_rng(rng_seed))
        if controlled is not None:
            controlled.generate(np.random.default_rng(rng_seed))
    slow: Counter[str] = Counter()
    typing_path = dispatcher.Dispatcher._compile_for_args

    def counted(self, *args, **kwargs):
        slow[self.py_func.__qualname__] += 1
        return typing_path(self, *args, **kwargs)

    monkeypatch.setattr(dispatcher.Dispatcher, "_compile_for_args", counted)
    for rng_seed in range(2, 5):
        gen.generate(np.random.default_rng(rng_seed))
        gen.generate_batch(3, np.random.default_rng(rng_seed))
        if controlled is not None:
            controlled.generate(np.random.default_rng(rng_seed))
    assert not slow, f"calls through numba's typing path: {dict(slow)}"


def _reference_wilson(h: int, w: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Wilson's algorithm as plain Python, reading directions as `generators.wilson` documents:
    blocks of ``8 N`` from ``rng.integers(0, 4, dtype=int8)``, a new block only when a walk needs
    a direction and the last block is used up, a maze's unused directions dropped."""
    from generators.lattice import lattice

    lat = lattice(h, w)
    open_edges = np.zeros((n, lat.num_edges), dtype=bool)
    for i in range(n):
        block: list[int] = []
        in_tree = [False] * lat.num_cells
        in_tree[0] = True
        exit_dir = [0] * lat.num_cells
        for start in range(1, lat.num_cells):
            cell = start
            while not in_tree[cell]:
                if not block:
                    block = rng.integers(0, 4, size=8 * lat.num_cells, dtype=np.int8).tolist()[::-1]
                exit_dir[cell] = d = block.pop()
                nxt = lat.neighbors[cell, d]
                cell = cell if nxt < 0 else nxt
            cell = start
            while not in_tree[cell]:
                in_tree[cell] = True
                open_edges[i, lat.neighbor_edge[cell, exit_dir[cell]]] = True
                cell = lat.neighbors[cell, exit_dir[cell]]
    return lat.walls_from_passages(open_edges)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "py_func"])
@pytest.mark.parametrize("cells", [(1, 2), (2, 1), (2, 2), (3, 5), (9, 4), (14, 14)])
def test_wilson_walks_read_their_directions_as_documented(cells, compiled, monkeypatch):
    # The compiled walk and its plain-Python form serve the mazes of the reference walk, and
    # leave the rng where it does: a batch draws exactly the blocks its mazes used.
    import generators.wilson as wilson

    if not compiled:
        monkeypatch.setattr(wilson, "compile_kernel", lambda fn: compile_kernel(fn).py_func)
    rng, reference_rng = np.random.default_rng(5), np.random.default_rng(5)
    walls = wilson.WilsonGenerator(cells).generate_walls(7, rng)
    assert np.array_equal(walls, _reference_wilson(*cells, 7, reference_rng))
    assert rng.random() == reference_rng.random()

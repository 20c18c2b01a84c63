"""The numba kernels against the numpy/Python paths they replace, and the switch that turns them off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import generators.backtracker as bt
import generators.prim as prim
from generators._jit import jit_enabled
from generators.lattice import lattice

PRIM_SIZES = [(1, 2), (2, 1), (3, 5), (14, 14), (9, 4), (40, 33)]


def _prim_jit(cells: tuple[int, int], u: np.ndarray) -> np.ndarray:
    kernel = prim.jit_kernel()
    assert kernel is not None, "numba is a dependency: the JIT path must be in use"
    walls = np.ones((len(u), 2 * cells[0] + 1, 2 * cells[1] + 1), dtype=bool)
    kernel(np.ascontiguousarray(u), *cells, walls)
    return walls


def _prim_one_at_a_time(cells: tuple[int, int], u: np.ndarray) -> np.ndarray:
    lat = lattice(*cells)
    return lat.walls_from_passages(np.stack([prim._grow_one(lat, row) for row in u]))


def _edge_uniforms(max_slots: int) -> np.ndarray:
    """Doubles as ``rng.random`` draws them (multiples of 2**-53) at and beside every ``k / F``,
    ``F <= max_slots``, where ``floor(u * F)`` changes, and the extremes 0 and 1 - 2**-53."""
    scale = 2.0**53
    values = {0.0, 1.0 - 2.0**-53}
    for slots in range(1, max_slots + 1):
        for k in range(slots + 1):
            values.update((round(k / slots * scale) + d) / scale for d in (-1, 0, 1))
    return np.array(sorted(v for v in values if 0.0 <= v < 1.0))


@contextmanager
def jit_switched_off() -> Iterator[None]:
    """``DAEDALUS_GYM_JIT=0`` inside, then the environment and both kernels as they were."""
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DAEDALUS_GYM_JIT", "0")
            prim.jit_kernel.cache_clear()
            bt.jit_kernel.cache_clear()
            yield
    finally:
        prim.jit_kernel.cache_clear()
        bt.jit_kernel.cache_clear()


@pytest.mark.parametrize("cells", PRIM_SIZES)
def test_prim_jit_equals_grow_one(cells):
    gen = prim.PrimGenerator(cells)
    u = np.random.default_rng(11).random((40, gen.num_draws()))
    expected = _prim_one_at_a_time(cells, u)
    assert np.array_equal(_prim_jit(cells, u), expected)
    assert np.array_equal(gen.walls_from_uniforms(u), expected)
    for i in range(3):  # one maze per call, as `generate` asks for it
        assert np.array_equal(gen.walls_from_uniforms(u[i : i + 1]), expected[i : i + 1])


@pytest.mark.parametrize("cells", PRIM_SIZES)
def test_prim_jit_equals_lockstep(cells):
    gen = prim.PrimGenerator(cells)
    lat = lattice(*cells)
    u = np.random.default_rng(12).random((300, gen.num_draws()))
    jit = _prim_jit(cells, u)
    assert np.array_equal(jit, lat.walls_from_passages(prim._grow_lockstep(lat, u)))
    assert np.array_equal(jit, gen._walls_numpy(u))


@pytest.mark.parametrize("cells", PRIM_SIZES)
def test_prim_jit_agrees_at_slot_boundaries(cells):
    # Next to k/F one ulp decides floor(u * F): the kernel's product and truncation must be the
    # plain loop's and the lock-step loop's exactly, and 1 - 2**-53 must stay in the last slot.
    gen = prim.PrimGenerator(cells)
    lat = lattice(*cells)
    rng = np.random.default_rng(13)
    edges = _edge_uniforms(max_slots=48)
    u = rng.choice(edges, (60, gen.num_draws()))
    u[:4] = 1.0 - 2.0**-53  # always the last slot
    u[4:8] = 0.0  # always the first slot
    expected = _prim_one_at_a_time(cells, u)
    assert np.array_equal(_prim_jit(cells, u), expected)
    assert np.array_equal(lat.walls_from_passages(prim._grow_lockstep(lat, u)), expected)


def test_edge_uniforms_lie_on_both_sides_of_a_boundary():
    edges = _edge_uniforms(max_slots=7)
    assert np.all(edges * 2.0**53 == np.round(edges * 2.0**53))
    below, above = edges[edges < 3 / 7].max(), edges[edges >= 3 / 7].min()
    assert int(below * 7) == 2 and int(above * 7) == 3


def test_prim_generate_same_with_and_without_jit():
    gen = prim.PrimGenerator((9, 12))
    assert prim.jit_kernel() is not None
    walls = gen.generate_walls(30, np.random.default_rng(5))
    maze = gen.generate(np.random.default_rng(6))
    with jit_switched_off():
        assert prim.jit_kernel() is None
        assert np.array_equal(gen.generate_walls(30, np.random.default_rng(5)), walls)
        assert np.array_equal(gen.generate(np.random.default_rng(6)).walls, maze.walls)
    assert prim.jit_kernel() is not None


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_jit_switch_values(monkeypatch, value):
    monkeypatch.setenv("DAEDALUS_GYM_JIT", value)
    assert not jit_enabled()


@pytest.mark.parametrize("value", ["1", "true", ""])
def test_jit_switch_on(monkeypatch, value):
    monkeypatch.setenv("DAEDALUS_GYM_JIT", value)
    assert jit_enabled()


def test_jit_switch_falls_back_to_numpy():
    with jit_switched_off():
        assert prim.jit_kernel() is None
        assert bt.jit_kernel() is None
        gen = prim.PrimGenerator((5, 6))
        u = np.random.default_rng(1).random((20, gen.num_draws()))
        assert np.array_equal(gen.walls_from_uniforms(u), gen._walls_numpy(u))
        assert np.array_equal(gen.walls_from_uniforms(u), _prim_one_at_a_time((5, 6), u))
        assert np.array_equal(gen.walls_from_uniforms(u[:2]), _prim_one_at_a_time((5, 6), u[:2]))
        back = bt.BacktrackerGenerator((5, 6))
        u = np.random.default_rng(2).random((20, back.num_draws()))
        assert np.array_equal(back.walls_from_uniforms(u), back._walls_numpy(u))
    # Back on once the switch is gone: both kernels compile again.
    assert prim.jit_kernel() is not None
    assert bt.jit_kernel() is not None

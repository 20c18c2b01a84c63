"""Mutators over every registered generator: the result stays solvable (perfect for tree edits),
``n_edits`` sets the distance, the same rng gives the same edit, and bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from generators import Maze, latent_edit, make_generator, move_goal, registered_generators, tree_edit

GENERATORS = sorted(registered_generators())
LEARNED = ["ae", "vae"]
SEEDS = range(20)


@pytest.fixture(scope="module")
def mazes() -> dict[str, list[Maze]]:
    return {
        name: make_generator(name, size=7).generate_batch(len(SEEDS), np.random.default_rng(1))
        for name in GENERATORS
    }


def hamming(a: Maze, b: Maze) -> int:
    return int(np.count_nonzero(a.walls != b.walls))


@pytest.mark.parametrize("name", GENERATORS)
def test_tree_edit_keeps_mazes_perfect(mazes, name):
    for seed, maze in zip(SEEDS, mazes[name], strict=True):
        for n_edits in (1, 5, 25):
            edited = tree_edit(maze, n_edits, np.random.default_rng(seed))
            assert edited.is_perfect() and edited.is_solvable()
            assert (edited.start, edited.goal) == (maze.start, maze.goal)
            assert edited == tree_edit(maze, n_edits, np.random.default_rng(seed))
        assert (
            hamming(tree_edit(maze, 1, np.random.default_rng(seed)), maze) == 2
        )  # one wall opened, one closed


@pytest.mark.parametrize("name", GENERATORS)
def test_tree_edit_distance_grows_with_n_edits(mazes, name):
    mean = [
        np.mean([hamming(tree_edit(m, n, np.random.default_rng(i)), m) for i, m in enumerate(mazes[name])])
        for n in (1, 4, 16)
    ]
    assert mean[0] < mean[1] < mean[2]


def test_tree_edit_keeps_a_start_on_a_passage_open():
    maze = make_generator("backtracker", size=4).generate(np.random.default_rng(0))
    passage = next(
        (r, c) for r, c in np.argwhere(~maze.walls).tolist() if (r + c) % 2 == 1 and (r, c) != maze.goal
    )
    on_passage = Maze(maze.walls, passage, maze.goal)
    for seed in range(50):
        edited = tree_edit(on_passage, 10, np.random.default_rng(seed))
        assert edited.is_perfect() and not edited.walls[passage]


@pytest.mark.parametrize("name", GENERATORS)
def test_move_goal_keeps_mazes_solvable(mazes, name):
    for seed, maze in zip(SEEDS, mazes[name], strict=True):
        for n_edits in (1, 3, 10):
            moved = move_goal(maze, n_edits, np.random.default_rng(seed))
            assert moved.is_solvable() and moved.goal not in (maze.goal, maze.start)
            assert np.array_equal(moved.walls, maze.walls) and moved.start == maze.start
            # A lattice maze's goal stays on a cell, within n_edits cells (2 squares each) of the old one.
            assert moved.goal[0] % 2 == 1 and moved.goal[1] % 2 == 1
            assert 0 < maze.distances_to_goal()[moved.goal] <= 2 * n_edits


def test_move_goal_distance_grows_with_n_edits(mazes):
    maze = mazes["kruskal"][0]
    distance = [
        np.mean([maze.distances_to_goal()[move_goal(maze, n, np.random.default_rng(s)).goal] for s in SEEDS])
        for n in (1, 4, 16)
    ]
    assert distance[0] < distance[1] < distance[2]


def test_move_goal_off_the_lattice_moves_by_squares():
    room = Maze.from_str(">....\n.....\n....G")
    for seed in SEEDS:
        moved = move_goal(room, 1, np.random.default_rng(seed))
        assert abs(moved.goal[0] - room.goal[0]) + abs(moved.goal[1] - room.goal[1]) == 1


@pytest.mark.parametrize("name", LEARNED)
def test_latent_edit_keeps_mazes_solvable_and_distance_grows(name):
    generator = make_generator(name)
    noise = generator.draw_noise(1, np.random.default_rng(0))[0]
    base = Maze.from_walls(generator.walls_from_noise(noise[None])[0])
    distance = []
    for n_edits in (1, 16, 256):
        found = []
        for seed in range(8):
            moved, maze = latent_edit(generator, noise, n_edits, np.random.default_rng(seed))
            assert maze.is_solvable() and maze.is_perfect() and moved.shape == noise.shape
            found.append(hamming(maze, base))
        distance.append(np.mean(found))
    assert distance[0] < distance[1] < distance[2]
    again = latent_edit(generator, noise, 3, np.random.default_rng(5))
    assert again[1] == latent_edit(generator, noise, 3, np.random.default_rng(5))[1]


@pytest.mark.parametrize("seed", range(3))
def test_latent_edit_with_connect_repair_is_solvable(seed):
    generator = make_generator("vae", size=7, repair="connect")
    noise = generator.draw_noise(1, np.random.default_rng(seed))[0]
    for n_edits in (1, 10, 100):
        noise, maze = latent_edit(generator, noise, n_edits, np.random.default_rng(seed), step=0.5)
        assert maze.is_solvable()


def test_mutators_refuse_bad_input(mazes):
    maze, rng = mazes["backtracker"][0], np.random.default_rng(0)
    for mutate in (tree_edit, move_goal):
        for n_edits, error, match in [
            (0, ValueError, r"n_edits must be an int in \[1, 100000\], got 0"),
            (100_001, ValueError, r"n_edits must be an int in \[1, 100000\], got 100001"),
            (1.5, TypeError, "n_edits must be an int, got float 1.5"),
            (True, TypeError, "n_edits must be an int, got bool True"),
        ]:
            with pytest.raises(error, match=match):
                mutate(maze, n_edits, rng)
        with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
            mutate(maze, 1, 0)
        with pytest.raises(TypeError, match=r"maze must be a generators\.Maze, got ndarray"):
            mutate(maze.walls, 1, rng)
    with pytest.raises(ValueError, match="maze must be a perfect lattice maze"):
        tree_edit(Maze.from_str(">..\n...\n..G"), 1, rng)
    corridor = make_generator("backtracker", size=(1, 5)).generate(rng)
    with pytest.raises(ValueError, match="1x5 cells has no walled passage to open"):
        tree_edit(corridor, 1, rng)
    with pytest.raises(
        ValueError, match=r"maze must be solvable, no path joins start \(1, 1\) and goal \(1, 3\)"
    ):
        move_goal(Maze.from_str(">#G"), 1, rng)
    with pytest.raises(ValueError, match=r"no open square within 1 moves of the goal \(1, 2\)"):
        move_goal(Maze.from_str(">G"), 1, rng)


def test_latent_edit_refuses_bad_input():
    rng = np.random.default_rng(0)
    vae = make_generator("vae", size=7)
    noise = vae.draw_noise(1, rng)[0]
    with pytest.raises(TypeError, match="generator must be a learned generator"):
        latent_edit(make_generator("prim", size=7), noise, 1, rng)
    with pytest.raises(ValueError, match="got repair=None"):
        latent_edit(make_generator("vae", size=7, repair=None), noise, 1, rng)
    with pytest.raises(
        ValueError, match=rf"noise must be float\[{vae.noise_dim}\], got shape \(1, {vae.noise_dim}\)"
    ):
        latent_edit(vae, noise[None], 1, rng)
    with pytest.raises(
        ValueError, match=rf"noise must be float\[{vae.noise_dim}\], got shape \({vae.noise_dim - 1},\)"
    ):
        latent_edit(vae, noise[:-1], 1, rng)
    with pytest.raises(ValueError, match=r"noise must be finite, got nan"):
        latent_edit(vae, np.full(vae.noise_dim, np.nan), 1, rng)
    with pytest.raises(ValueError, match=r"step must be a finite number in \(0\.0, 10\.0\], got 0"):
        latent_edit(vae, noise, 1, rng, step=0)
    with pytest.raises(ValueError, match=r"n_edits must be an int in \[1, 100000\], got -1"):
        latent_edit(vae, noise, -1, rng)


@pytest.mark.parametrize("name", ["backtracker", "kruskal", "prim", "wilson"])
@pytest.mark.parametrize("size", [(2, 3), (7, 7), (14, 14), (9, 4)], ids=str)
def test_tree_edits_know_their_path_lengths(name, size):
    """The batched edits measure start -> goal on the edited tree; a fresh search agrees, for
    goals in corners and in the middle of the maze."""
    from generators import MazeArrays, tree_edits

    mazes = make_generator(name, size=size).generate_batch(40, np.random.default_rng(5))
    h, w = size
    middle = [Maze(m.walls, m.start, (2 * (h // 2) + 1, 2 * (w // 2) + 1)) for m in mazes[:20]]
    for batch in (mazes, middle):
        edited = tree_edits(batch, 3, np.random.default_rng(6))
        searched = MazeArrays(edited.walls, edited.start, edited.goal).path_lengths()
        np.testing.assert_array_equal(edited.path_lengths(), searched)
    # A goal off the cells (a passage square): no lengths from the edits, the env searches.
    off = [m for m in mazes if not m.walls[1, 2]][:3]
    if off:
        moved = [Maze(m.walls, m.start, (1, 2)) for m in off]
        edited = tree_edits(moved, 2, np.random.default_rng(7))
        assert (
            edited.path_lengths() == MazeArrays(edited.walls, edited.start, edited.goal).path_lengths()
        ).all()

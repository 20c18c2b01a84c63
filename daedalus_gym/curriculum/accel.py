"""ACCEL (Parker-Holder et al. 2022, "Evolving Curricula with Regret-Based Environment Design"),
after the ACCEL branch of JaxUED's ``examples/maze_plr.py``.

Robust PLR (`RobustPLR`) plus evolution: the rollout after every replay rollout plays *edited
copies* of the levels just replayed (``kind="edit"``, no policy update). The edits are scored and
offered to the buffer exactly like new levels; then the sampler decides replay or new again. High
regret levels thereby seed nearby levels, and the buffer climbs towards the frontier of what the
agent can solve.

An edit is `generators.tree_edit` with ``n_edits`` moves (each opens a walled passage and walls
another on the cycle that made), so an edited maze stays perfect, hence solvable, and differs
from its parent in at most ``2 n_edits`` squares; with ``goal_moves > 0`` the goal then moves to
a cell at most that many cells away (`generators.move_goal`). JaxUED's maze edits flip single
wall squares instead, which may wall the goal off; tree edits keep every level solvable. The
edits need perfect parents: a perfect generator (backtracker, kruskal, prim, wilson) or a learned
one with ``repair="perfect"``.

Cost of an edit rollout: ``n`` tree edits, each ``n_edits`` breadth-first searches over the maze, in
one compiled pass over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from daedalus_gym.curriculum.base import Assignment, RolloutStats, no_buffer
from daedalus_gym.curriculum.buffer import Prioritization
from daedalus_gym.curriculum.plr import PlrScore, RobustPLR
from generators.base import Generator, check_int
from generators.maze import Maze, MazeArrays
from generators.mutators import MAX_EDITS, move_goal, tree_edits


class ACCEL(RobustPLR):
    """Robust PLR whose replayed levels are edited and offered back to the buffer.

    Args:
        generator: the source of new levels; its mazes must be perfect.
        rng: the randomness.
        n_edits: tree edits per edited level, an int in ``[1, 100000]`` (5, JaxUED's maze
            default number of edits).
        goal_moves: after the edits, move the goal at most this many cells, an int ``>= 0``
            (0, the default: the goal stays).
        capacity: as `RobustPLR` (4000).
        replay_prob: as `RobustPLR` (0.8).
        staleness_coef: as `RobustPLR` (0.3).
        minimum_fill_ratio: as `RobustPLR` (0.5).
        prioritization: as `RobustPLR` (``"rank"``).
        temperature: as `RobustPLR` (0.3, ``"rank"`` only).
        top_k: as `RobustPLR` (4, ``"topk"`` only).
        score: as `RobustPLR` (``"pvl"``).
    """

    name = "accel"
    kinds = ("new", "replay", "edit")

    def __init__(
        self,
        generator: Generator,
        rng: np.random.Generator,
        *,
        n_edits: int = 5,
        goal_moves: int = 0,
        capacity: int = 4000,
        replay_prob: float = 0.8,
        staleness_coef: float = 0.3,
        minimum_fill_ratio: float = 0.5,
        prioritization: Prioritization = "rank",
        temperature: float | None = None,
        top_k: int | None = None,
        score: PlrScore = "pvl",
    ) -> None:
        super().__init__(
            generator,
            rng,
            capacity=capacity,
            replay_prob=replay_prob,
            staleness_coef=staleness_coef,
            minimum_fill_ratio=minimum_fill_ratio,
            prioritization=prioritization,
            temperature=temperature,
            top_k=top_k,
            score=score,
        )
        self.n_edits = check_int(n_edits, "n_edits", 1, MAX_EDITS)
        self.goal_moves = check_int(goal_moves, "goal_moves", 0, MAX_EDITS)
        self._parents: Sequence[Maze] = ()

    def edit(self, maze: Maze) -> Maze:
        """One edited copy of ``maze``: ``n_edits`` tree edits, then the goal move if asked for.

        Raises:
            ValueError: ``maze`` is not perfect (tree edits keep a spanning tree one).
        """
        return self.edit_batch([maze])[0]

    def edit_batch(self, mazes: Sequence[Maze]) -> Sequence[Maze]:
        """An edited copy of each maze, as `edit` gives one: the tree edits of the whole batch in
        one compiled pass (`generators.tree_edits`), then each goal move if asked for.

        Raises:
            ValueError: a maze is not perfect.
        """
        try:
            children = tree_edits(mazes, self.n_edits, self.rng)  # checks the mazes are perfect
        except ValueError as err:
            if all(maze.is_perfect() for maze in mazes):
                raise
            raise ValueError(
                f"ACCEL edits perfect mazes only, but {self.generator!r} served one that is not "
                "(maze.is_perfect() is False); use a perfect generator (backtracker, kruskal, prim, "
                "wilson) or a learned one with repair='perfect'"
            ) from err
        if self.goal_moves:
            children = [move_goal(child, self.goal_moves, self.rng) for child in children]
        return children

    def _next_levels(self, n: int) -> Assignment:
        if self._parents:
            # Env i edits the level replayed on env i (cycling if n changed since the replay).
            parents = MazeArrays.of(self._parents)
            if n != len(parents):
                parents = parents.take(np.arange(n) % len(parents))
            mazes = self.edit_batch(parents)
            return Assignment(mazes, no_buffer(n), update_policy=False, kind="edit")
        return super()._next_levels(n)

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        super()._update(assignment, stats)
        self._parents = assignment.mazes if assignment.kind == "replay" else ()

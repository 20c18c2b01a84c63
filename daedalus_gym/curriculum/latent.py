"""A latent-space teacher: a cross-entropy search over a learned generator's noise (in the spirit
of CLUTR, Azad et al. 2023, whose teacher proposes levels in a pretrained generative model's
latent space).

A learned generator (``make_generator("vae")`` or ``"ae"``) turns a row of standard-normal noise
into a maze: decode, repair (``"perfect"`` gives a perfect maze, ``"connect"`` a solvable one),
place start and goal. The teacher keeps a diagonal Gaussian ``N(mu, diag(sigma^2))`` over that
noise, started at the generator's own noise distribution (its mean and standard deviation
estimated from ``prior_samples`` draws of ``generator.draw_noise``). Each rollout:

1. The rollout's ``ceil(n / envs_per_level)`` levels are decoded, each played by
   ``envs_per_level`` envs (4). A ``prior_share`` of the levels (rounded to the nearest whole
   level) get noise from the generator's own distribution, which keeps the levels diverse and
   lets the search find new regions; the rest get noise from ``N(mu, sigma^2)``. Every level
   trains the policy.
2. After the rollout each level's fitness is its learnability ``p (1 - p)``, ``p`` the success
   rate over all its envs' episodes (``score="pvl"``: its envs' mean positive value loss). One
   env alone cannot measure ``p``: it replays a level it solves until the rollout ends and fails
   one only by timing out, so its ``p`` is 0 or 1.
3. The elite, the top ``elite_fraction`` of the rollout's levels by fitness (prior draws
   included), pulls the Gaussian: ``mu <- (1 - s) mu + s mean(elite)``,
   ``sigma <- max((1 - s) sigma + s std(elite), sigma_floor * prior_std)`` with ``s`` the
   ``smoothing`` rate. Levels of equal fitness keep their order, prior draws first: where fewer
   levels than the elite's size have a fitness above the rest, prior draws fill it, which pulls
   ``mu`` back towards the prior. The floor keeps the search from collapsing onto one level. A
   rollout whose fitness is the same on every level (e.g. nothing solved yet) carries no ranking
   and leaves the Gaussian where it is; `summary` counts such rollouts.

The noise of each env's level is kept by the sampler (`noise_of`) until the rollout is scored.
Cost: one batched decode and repair of ``n`` mazes per rollout, plus ``O(n noise_dim)``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats, no_buffer
from generators.base import check_choice, check_int, check_real
from generators.maze import Maze

LatentScore = Literal["learnability", "pvl"]
LATENT_SCORES: tuple[str, ...] = ("learnability", "pvl")
_LEARNED = ("draw_noise", "draw_from_noise", "noise_dim", "place_batch")


def check_learned(generator: object) -> Any:
    """``generator`` if it is a learned generator whose mazes are repaired, else a clear error."""
    missing = [name for name in _LEARNED if not hasattr(generator, name)]
    if missing:
        raise TypeError(
            "a latent teacher needs a learned generator (e.g. make_generator('vae') or "
            f"make_generator('ae')), got {type(generator).__name__}, which has no {', '.join(missing)}"
        )
    if getattr(generator, "repair_mode", None) is None:
        raise ValueError(
            "a latent teacher needs a learned generator whose mazes are repaired (repair='perfect' or "
            f"'connect'), got {type(generator).__name__} with repair=None, whose mazes may be unsolvable"
        )
    return generator


class LatentTeacher(LevelSampler):
    """A cross-entropy search for learnable levels in a learned generator's noise (module notes).

    Args:
        generator: a learned generator with a repair mode (``make_generator("vae")``).
        rng: the randomness.
        prior_share: share of envs whose noise comes from the generator's own distribution, in
            ``[0, 1]`` (0.25).
        elite_fraction: share of a rollout's levels that pull the Gaussian, in ``(0, 1]`` (0.25;
            at least one level).
        smoothing: how far one rollout moves ``mu`` and ``sigma`` towards the elite, in
            ``(0, 1]`` (0.5).
        sigma_floor: the least ``sigma``, as a share of the prior's standard deviation, in
            ``[0, 1]`` (0.2).
        score: ``"learnability"`` (default) or ``"pvl"``.
        prior_samples: noise draws that estimate the generator's distribution, an int in
            ``[2, 1000000]`` (1024).
        envs_per_level: envs that play each level of a rollout, an int ``>= 1`` (4). One env
            cannot measure a success rate: it replays a level it solves until the rollout ends
            and fails one only by timing out, so its ``p`` is 0 or 1 and ``p (1 - p)`` is 0.
            Several independent envs on one level give a rate with room in between.
    """

    name = "latent"
    kinds = ("train",)

    def __init__(
        self,
        generator: Any,
        rng: np.random.Generator,
        *,
        prior_share: float = 0.25,
        elite_fraction: float = 0.25,
        smoothing: float = 0.5,
        sigma_floor: float = 0.2,
        score: LatentScore = "learnability",
        prior_samples: int = 1024,
        envs_per_level: int = 4,
    ) -> None:
        super().__init__(check_learned(generator), rng)
        self.prior_share = check_real(prior_share, "prior_share", 0.0, 1.0)
        self.elite_fraction = check_real(elite_fraction, "elite_fraction", 0.0, 1.0, low_open=True)
        self.smoothing = check_real(smoothing, "smoothing", 0.0, 1.0, low_open=True)
        self.sigma_floor = check_real(sigma_floor, "sigma_floor", 0.0, 1.0)
        self.score: LatentScore = check_choice(score, "score", LATENT_SCORES)
        prior_samples = check_int(prior_samples, "prior_samples", 2, 1_000_000)
        self.envs_per_level = check_int(envs_per_level, "envs_per_level", 1)
        noise = np.asarray(generator.draw_noise(prior_samples, self.rng), dtype=np.float64)
        self.noise_dim = int(generator.noise_dim)
        noise = noise.reshape(prior_samples, self.noise_dim)
        self.prior_mean = noise.mean(axis=0)
        self.prior_std = noise.std(axis=0)
        self.mu = self.prior_mean.copy()
        self.sigma = self.prior_std.copy()
        self._pending_noise: np.ndarray | None = None  # per level
        self._pending_prior: np.ndarray | None = None  # per level
        self._pending_level: np.ndarray | None = None  # per env: its level's index
        self._updates = 0
        self._flat = 0
        self._fitness = {"prior": math.nan, "teacher": math.nan}

    def noise_of(self, assignment: Assignment) -> np.ndarray:
        """The noise each env's level was decoded from, ``float64[n, noise_dim]`` (a copy).

        Raises:
            ValueError: ``assignment`` is not the one waiting for its scores.
        """
        if assignment is not self._pending or self._pending_noise is None or self._pending_level is None:
            raise ValueError("noise is kept only for the assignment waiting for its scores, got another one")
        return self._pending_noise[self._pending_level]

    def _next_levels(self, n: int) -> Assignment:
        m = math.ceil(n / self.envs_per_level)  # levels; env i plays level i // envs_per_level
        n_prior = min(m, math.floor(self.prior_share * m + 0.5))
        prior = np.asarray(self.generator.draw_noise(n_prior, self.rng), dtype=np.float64)
        prior = prior.reshape(n_prior, self.noise_dim)
        taught = self.mu + self.sigma * self.rng.standard_normal((m - n_prior, self.noise_dim))
        noise = np.concatenate([prior, taught])
        walls = np.asarray(self.generator.draw_from_noise(noise).walls, dtype=bool)
        start, goal = self.generator.place_batch(walls)
        levels = [
            Maze(w, tuple(s), tuple(g)) for w, s, g in zip(walls, start.tolist(), goal.tolist(), strict=True)
        ]
        level_of = np.arange(n) // self.envs_per_level
        self._pending_noise = noise
        self._pending_prior = np.arange(m) < n_prior
        self._pending_level = level_of
        return Assignment(tuple(levels[i] for i in level_of), no_buffer(n), update_policy=True, kind="train")

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        noise, from_prior, level_of = self._pending_noise, self._pending_prior, self._pending_level
        assert noise is not None and from_prior is not None and level_of is not None
        m = len(noise)
        # Each level's envs pooled: its success rate over all their episodes, its mean pvl.
        solved = np.bincount(level_of, weights=stats.solved, minlength=m)
        episodes = np.bincount(level_of, weights=stats.episodes, minlength=m)
        if self.score == "learnability":
            p = np.divide(solved, episodes, out=np.zeros(m), where=episodes > 0)
            fitness = p * (1.0 - p)
        else:
            fitness = np.bincount(level_of, weights=stats.positive_value_loss, minlength=m) / np.bincount(
                level_of, minlength=m
            )
        for key, mask in (("prior", from_prior), ("teacher", ~from_prior)):
            self._fitness[key] = float(fitness[mask].mean()) if mask.any() else math.nan
        self._pending_noise = self._pending_prior = self._pending_level = None
        self._updates += 1
        if np.ptp(fitness) == 0:
            self._flat += 1
            return
        k = max(1, math.ceil(self.elite_fraction * m - 1e-9))
        elite = noise[np.argsort(-fitness, kind="stable")[:k]]
        s = self.smoothing
        self.mu = (1.0 - s) * self.mu + s * elite.mean(axis=0)
        sigma = (1.0 - s) * self.sigma + s * elite.std(axis=0)
        self.sigma = np.maximum(sigma, self.sigma_floor * self.prior_std)

    def _summary(self) -> dict[str, float]:
        scale = np.where(self.prior_std > 0, self.prior_std, 1.0)
        return {
            # How far the search has moved: the root mean square of mu's shift, in prior stds.
            "mu_shift": float(np.sqrt(np.mean(((self.mu - self.prior_mean) / scale) ** 2))),
            "sigma_ratio": float(np.mean(self.sigma / scale)),
            "fitness_prior": self._fitness["prior"],
            "fitness_teacher": self._fitness["teacher"],
            "flat_rollouts": float(self._flat),
            "updates": float(self._updates),
        }

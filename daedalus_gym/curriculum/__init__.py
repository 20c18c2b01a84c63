"""Curricula: which level each env plays next, decided from how the agent did on the last ones.

A `LevelSampler` hands the trainer an `Assignment` (one level per env, whether the rollout
trains the policy) and reads back `RolloutStats` (per-env positive value loss, mean value, best
return, episodes solved and ended)::

    sampler = make_sampler("plr", make_generator("backtracker", size=7), np.random.default_rng(0))
    for _ in range(updates):
        assignment = sampler.next_levels(num_envs)
        stats = play_one_rollout(assignment.mazes)        # the trainer's job
        sampler.update(assignment, stats)
        if assignment.update_policy:
            ppo_step()

The samplers (`SAMPLERS`):

- ``"dr"``, `DomainRandomization`: fresh levels every rollout; the baseline.
- ``"plr"``, `RobustPLR`: Prioritized Level Replay, robust variant: a buffer of high-regret
  levels (positive value loss or MaxMC) replayed by rank and staleness; new levels are scored
  without training on them.
- ``"accel"``, `ACCEL`: robust PLR whose replayed levels are edited (tree edits keep mazes
  perfect) and offered back to the buffer.
- ``"sfl"``, `SFL`: Sampling For Learnability: periodically score fresh levels by ``p (1 - p)``
  and train on a mix of the most learnable and fresh ones.
- ``"latent"``, `LatentTeacher`: a cross-entropy search for learnable levels in a learned
  generator's latent noise.

Everything here is numpy; the generators' randomness comes from the rng handed in, so the same
seed and the same stats give the same levels.
"""

from daedalus_gym.curriculum.accel import ACCEL
from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats
from daedalus_gym.curriculum.buffer import LevelBuffer
from daedalus_gym.curriculum.domain_randomization import DomainRandomization
from daedalus_gym.curriculum.latent import LatentTeacher
from daedalus_gym.curriculum.plr import RobustPLR
from daedalus_gym.curriculum.samplers import SAMPLERS, make_sampler, sampler_class
from daedalus_gym.curriculum.sfl import SFL

__all__ = [
    "ACCEL",
    "SAMPLERS",
    "SFL",
    "Assignment",
    "DomainRandomization",
    "LatentTeacher",
    "LevelBuffer",
    "LevelSampler",
    "RobustPLR",
    "RolloutStats",
    "make_sampler",
    "sampler_class",
]

"""The benchmark runner: agents x environments x episodes -> one record of metrics per pair.

Episodes are independent and seeded by a pure function of (base seed, env id, episode index)
(`episode_seeds`, numpy ``SeedSequence``), so the numbers never depend on how episodes are
scheduled: the ``local`` backend, a process pool (``workers > 1``) and a Ray cluster return the
same records. Every agent plays the same mazes of an env (paired comparison).

Metrics per (agent, env) (`summarize`):

- ``success_rate`` with a 95% Wilson score interval (``success_low``, ``success_high``), which
  stays inside [0, 1] and is honest at rates of 0 and 1, unlike the normal approximation;
- ``spl``: success weighted by path length (Anderson et al., 2018),
  ``mean(S_i * l_i / max(p_i, l_i))`` for optimal length ``l_i`` and steps taken ``p_i``;
- ``mean_return``, ``mean_length`` (steps);
- ``steps_per_second``: env steps plus agent decisions per second of episode time. It is the one
  machine-dependent number, so `BenchRecord.to_json` leaves it out: JSON is the reproducible
  artefact, the printed table and CSV carry the timing.

Cost: one ``reset`` (maze generation + BFS) and ``length`` steps per episode; GIF recording
renders every frame of the first ``record_episodes`` episodes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from daedalus_gym.core import check_int, check_seed, describe
from daedalus_gym.splits import HeldOut
from generators.base import check_real
from generators.two_sample import wilson_score

BACKENDS = ("local", "ray")
RAY_HINT = 'pip install "daedalus-gym[ray]"'
PLOT_HINT = 'pip install "daedalus-gym[plot]"'
GIF_HINT = 'pip install "daedalus-gym[rl]"'
# A held-out episode redraws its maze while it hits a training maze; bounded, never a loop forever.
MAX_SEED_ATTEMPTS = 100
# GIFs keep at most twice this many frames, halving the frame rate of long episodes.
MAX_GIF_FRAMES = 300
# GIFs per (agent, env) when a record_dir is given without record_episodes.
RECORD_EPISODES = 1


# --------------------------------------------------------------------------- seeding
def _env_key(env_id: str) -> int:
    # Python's hash() is salted per process; blake2b is the same everywhere.
    return int.from_bytes(hashlib.blake2b(env_id.encode(), digest_size=8).digest(), "little")


def episode_seeds(base_seed: int, env_id: str, episode: int, attempt: int = 0) -> tuple[int, int]:
    """``(maze_seed, agent_seed)`` for one episode: a pure function of its arguments.

    ``attempt`` counts redraws when a held-out evaluation rejects a training maze.

    Raises:
        ValueError: ``base_seed``, ``episode`` or ``attempt`` is not an int ``>= 0``, or
            ``env_id`` is not a str.
    """
    base_seed = check_int(base_seed, "base_seed", minimum=0)
    if not isinstance(env_id, str):
        raise ValueError(f"env_id must be a str, got {describe(env_id)}")
    episode = check_int(episode, "episode", minimum=0)
    attempt = check_int(attempt, "attempt", minimum=0)
    sequence = np.random.SeedSequence(base_seed, spawn_key=(_env_key(env_id), episode, attempt))
    maze_seed, agent_seed = sequence.generate_state(2, dtype=np.uint32).tolist()
    return maze_seed, agent_seed


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class EpisodeResult:
    """One episode of one agent on one env."""

    agent: str
    env: str
    episode: int
    seed: int
    maze_hash: str
    success: bool
    episode_return: float
    length: int
    optimal_length: int
    seconds: float

    @property
    def spl(self) -> float:
        """This episode's term of SPL: ``optimal_length / max(length, optimal_length)`` when it
        reached the goal, else 0 (a record's ``spl`` is their mean)."""
        return self.optimal_length / max(self.length, self.optimal_length) if self.success else 0.0


@dataclass(frozen=True)
class BenchRecord:
    """Metrics of one agent on one env (see the module docstring)."""

    agent: str
    env: str
    episodes: int
    success_rate: float
    success_low: float
    success_high: float
    spl: float
    mean_return: float
    mean_length: float
    steps_per_second: float

    def to_json(self) -> dict[str, Any]:
        """The reproducible fields (everything but ``steps_per_second``)."""
        record = asdict(self)
        del record["steps_per_second"]
        return record


METRICS = tuple(f.name for f in fields(BenchRecord))[3:]


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95% for the default ``z``).

    Raises:
        ValueError: ``n`` is not an int ``>= 1``, ``successes`` not an int in ``[0, n]``, or
            ``z`` not a finite number ``> 0``.
    """
    n = check_int(n, "n", minimum=1)
    successes = check_int(successes, "successes", minimum=0)
    if successes > n:
        raise ValueError(f"successes must be in [0, {n}], got {successes}")
    z = check_real(z, "z", 0.0, math.inf, low_open=True, high_open=True)
    return wilson_score(successes / n, n, z)


def summarize(results: Sequence[EpisodeResult]) -> list[BenchRecord]:
    """One record per (agent, env), in order of first appearance; episodes summed in index order.

    No results give no records (``[]``).

    Raises:
        TypeError: ``results`` is not a sequence of `EpisodeResult`.
        ValueError: an (agent, env) pair holds one episode index twice.
    """
    if isinstance(results, (str, bytes)) or not isinstance(results, Sequence):
        raise TypeError(f"results must be a sequence of EpisodeResult, got {describe(results)}")
    for i, result in enumerate(results):
        if not isinstance(result, EpisodeResult):
            raise TypeError(f"results[{i}] must be an EpisodeResult, got {describe(result)}")
    groups: dict[tuple[str, str], list[EpisodeResult]] = {}
    for result in results:
        groups.setdefault((result.agent, result.env), []).append(result)
    records = []
    for (agent, env), group in groups.items():
        group = sorted(group, key=lambda r: r.episode)
        episodes = [r.episode for r in group]
        if len(set(episodes)) != len(episodes):
            twice = sorted({e for e in episodes if episodes.count(e) > 1})
            raise ValueError(f"results hold episodes {twice} of {agent!r} on {env!r} more than once")
        n = len(group)
        successes = sum(r.success for r in group)
        low, high = wilson_interval(successes, n)
        spl = sum(r.spl for r in group) / n
        seconds = sum(r.seconds for r in group)
        steps = sum(r.length for r in group)
        records.append(
            BenchRecord(
                agent=agent,
                env=env,
                episodes=n,
                success_rate=successes / n,
                success_low=low,
                success_high=high,
                spl=spl,
                mean_return=sum(r.episode_return for r in group) / n,
                mean_length=steps / n,
                steps_per_second=steps / seconds if seconds > 0 else float("inf"),
            )
        )
    return records


# --------------------------------------------------------------------------- running episodes
@dataclass(frozen=True)
class Task:
    """A chunk of episodes of one agent on one env: the unit of work every backend ships."""

    agent: str
    env: str
    episodes: tuple[int, ...]
    base_seed: int
    held_out: HeldOut | None = None
    record_dir: str | None = None
    record_episodes: int = 0
    env_kwargs: tuple[tuple[str, Any], ...] = ()  # ``gym.make`` keywords, as items (hashable)
    trust_pickle: bool = False


@lru_cache(maxsize=8)
def _cached_agent(spec: str, trust_pickle: bool):
    # One load per worker process (a model is read from disk once, not once per chunk).
    from daedalus_gym.agents import make_agent

    return make_agent(spec, trust_pickle=trust_pickle)


def run_task(task: Task) -> list[EpisodeResult]:
    """Play a task's episodes. A plain top-level function so that processes and Ray can ship it."""
    import daedalus_gym  # noqa: F401 - registers the ids in a fresh worker process
    from daedalus_gym.agents import make_agent_env

    agent = _cached_agent(task.agent, task.trust_pickle)
    env_kwargs = dict(task.env_kwargs)
    plain_env = make_agent_env(agent, task.env, **env_kwargs)
    render_env = None
    results = []
    try:
        for episode in task.episodes:
            record = task.record_dir is not None and episode < task.record_episodes
            if record and render_env is None:
                render_env = _render_env(agent, task.env, plain_env.unwrapped.height, env_kwargs)
            env = render_env if record else plain_env
            result, frames = _play(agent, env, task, episode, record)
            results.append(result)
            if frames:
                _write_gif(frames, Path(task.record_dir) / _gif_name(task.agent, task.env, episode))
    finally:
        plain_env.close()
        if render_env is not None:
            render_env.close()
    return results


def _play(agent, env, task: Task, episode: int, record: bool) -> tuple[EpisodeResult, list[np.ndarray]]:
    for attempt in range(MAX_SEED_ATTEMPTS):
        maze_seed, agent_seed = episode_seeds(task.base_seed, task.env, episode, attempt)
        obs, info = env.reset(seed=maze_seed)
        if task.held_out is None or task.held_out.allows(maze_seed, info["maze_hash"]):
            break
    else:
        raise RuntimeError(
            f"{task.env}: {MAX_SEED_ATTEMPTS} draws in a row hit training mazes; the env serves too few mazes"
        )
    maze_hash, optimal = info["maze_hash"], info["optimal_path_length"]
    frames = _GifFrames() if record else None
    if frames is not None:
        frames.add(env.render())
    agent.reset(agent_seed)
    episode_return, length, terminated, seconds = 0.0, 0, False, 0.0
    while True:
        # Time the decision and the step only: rendering GIF frames is not the agent's cost.
        start = time.perf_counter()
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        seconds += time.perf_counter() - start
        episode_return += float(reward)
        length += 1
        if frames is not None:
            frames.add(env.render())
        if terminated or truncated:
            break
    result = EpisodeResult(
        agent=task.agent,
        env=task.env,
        episode=episode,
        seed=maze_seed,
        maze_hash=maze_hash,
        success=bool(terminated),
        episode_return=episode_return,
        length=length,
        optimal_length=optimal,
        seconds=seconds,
    )
    return result, (frames.frames if frames is not None else [])


def _render_env(agent, env_id: str, height: int, env_kwargs: dict[str, Any]):
    from daedalus_gym.agents import make_agent_env

    # Frames of about 256 pixels a side, whatever the maze size.
    tile = max(2, 256 // height)
    return make_agent_env(agent, env_id, render_mode="rgb_array", render_tile_size=tile, **env_kwargs)


class _GifFrames:
    """Keeps a bounded number of frames: past ``2 * MAX_GIF_FRAMES``, every other one is dropped."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []
        self.stride = 1
        self._seen = 0

    def add(self, frame: np.ndarray) -> None:
        if self._seen % self.stride == 0:
            self.frames.append(frame)
            if len(self.frames) >= 2 * MAX_GIF_FRAMES:
                self.frames = self.frames[::2]
                self.stride *= 2
        self._seen += 1


def _gif_name(agent: str, env_id: str, episode: int) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in agent)
    return f"{safe}__{env_id}__ep{episode}.gif"


def _write_gif(frames: list[np.ndarray], path: Path) -> None:
    try:
        import imageio.v3 as iio
    except ImportError as err:
        raise ImportError(f"recording GIFs needs imageio: {GIF_HINT}") from err
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, np.stack(frames), duration=80, loop=0)


# --------------------------------------------------------------------------- backends
def make_tasks(
    agents: Sequence[str],
    envs: Sequence[str],
    episodes: int,
    seed: int,
    chunk_size: int,
    held_out: dict[str, HeldOut] | None = None,
    record_dir: str | Path | None = None,
    record_episodes: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    trust_pickle: bool = False,
) -> list[Task]:
    """Split agents x envs x episodes into chunks of at most ``chunk_size`` episodes.

    Raises:
        ValueError: a bad argument (see `run_benchmark`), naming it and its value.
    """
    agents, envs = _check_names(agents, "agents"), _check_names(envs, "envs")
    episodes = check_int(episodes, "episodes", minimum=1)
    seed = check_seed(seed)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    record_episodes = _check_record(record_dir, record_episodes)
    held_out = _check_held_out(held_out, envs)
    env_kwargs = _check_env_kwargs(env_kwargs)
    if not isinstance(trust_pickle, bool):
        raise ValueError(f"trust_pickle must be a bool, got {describe(trust_pickle)}")
    return [
        Task(
            agent=agent,
            env=env,
            episodes=tuple(range(first, min(first + chunk_size, episodes))),
            base_seed=seed,
            held_out=held_out.get(env),
            record_dir=None if record_dir is None else str(record_dir),
            record_episodes=record_episodes,
            env_kwargs=tuple(sorted((env_kwargs or {}).items())),
            trust_pickle=trust_pickle,
        )
        for agent in agents
        for env in envs
        for first in range(0, episodes, chunk_size)
    ]


def _check_record(record_dir: object, record_episodes: object) -> int:
    """The episodes of each pair to record: ``record_episodes`` (``None``: `RECORD_EPISODES`)
    with a ``record_dir``, none without one; ``record_episodes`` without ``record_dir`` is refused."""
    if record_episodes is not None:
        record_episodes = check_int(record_episodes, "record_episodes", minimum=0)
        if record_dir is None:  # there is nowhere to write its GIFs
            raise ValueError(f"record_episodes {record_episodes} needs record_dir, where the GIFs go")
    if record_dir is None:
        return 0
    return RECORD_EPISODES if record_episodes is None else record_episodes


def _check_names(names: object, what: str) -> list[str]:
    """``names`` (agent specs or env ids): a non-empty sequence of distinct strs."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise ValueError(f"{what} must be a list of strs, got {describe(names)}")
    names = list(names)
    if not names:
        raise ValueError(f"{what} must name at least one, got none")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise ValueError(f"{what}[{i}] must be a str, got {describe(name)}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # their episodes would be pooled into one record
        raise ValueError(f"{what} must be distinct, got {twice} more than once")
    return names


def _check_held_out(held_out: object, envs: Sequence[str]) -> dict[str, HeldOut]:
    """``held_out``: ``None`` or a dict of env ids among ``envs`` to `HeldOut` sets."""
    if held_out is None:
        return {}
    if not isinstance(held_out, dict):
        raise ValueError(f"held_out must be a dict of env ids to HeldOut or None, got {describe(held_out)}")
    for env_id, value in held_out.items():
        if env_id not in envs:  # it would hold out nothing
            raise ValueError(f"held_out names env {env_id!r}, which is not among envs {list(envs)}")
        if not isinstance(value, HeldOut):
            raise ValueError(f"held_out[{env_id!r}] must be a HeldOut, got {describe(value)}")
    return held_out


def _check_env_kwargs(env_kwargs: object) -> dict[str, Any]:
    if env_kwargs is None:
        return {}
    if not isinstance(env_kwargs, dict) or not all(isinstance(k, str) for k in env_kwargs):
        raise ValueError(f"env_kwargs must be a dict of str keywords or None, got {describe(env_kwargs)}")
    return env_kwargs


def _worker_init() -> None:
    # Workers share the machine's cores: one torch thread each (only PPO agents load torch, and
    # torch reads this when it is first imported).
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _run_local(tasks: Sequence[Task], workers: int) -> list[list[EpisodeResult]]:
    if workers == 1:
        return [run_task(task) for task in tasks]
    import multiprocessing

    # spawn, not fork: forking a process that has loaded torch can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init) as pool:
        return list(pool.map(run_task, tasks))


def _run_ray(tasks: Sequence[Task], workers: int | None, address: str | None) -> list[list[EpisodeResult]]:
    try:
        import ray
    except ImportError as err:
        raise ImportError(f"--backend ray needs Ray: {RAY_HINT}") from err
    started = not ray.is_initialized()
    if started:
        # No address: a local Ray instance on this machine, sized by `workers` when given.
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None and workers:
            options["num_cpus"] = workers
        ray.init(address=address, **options)
    try:
        remote = ray.remote(num_cpus=1)(_ray_task)
        return ray.get([remote.remote(task) for task in tasks])
    finally:
        if started:
            ray.shutdown()


def _ray_task(task: Task) -> list[EpisodeResult]:
    _worker_init()
    return run_task(task)


def run_benchmark(
    agents: Sequence[str],
    envs: Sequence[str],
    episodes: int,
    seed: int = 0,
    *,
    backend: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    held_out: dict[str, HeldOut] | None = None,
    record_dir: str | Path | None = None,
    record_episodes: int | None = None,
    chunk_size: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    trust_pickle: bool = False,
) -> tuple[list[BenchRecord], list[EpisodeResult]]:
    """Play ``episodes`` episodes of every agent spec on every env id.

    Args:
        agents: agent specs (`daedalus_gym.agents.make_agent`).
        envs: registered env ids.
        episodes: episodes per (agent, env).
        seed: the base seed; episode seeds derive from it (`episode_seeds`).
        backend: ``"local"`` (this machine; ``workers`` processes) or ``"ray"``.
        workers: local processes, or CPUs of the local Ray instance Ray starts.
        ray_address: a Ray cluster to join (``ray.init(address=...)``); none starts a local one.
        held_out: per env id, the training levels to keep out of evaluation (`levels.HeldOut`).
        record_dir: write GIFs of the first ``record_episodes`` episodes of each pair here.
        record_episodes: GIFs per (agent, env), with ``record_dir``; ``None``: `RECORD_EPISODES`
            (1). Given without ``record_dir`` it is refused.
        chunk_size: episodes per task; by default about four tasks per worker.
        env_kwargs: ``gym.make`` keywords for every env, e.g. ``{"generator_kwargs": {"model":
            "runs/vae/vae.safetensors"}}`` (JSON-serialisable, so workers can receive them).
        trust_pickle: let SB3 agent files not written by ``daedalus-gym train-agent`` be
            unpickled (`daedalus_gym.agents.SB3Agent`); it can run code from the file.

    Returns:
        ``(records, episode_results)``: one `BenchRecord` per (agent, env), agents outer, envs
        inner, and every `EpisodeResult`, both independent of backend and workers.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    workers = check_int(workers, "workers", minimum=1)
    if ray_address is not None and backend != "ray":
        raise ValueError(f"ray_address {ray_address!r} needs backend='ray', got backend={backend!r}")
    if ray_address is not None and not isinstance(ray_address, str):
        raise ValueError(f"ray_address must be a str or None, got {describe(ray_address)}")
    agents, envs = _check_names(agents, "agents"), _check_names(envs, "envs")
    episodes = check_int(episodes, "episodes", minimum=1)
    if chunk_size is not None:
        chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    from daedalus_gym.registration import registered_ids

    known = registered_ids()
    unknown = [env_id for env_id in envs if env_id not in known]
    if unknown:
        raise ValueError(
            f"envs must be registered Daedalus ids, got {unknown}; registered: {', '.join(known)}"
        )
    if chunk_size is None:
        # About four tasks per worker, so that uneven chunks still balance.
        parallel = workers if backend == "local" else max(workers, 2)
        chunks_per_pair = math.ceil(4 * parallel / (len(agents) * len(envs))) if parallel > 1 else 1
        chunk_size = math.ceil(episodes / chunks_per_pair)
    tasks = make_tasks(
        agents,
        envs,
        episodes,
        seed,
        chunk_size,
        held_out,
        record_dir,
        record_episodes,
        env_kwargs=env_kwargs,
        trust_pickle=trust_pickle,
    )
    if backend == "local":
        chunks = _run_local(tasks, workers)
    else:
        chunks = _run_ray(tasks, workers if workers > 1 else None, ray_address)
    order = {(a, e): i for i, (a, e) in enumerate((a, e) for a in agents for e in envs)}
    results = sorted(
        (r for chunk in chunks for r in chunk), key=lambda r: (order[(r.agent, r.env)], r.episode)
    )
    return summarize(results), results


# --------------------------------------------------------------------------- outputs
COLUMNS = ("agent", "env", "episodes", "success (95% CI)", "SPL", "return", "length", "steps/s")


def format_table(records: Sequence[BenchRecord]) -> str:
    """A Markdown table, one row per record (pastes into a README as is).

    Raises:
        ValueError: no records (a benchmark of no episodes has no table).
    """
    records = _check_records(records)
    rows = [
        (
            r.agent,
            r.env,
            str(r.episodes),
            f"{r.success_rate:.3f} [{r.success_low:.3f}, {r.success_high:.3f}]",
            f"{r.spl:.3f}",
            f"{r.mean_return:.3f}",
            f"{r.mean_length:.1f}",
            f"{r.steps_per_second:,.0f}",
        )
        for r in records
    ]
    return _markdown(COLUMNS, rows, numeric_from=2)


def format_matrix(records: Sequence[BenchRecord], metrics: Sequence[str] = ("success_rate",)) -> str:
    """A Markdown matrix: envs as rows, agents as columns, the ``metrics`` in each cell
    (``"1.000 / 0.716"`` for ``("success_rate", "spl")``).

    With PPO agents trained on different generators this is the cross-generator matrix.
    """
    records = _check_records(records)
    if isinstance(metrics, str):
        metrics = (metrics,)
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be among {METRICS}, got {list(metrics)}")
    agents = list(dict.fromkeys(r.agent for r in records))
    envs = list(dict.fromkeys(r.env for r in records))
    by_pair = {(r.agent, r.env): r for r in records}

    def cell(agent: str, env: str) -> str:
        record = by_pair.get((agent, env))
        return " / ".join(f"{getattr(record, m):.3f}" for m in metrics) if record else ""

    rows = [(env, *(cell(agent, env) for agent in agents)) for env in envs]
    return _markdown((f"env \\ {' / '.join(metrics)}", *agents), rows, numeric_from=1)


def _check_records(records: object) -> list[BenchRecord]:
    """``records``: a non-empty sequence of `BenchRecord`."""
    if isinstance(records, (str, bytes)) or not isinstance(records, Sequence):
        raise TypeError(f"records must be a sequence of BenchRecord, got {describe(records)}")
    if not records:
        raise ValueError("records must hold at least one BenchRecord, got none (no episodes were played)")
    for i, record in enumerate(records):
        if not isinstance(record, BenchRecord):
            raise TypeError(f"records[{i}] must be a BenchRecord, got {describe(record)}")
    return list(records)


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if i >= numeric_from else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":" if i >= numeric_from else "-" * (w + 2)) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def write_json(records: Sequence[BenchRecord], path: str | Path) -> None:
    """A JSON list of `BenchRecord.to_json` dicts: identical for the same seed on any backend."""
    Path(path).write_text(json.dumps([r.to_json() for r in records], indent=2) + "\n")


def write_csv(records: Sequence[BenchRecord], path: str | Path) -> None:
    """Every field, ``steps_per_second`` included, one row per record."""
    names = [f.name for f in fields(BenchRecord)]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for record in records:
            writer.writerow(asdict(record))


def plot_records(records: Sequence[BenchRecord], path: str | Path, title: str | None = None) -> None:
    """Grouped bars per env: success rate with its 95% interval (top) and SPL (bottom).

    Raises:
        ValueError: no records.
    """
    records = _check_records(records)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(f"plots need matplotlib: {PLOT_HINT}") from err
    agents = list(dict.fromkeys(r.agent for r in records))
    envs = list(dict.fromkeys(r.env for r in records))
    by_pair = {(r.agent, r.env): r for r in records}
    x = np.arange(len(envs))
    width = 0.8 / len(agents)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(7.0, 0.9 * len(envs) + 3), 7.0), sharex=True)
    for i, agent in enumerate(agents):
        offset = x - 0.4 + width * (i + 0.5)
        rows = [by_pair.get((agent, env)) for env in envs]
        rate = np.array([r.success_rate if r else np.nan for r in rows])
        low = np.array([r.success_rate - r.success_low if r else 0.0 for r in rows])
        high = np.array([r.success_high - r.success_rate if r else 0.0 for r in rows])
        top.bar(offset, rate, width, yerr=np.vstack([low, high]), capsize=2, label=agent)
        bottom.bar(offset, [r.spl if r else np.nan for r in rows], width, label=agent)
    top.set_ylabel("success rate (95% CI)")
    bottom.set_ylabel("SPL")
    for axis in (top, bottom):
        axis.set_ylim(0, 1.05)
        axis.grid(axis="y", alpha=0.3)
    bottom.set_xticks(x, [env.removeprefix("Daedalus-") for env in envs], rotation=35, ha="right")
    if title:
        top.set_title(title)
    fig.tight_layout()
    # One legend above the plots, placed after the layout, so long agent names
    # (ppo:path/to/model.zip) never squeeze the axes; bbox_inches="tight" makes room for it.
    columns = max(1, min(len(agents), 100 // max(len(agent) for agent in agents)))
    handles, labels = top.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=columns, frameon=False)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)

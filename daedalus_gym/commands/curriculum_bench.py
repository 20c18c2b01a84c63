"""Train PPO under each curriculum and compare them zero-shot on held-out mazes.

    daedalus-gym curriculum-bench --out docs/curricula               # the full experiment
    daedalus-gym curriculum-bench --quick --out /tmp/curricula        # a smoke test in seconds
    daedalus-gym curriculum-bench --backend ray --out runs/curricula  # the runs as Ray tasks

Every method trains the same PPO agent (`daedalus_gym.curriculum.trainer`: egocentric window plus
previous action, two 64-unit MLPs, the native vector env, one torch thread per run) for the same
number of env steps on 14x14-cell mazes; only the level sampler differs:

- ``dr-backtracker``: domain randomisation over backtracker mazes (fresh mazes every rollout);
- ``dr-vae``: domain randomisation over the VAE's mazes;
- ``plr``: robust prioritised level replay over backtracker mazes;
- ``accel``: robust PLR plus tree-preserving edits of replayed levels;
- ``sfl``: sampling for learnability, p(1 - p), over backtracker mazes;
- ``latent``: a teacher searching the VAE's latent space for learnable levels.

Scoring-only rollouts (PLR's new levels, ACCEL's edits, SFL's candidate evaluation) count
towards the budget. Each run's policy then plays every level of the zero-shot suite once
(`daedalus_gym.curriculum.suite`) ``--episodes-per-level`` times, its actions sampled (seeded by
the run's seed: a memoryless greedy policy can loop forever in a maze); CVaR is taken over the
levels' success rates. The greedy policy's figures (one episode a level) are recorded beside them.
A learning curve records the sampled policy's success on the first ``--curve-levels`` levels of
the suite's 14x14 backtracker group every ``--eval-every`` rollouts.

Writes ``curricula.md`` (tables), ``curricula.json`` (every run, curve and level) and, with
matplotlib, ``curricula_curves.png`` and ``curricula_suite.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from daedalus_gym.commands import (
    check_writable,
    comma_list,
    fill_quick_defaults,
    int_range,
    parse_json_object,
    positive_int,
    quick_help,
)

# method -> (sampler, generator)
METHODS: dict[str, tuple[str, str]] = {
    "dr-backtracker": ("dr", "backtracker"),
    "dr-vae": ("dr", "vae"),
    "plr": ("plr", "backtracker"),
    "accel": ("accel", "backtracker"),
    "sfl": ("sfl", "backtracker"),
    "latent": ("latent", "vae"),
}
BASELINE = "dr-backtracker"
BACKENDS = ("local", "ray")
RAY_HINT = 'pip install "daedalus-gym[ray]"'
PLOT_HINT = 'plots need matplotlib: pip install "daedalus-gym[plot]"'
# Buffer sizes for this budget: the published 4,000 levels would never fill in a few million
# steps (about 1,000 new levels are scored), so PLR and ACCEL would never replay.
SAMPLER_DEFAULTS: dict[str, dict[str, Any]] = {"plr": {"capacity": 256}, "accel": {"capacity": 256}}


_csv = comma_list()
_seeds = comma_list(int_range(0, 2**31 - 1))

# Settings --quick makes small: dest -> (a full run's default, --quick's default). A flag given
# on the command line keeps its value either way.
DEFAULTS: dict[str, tuple[Any, Any]] = {
    "methods": (list(METHODS), ["dr-backtracker", "plr"]),
    "seeds": ([0, 1, 2], [0]),
    "steps": (5_000_000, 4096),
    "num_envs": (32, 8),
    "rollout_steps": (512, 64),
    "eval_every": (10, 2),
    "curve_levels": (64, 8),
    "episodes_per_level": (4, 1),
    "suite_levels": (0, 4),
}


def _default(dest: str) -> str:
    return quick_help(DEFAULTS, dest)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # The --quick settings' defaults are filled in by `run`: unset here, so a given flag is known.
    unset = argparse.SUPPRESS
    parser.add_argument("--out", metavar="DIR", required=True, help="folder for the tables, JSON and plots")
    parser.add_argument(
        "--methods", type=_csv, default=unset, help="comma-separated methods" + _default("methods")
    )
    parser.add_argument(
        "--seeds", type=_seeds, default=unset, help="comma-separated seeds per method" + _default("seeds")
    )
    parser.add_argument(
        "--steps", type=int_range(1), default=unset, help="env steps per run" + _default("steps")
    )
    parser.add_argument(
        "--num-envs", type=positive_int, default=unset, help="envs per rollout" + _default("num_envs")
    )
    parser.add_argument(
        "--rollout-steps",
        type=int_range(16),
        default=unset,
        help="steps per rollout (and time limit)" + _default("rollout_steps"),
    )
    parser.add_argument(
        "--eval-every",
        type=positive_int,
        default=unset,
        help="rollouts between curve points" + _default("eval_every"),
    )
    parser.add_argument(
        "--curve-levels",
        type=int_range(1, 200),
        default=unset,
        help="held-out levels per curve point" + _default("curve_levels"),
    )
    parser.add_argument(
        "--episodes-per-level",
        type=int_range(1, 100),
        default=unset,
        help="zero-shot episodes per suite level" + _default("episodes_per_level"),
    )
    parser.add_argument(
        "--suite-levels",
        type=int_range(0),
        default=unset,
        help="levels per suite group (0: all of them)" + _default("suite_levels"),
    )
    parser.add_argument(
        "--sampler-kwargs",
        metavar="JSON",
        default="{}",
        help='per-method sampler settings, e.g. \'{"plr": {"replay_prob": 0.5}}\'',
    )
    parser.add_argument("--backend", choices=BACKENDS, default="local", help="where the runs execute")
    parser.add_argument("--workers", type=positive_int, default=2, help="runs at once (local backend)")
    parser.add_argument(
        "--ray-address", default=None, help="a Ray cluster to join (--backend ray); none starts a local one"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: the small defaults above (tiny budget, two methods, one seed); "
        "flags given explicitly keep their values",
    )


# --------------------------------------------------------------------- one run
def run_one(method: str, seed: int, config: dict[str, Any]) -> dict[str, Any]:
    """Train ``method`` with ``seed`` and evaluate it on the zero-shot suite (a picklable task)."""
    import torch

    from daedalus_gym.curriculum import make_sampler
    from daedalus_gym.curriculum.suite import evaluate_suite, zero_shot_suite
    from daedalus_gym.curriculum.trainer import PPOSettings, train
    from generators import make_generator

    torch.set_num_threads(1)
    sampler_name, generator_name = METHODS[method]
    settings = PPOSettings(**config["ppo"])
    generator = make_generator(generator_name, size=settings.size)
    kwargs = {**SAMPLER_DEFAULTS.get(sampler_name, {}), **config["sampler_kwargs"].get(method, {})}
    sampler = make_sampler(sampler_name, generator, np.random.default_rng(seed), **kwargs)
    suite = _first_levels(zero_shot_suite(), config.get("suite_levels", 0))
    curve_group = _curve_group(suite, config["curve_levels"])

    def evaluate(agent: Any) -> dict[str, float]:
        res = evaluate_suite(agent.sampler(seed), [curve_group], seed=seed)[curve_group.name]
        return {"heldout_success": res.success_rate, "heldout_spl": res.spl}

    result = train(sampler, settings, seed, evaluate=evaluate)
    t0 = time.perf_counter()
    final = evaluate_suite(
        result.agent.sampler(seed), suite, seed=seed, episodes_per_level=config.get("episodes", 1)
    )
    greedy = evaluate_suite(result.agent.greedy, suite, seed=seed)
    return {
        "method": method,
        "seed": seed,
        "sampler": sampler_name,
        "generator": generator_name,
        "sampler_kwargs": kwargs,
        "env_steps": result.env_steps,
        "updates": result.updates,
        "train_seconds": result.seconds,
        "sampler_seconds": result.sampler_seconds,
        "eval_seconds": time.perf_counter() - t0,
        "curve": result.curve,
        "suite": _suite_dict(final),
        "suite_greedy": _suite_dict(greedy, levels=False),
    }


def _suite_dict(result: Any, levels: bool = True) -> dict[str, Any]:
    """A `SuiteResult` as JSON: every group's row, the overall row and, with ``levels``, each
    level's success rate (in suite order)."""

    def row(group: Any) -> dict[str, Any]:
        out = group.row()
        out["cvar10"] = out.pop("cvar10_success")
        if levels:
            out["level_success"] = [round(float(v), 4) for v in group.level_success]
        return out

    overall = result.overall.row()  # its levels are the groups' levels, in order
    overall["cvar10"] = overall.pop("cvar10_success")
    return {"all": overall, "groups": {g.name: row(g) for g in result.groups}}


def _first_levels(suite: Any, levels: int) -> Any:
    """Each group cut to its first ``levels`` levels (all of them for 0)."""
    from daedalus_gym.curriculum.suite import SuiteGroup

    if not levels:
        return suite
    return tuple(
        SuiteGroup(g.name, g.mazes[:levels], None if g.level_names is None else g.level_names[:levels])
        for g in suite
    )


def _curve_group(suite: Any, levels: int) -> Any:
    from daedalus_gym.curriculum.suite import SuiteGroup

    group = next(g for g in suite if g.name == "backtracker-14x14")
    return SuiteGroup(f"{group.name}[:{len(group.mazes[:levels])}]", group.mazes[:levels])


def check_samplers(methods: list[str], sampler_kwargs: dict[str, dict[str, Any]], size: int) -> None:
    """Build every method's sampler once with its settings, so that a bad setting is said before
    any method trains, not after the first ones have."""
    from daedalus_gym.curriculum import make_sampler
    from generators import make_generator

    generators: dict[str, Any] = {}
    for method in methods:
        sampler_name, generator_name = METHODS[method]
        if generator_name not in generators:
            generators[generator_name] = make_generator(generator_name, size=size)
        kwargs = {**SAMPLER_DEFAULTS.get(sampler_name, {}), **sampler_kwargs.get(method, {})}
        try:
            make_sampler(sampler_name, generators[generator_name], np.random.default_rng(0), **kwargs)
        except (TypeError, ValueError) as err:
            raise ValueError(f"--sampler-kwargs {method!r}: {err}") from None


# --------------------------------------------------------------------- backends
def run_all(
    tasks: list[tuple[str, int]], config: dict[str, Any], backend: str, workers: int, address: str | None
):
    """Every ``(method, seed)`` run, in order, on the local machine or on Ray."""
    if backend == "ray":
        try:
            import ray
        except ImportError as err:
            raise ImportError(f"--backend ray needs Ray: {RAY_HINT}") from err
        started = not ray.is_initialized()
        if started:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        try:
            remote = ray.remote(num_cpus=1)(run_one)
            return ray.get([remote.remote(m, s, config) for m, s in tasks])
        finally:
            if started:
                ray.shutdown()
    if workers == 1 or len(tasks) == 1:
        out = []
        for m, s in tasks:
            out.append(run_one(m, s, config))
            _progress(out[-1])
        return out
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = [pool.submit(run_one, m, s, config) for m, s in tasks]
        out = []
        for future in futures:
            out.append(future.result())
            _progress(out[-1])
        return out


def _progress(run: dict[str, Any]) -> None:
    # Progress on stderr: stdout stays the table alone.
    print(
        f"{run['method']} seed {run['seed']}: {run['train_seconds']:.0f} s training, "
        f"zero-shot success {run['suite']['all']['success']:.3f}",
        file=sys.stderr,
        flush=True,
    )


# --------------------------------------------------------------------- statistics
def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval over seeds (``nan`` bounds with one seed)."""
    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = t_quantile_975(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def t_quantile_975(df: int) -> float:
    """The 97.5th percentile of Student's t with ``df >= 1`` degrees of freedom (the half-width
    factor of a two-sided 95% interval): tabulated to 3 decimals up to 10, then the
    Cornish-Fisher expansion in ``1 / df`` to its fourth term (within 0.0005 of the exact
    quantile from 11 on, 1.96 in the limit)."""
    if df < len(T95):
        return T95[df]
    z = Z975
    g = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(gk / df ** (k + 1) for k, gk in enumerate(g))


# Two-sided 95% Student-t quantiles by degrees of freedom (index) up to 10 (`t_quantile_975` beyond).
T95 = (float("nan"), 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)
Z975 = 1.959963984540054  # the normal's 97.5th percentile, the limit


def summarise(runs: list[dict[str, Any]], methods: list[str]) -> list[dict[str, Any]]:
    """Per method: mean over seeds of zero-shot success, SPL and CVaR (95% t intervals), per group."""
    rows = []
    for method in methods:
        mine = [r for r in runs if r["method"] == method]
        if not mine:
            continue
        row: dict[str, Any] = {"method": method, "seeds": [r["seed"] for r in mine]}
        for key in ("success", "spl", "cvar10"):
            row[key] = t_interval([r["suite"]["all"][key] for r in mine])
        row["groups"] = {
            g: float(np.mean([r["suite"]["groups"][g]["success"] for r in mine]))
            for g in mine[0]["suite"]["groups"]
        }
        row["greedy_success"] = float(np.mean([r["suite_greedy"]["all"]["success"] for r in mine]))
        row["train_seconds"] = float(np.mean([r["train_seconds"] for r in mine]))
        row["sampler_share"] = float(np.mean([r["sampler_seconds"] / r["train_seconds"] for r in mine]))
        rows.append(row)
    return rows


def comparisons(summary: list[dict[str, Any]]) -> list[str]:
    """Plain sentences: which curricula beat the baseline with non-overlapping 95% intervals."""
    by = {row["method"]: row for row in summary}
    lines = []
    base = by.get(BASELINE)
    for row in summary:
        if base is None or row["method"] == BASELINE:
            continue
        (m, lo, hi), (bm, blo, bhi) = row["success"], base["success"]
        if not np.isfinite([lo, hi, blo, bhi]).all():
            lines.append(f"- {row['method']} against {BASELINE} on zero-shot success: {_no_verdict(m, bm)}")
            continue
        if lo > bhi:
            verdict = "beats"
        elif hi < blo:
            verdict = "falls below"
        else:
            verdict = "overlaps"
        lines.append(
            f"- {row['method']} {verdict} {BASELINE} on zero-shot success: {m:.3f} [{lo:.3f}, {hi:.3f}] "
            f"against {bm:.3f} [{blo:.3f}, {bhi:.3f}]"
        )
    if "latent" in by and "plr" in by:
        (m, lo, hi), (pm, plo, phi) = by["latent"]["success"], by["plr"]["success"]
        if not np.isfinite([lo, hi, plo, phi]).all():
            lines.append(f"- latent against plr: {_no_verdict(m, pm)}")
            return lines
        word = "matches or beats" if m >= pm or hi >= plo else "falls below"
        lines.append(
            f"- latent {word} plr: {m:.3f} [{lo:.3f}, {hi:.3f}] against {pm:.3f} [{plo:.3f}, {phi:.3f}]"
        )
    return lines


def _no_verdict(mean: float, other: float) -> str:
    return f"{mean:.3f} against {other:.3f}, no verdict: a 95% interval needs at least two seeds per method"


def markdown(summary: list[dict[str, Any]], config: dict[str, Any], wall: float) -> str:
    ppo = config["ppo"]
    groups = list(summary[0]["groups"]) if summary else []
    lines = [
        f"{ppo['total_steps']:,} env steps per run, {ppo['num_envs']} envs x {ppo['rollout_steps']} "
        f"steps per rollout, {ppo['size']}x{ppo['size']}-cell training mazes; wall time {wall / 60:.1f} min.",
        f"Zero-shot: the policy's sampled actions, {config['episodes']} episode(s) per suite level; mean "
        "over seeds with a 95% t interval (greedy: the argmax policy's success, mean over seeds).",
        "",
        "| method | seeds | success | SPL | CVaR 10% | greedy success | train s | sampler share |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in summary:
        cells = [_ci(row[k]) for k in ("success", "spl", "cvar10")]
        lines.append(
            f"| {row['method']} | {len(row['seeds'])} | "
            + " | ".join(cells)
            + f" | {row['greedy_success']:.3f} | {row['train_seconds']:.0f} | {row['sampler_share']:.1%} |"
        )
    if groups:
        lines += [
            "",
            "Success per group (mean over seeds):",
            "",
            "| method | " + " | ".join(groups) + " |",
            "|---|" + "--:|" * len(groups),
        ]
        for row in summary:
            lines.append(
                f"| {row['method']} | " + " | ".join(f"{row['groups'][g]:.3f}" for g in groups) + " |"
            )
    verdicts = comparisons(summary)
    if verdicts:
        lines += ["", *verdicts]
    return "\n".join(lines) + "\n"


def _ci(value: tuple[float, float, float]) -> str:
    mean, lo, hi = value
    return f"{mean:.3f}" if not np.isfinite(lo) else f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"


def plot(runs: list[dict[str, Any]], summary: list[dict[str, Any]], out: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(PLOT_HINT) from err
    written = []
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for row in summary:
        mine = [r for r in runs if r["method"] == row["method"]]
        steps = np.array([p["env_steps"] for p in mine[0]["curve"]])
        length = min(len(r["curve"]) for r in mine)
        values = np.array([[p["heldout_success"] for p in r["curve"][:length]] for r in mine])
        mean = values.mean(axis=0)
        ax.plot(steps[:length], mean, label=row["method"])
        if len(mine) > 1:
            ax.fill_between(steps[:length], values.min(axis=0), values.max(axis=0), alpha=0.15)
    ax.set_xlabel("env steps")
    ax.set_ylabel("held-out success (14x14 backtracker)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("Learning curves: mean over seeds, band = min-max")
    fig.tight_layout()
    path = out / "curricula_curves.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(7, 3.8))
    names = [row["method"] for row in summary]
    means = [row["success"][0] for row in summary]
    err = [
        [row["success"][0] - row["success"][1] if np.isfinite(row["success"][1]) else 0 for row in summary],
        [row["success"][2] - row["success"][0] if np.isfinite(row["success"][2]) else 0 for row in summary],
    ]
    ax.bar(names, means, yerr=err, capsize=4, color="#4c72b0")
    ax.set_ylabel("zero-shot success (all suite levels)")
    ax.set_ylim(0, 1)
    ax.set_title("Zero-shot suite: mean over seeds, 95% t interval")
    plt.setp(ax.get_xticklabels(), rotation=20)
    fig.tight_layout()
    path = out / "curricula_suite.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written


# --------------------------------------------------------------------- command
def run(args: argparse.Namespace) -> int:
    fill_quick_defaults(args, DEFAULTS)
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown or not args.methods:
        raise ValueError(f"--methods: unknown {unknown or args.methods}; accepted: {', '.join(METHODS)}")
    if args.ray_address is not None and args.backend != "ray":
        raise ValueError(
            f"--ray-address {args.ray_address} needs --backend ray, got --backend {args.backend}"
        )
    sampler_kwargs = parse_json_object(args.sampler_kwargs, "--sampler-kwargs")
    for key, value in sampler_kwargs.items():
        if key not in METHODS or not isinstance(value, dict):
            raise ValueError(
                f"--sampler-kwargs: keys must be methods ({', '.join(METHODS)}) with JSON objects as "
                f"values, got {key!r}: {value!r}"
            )
        if key not in args.methods:
            raise ValueError(
                f"--sampler-kwargs sets {key!r}, which --methods {','.join(args.methods)} does not run"
            )
    out = Path(args.out)
    check_writable(out, "--out", directory=True)
    config = {
        "ppo": {
            "size": 14,
            "num_envs": args.num_envs,
            "rollout_steps": args.rollout_steps,
            "max_episode_steps": args.rollout_steps,
            "total_steps": args.steps,
            "eval_every": args.eval_every,
        },
        "sampler_kwargs": sampler_kwargs,
        "curve_levels": args.curve_levels,
        "suite_levels": args.suite_levels,
        "episodes": args.episodes_per_level,
    }
    from daedalus_gym.curriculum.trainer import PPOSettings

    PPOSettings(**config["ppo"])  # bad settings are said now, not in a worker
    check_samplers(args.methods, sampler_kwargs, config["ppo"]["size"])
    tasks = [(m, s) for m in args.methods for s in args.seeds]
    t0 = time.perf_counter()
    runs = run_all(tasks, config, args.backend, args.workers, args.ray_address)
    wall = time.perf_counter() - t0
    summary = summarise(runs, args.methods)
    from daedalus_gym.commands.bench_control import machine

    host = machine()
    text = (
        "machine: "
        + ", ".join(f"{k} {v}" for k, v in host.items())
        + "\n\n"
        + markdown(summary, config, wall)
    )
    print(text, end="")
    out.mkdir(parents=True, exist_ok=True)
    (out / "curricula.md").write_text(text)
    report = {
        "machine": host,
        "config": config,
        "backend": args.backend,
        "wall_seconds": wall,
        "summary": summary,
        "runs": runs,
        "cpu_count": os.cpu_count(),
    }
    # Compact: every run's per-level success rates make an indented file needlessly long.
    (out / "curricula.json").write_text(json.dumps(report, separators=(",", ":")) + "\n")
    written = [out / "curricula.md", out / "curricula.json", *plot(runs, summary, out)]
    print(f"wrote {', '.join(map(str, written))}", file=sys.stderr)
    return 0

"""Measure difficulty control: how close served mazes come to a target, and what difficulty means.

    daedalus-gym bench-control --out docs/control --seed 0
    daedalus-gym bench-control --quick --out /tmp/control   # a smoke test in seconds

For every generator and size, the uncontrolled path lengths and dead-end fractions of the
calibration sample (`generators.control`) give targets: ``--inside`` evenly spaced from the 5th
to the 95th percentile, and ``--beyond`` more up to 30% below the 5th and above the 95th. At each
target ``--mazes`` mazes are served in one batch and the table reports:

- error: median ``|achieved - target| / target``;
- perfect: % of served mazes that are perfect;
- diversity: median nearest-neighbour Hamming distance (wall squares) among the served mazes,
  as a fraction of the same figure for as many uncontrolled mazes;
- mazes/s: served mazes per second of that batch, the fastest of ``--repeats`` runs of it (the
  same seeds, so the same work and the same mazes; calibration excluded: it runs once);
- candidates: wrapped-generator mazes (or walks) built per served maze, the search's cost on
  any machine; the summary gives the largest mean over the inside targets.

A target the generator cannot reach is rejected with the range it accepts, and counted. With
``--path-head`` the AE's and VAE's path-length targets (and difficulty bins) are steered by their
models' path heads (``path_head=True``).
Then, per difficulty bin, ``--episodes`` episodes of each agent (``--agents``; the oracle's mean
episode length is the shortest path) on the controlled env: success rate and SPL, with their
standard errors, and how each moves over the bins (`monotone`).

Writes ``control.md`` (tables), ``control.json`` and, with matplotlib, ``control_accuracy.png``
and ``control_difficulty.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from daedalus_gym.commands import (
    check_writable,
    comma_list,
    fill_quick_defaults,
    float_range,
    int_range,
    positive_int,
    quick_help,
    seed_int,
)

GENERATORS = ("backtracker", "kruskal", "prim", "wilson", "ae", "vae")
LEARNED = ("ae", "vae")
METRICS = ("path_length", "dead_ends")
ENV_IDS = {
    "backtracker": "Daedalus-Backtracker-v0",
    "kruskal": "Daedalus-Kruskal-v0",
    "prim": "Daedalus-Prim-v0",
    "wilson": "Daedalus-Wilson-v0",
    "ae": "Daedalus-AE-v0",
    "vae": "Daedalus-VAE-v0",
}
PLOT_HINT = 'plots need matplotlib: pip install "daedalus-gym[plot]"'


_csv = comma_list()
_sizes = comma_list(int_range(4, 64))

# Settings --quick makes small: dest -> (a full run's default, --quick's default). A flag given
# on the command line keeps its value either way.
DEFAULTS: dict[str, tuple[Any, Any]] = {
    "generators": (list(GENERATORS), ["kruskal"]),
    "sizes": ([14, 28], [8]),
    "mazes": (64, 8),
    "inside": (10, 3),
    "beyond": (5, 1),
    "bins": (5, 2),
    "episodes": (20, 2),
}


def _default(dest: str) -> str:
    return quick_help(DEFAULTS, dest)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # The --quick settings' defaults are filled in by `run`: unset here, so a given flag is known.
    unset = argparse.SUPPRESS
    parser.add_argument("--out", metavar="DIR", required=True, help="folder for the table, JSON and plots")
    parser.add_argument(
        "--generators", type=_csv, default=unset, help="comma-separated names" + _default("generators")
    )
    parser.add_argument(
        "--sizes", type=_sizes, default=unset, help="comma-separated cells a side (4-64)" + _default("sizes")
    )
    parser.add_argument(
        "--mazes", type=int_range(2, 4096), default=unset, help="mazes served per target" + _default("mazes")
    )
    parser.add_argument(
        "--inside",
        type=int_range(2, 50),
        default=unset,
        help="targets from 5th to 95th pct" + _default("inside"),
    )
    parser.add_argument(
        "--beyond", type=int_range(0, 20), default=unset, help="targets beyond each side" + _default("beyond")
    )
    parser.add_argument("--span", type=float_range(0.0, 0.9), default=0.3, help="how far beyond (fraction)")
    parser.add_argument(
        "--repeats", type=int_range(1, 20), default=3, help="timed runs of each batch; mazes/s is the fastest"
    )
    parser.add_argument(
        "--bins", type=int_range(2, 20), default=unset, help="difficulty bins" + _default("bins")
    )
    parser.add_argument(
        "--episodes",
        type=positive_int,
        default=unset,
        help="episodes per (agent, bin)" + _default("episodes"),
    )
    parser.add_argument(
        "--agents", type=_csv, default="wall-follower,oracle", help="agent specs (see 'bench'), e.g. ppo:FILE"
    )
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of every batch and episode")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: the small defaults above (kruskal 8x8, few targets and mazes); "
        "flags given explicitly keep their values",
    )
    parser.add_argument(
        "--path-head",
        action="store_true",
        help="steer the AE's and VAE's path-length targets with their models' path heads (path_head=True)",
    )


def targets(sample: np.ndarray, inside: int, beyond: int, span: float) -> list[tuple[float, str]]:
    """``(target, "inside" | "below" | "above")``: ``inside`` from the 5th to the 95th percentile of
    ``sample: float[N]``, ``beyond`` more on each side up to ``span`` beyond them."""
    p5, p95 = np.percentile(sample, [5, 95])
    out = [(float(t), "inside") for t in np.linspace(p5, p95, inside)]
    for k in range(1, beyond + 1):
        out.append((float(p5 * (1 - span * k / beyond)), "below"))
        out.append((float(p95 * (1 + span * k / beyond)), "above"))
    return out


def timed_search(gen: Any, mazes: int, seed: int, repeats: int) -> tuple[float, np.ndarray, np.ndarray]:
    """What ``gen.generate_walls(mazes, default_rng(seed))`` serves, searched ``repeats`` times
    over the same seeds (the same work, the same mazes): the fastest run's seconds, the walls
    ``bool[mazes, H, W]`` and the candidates built for each maze ``int64[mazes]``."""
    seeds = gen.seeds_from_noise(gen.draw_noise(mazes, np.random.default_rng(seed)))
    seconds = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        walls, _, built = gen.search_seeds(seeds)
        seconds = min(seconds, time.perf_counter() - t0)
    return seconds, walls, built


def nearest_hamming(walls: np.ndarray) -> float:
    """Median over ``walls: bool[N, H, W]`` of the Hamming distance to the nearest other grid."""
    x = walls.reshape(len(walls), -1).astype(np.float32)
    ones = x.sum(axis=1)
    dist = ones[:, None] + ones[None, :] - 2 * (x @ x.T)
    np.fill_diagonal(dist, np.inf)
    return float(np.median(dist.min(axis=1)))


def accuracy(name: str, size: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One row per (metric, target) of ``name`` at ``size``."""
    from generators import is_perfect, make_generator
    from generators.control import ControlledGenerator, calibrate, measure

    base = make_generator(name, size=size)
    cal = calibrate(base)
    rows = []
    served = []
    warm = False
    # Every batch is timed before any figure is computed: the diversity figure's matrix product
    # runs on BLAS threads, which stay busy for a while after it returns and would take the cores
    # from the next timed batch.
    for metric in METRICS:
        for target, where in targets(getattr(cal, metric), args.inside, args.beyond, args.span):
            row: dict[str, Any] = {"generator": name, "size": size, "metric": metric, "target": target}
            row["where"] = where
            try:
                head = args.path_head and metric == "path_length" and name in LEARNED
                gen = ControlledGenerator(base, target={metric: target}, path_head=head)
            except ValueError as err:
                rows.append({**row, "rejected": str(err)})
                continue
            if not warm:  # compile (or load) the search's kernels outside the timed batch
                gen.generate_walls(2, np.random.default_rng(args.seed + 1))
                warm = True
            seconds, walls, built = timed_search(gen, args.mazes, args.seed, args.repeats)
            row.update(
                mazes_per_s=args.mazes / seconds,
                candidates=float(built.mean()),
                candidates_max=int(built.max()),
            )
            rows.append(row)
            served.append((row, gen, walls))
    plain = nearest_hamming(np.asarray(base.generate_walls(args.mazes, np.random.default_rng(args.seed))))
    for row, gen, walls in served:
        got = measure(gen, walls)[row["metric"]].astype(np.float64)
        target = row["target"]
        row.update(
            error=float(np.median(np.abs(got - target) / target)),
            achieved=float(np.median(got)),
            perfect=float(is_perfect(walls).mean() * 100),
            diversity=nearest_hamming(walls) / plain if plain else float("nan"),
        )
    return rows


def difficulty_bins(name: str, size: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per difficulty bin centre and agent: success rate, SPL and mean episode length."""
    from daedalus_gym.benchmark import run_benchmark

    rows = []
    for b in range(args.bins):
        d = (b + 0.5) / args.bins
        # The ids are 14x14; another size keeps its own time limit (4 h w steps), not the id's.
        generator_kwargs: dict[str, Any] = {"size": size, "difficulty": d}
        if args.path_head and name in LEARNED:
            generator_kwargs["path_head"] = True
        kwargs = {"generator_kwargs": generator_kwargs, "max_episode_steps": 4 * size * size}
        records, episodes = run_benchmark(
            args.agents, [ENV_IDS[name]], args.episodes, args.seed, env_kwargs=kwargs
        )
        for r in records:
            mine = [e for e in episodes if e.agent == r.agent]
            rows.append(
                {
                    "generator": name,
                    "size": size,
                    "difficulty": d,
                    "agent": r.agent,
                    "success_rate": r.success_rate,
                    "spl": r.spl,
                    "mean_length": r.mean_length,
                    # Standard errors of the three means over the bin's episodes.
                    "success_rate_se": _standard_error([float(e.success) for e in mine]),
                    "spl_se": _standard_error([e.spl for e in mine]),
                    "mean_length_se": _standard_error([float(e.length) for e in mine]),
                }
            )
    return rows


_MEANS = ("success_rate", "spl", "mean_length")  # the bins' means, each with its standard error


def _standard_error(values: list[float]) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


def monotone(values: list[float], errors: list[float] | None = None) -> str:
    """How a mean moves over the bins, in order: ``"flat"``, ``"rising"``, ``"falling"`` or
    ``"not monotone"``. With ``errors`` (each mean's standard error), a step is noise when it is
    smaller than 1.96 standard errors of the difference, and a series that is not monotone is
    ``"rising, dips within noise"`` (or falling) when the last bin is above (below) the first
    beyond the noise and every step back is noise, ``"flat within noise"`` when every step and
    the whole change are noise, else ``"not monotone"``. A step (or change) of exactly zero is
    noise whatever its errors (a bin whose episodes all agree has a standard error of 0); a
    series holding a NaN is ``"not monotone"``."""
    if not np.isfinite(values).all():
        return "not monotone"
    diffs = np.diff(values)
    if (diffs == 0).all():
        return "flat"
    if (diffs >= 0).all():
        return "rising"
    if (diffs <= 0).all():
        return "falling"
    if errors is None:
        return "not monotone"
    steps_noise = (diffs == 0) | (np.abs(diffs) < 1.96 * np.hypot(errors[:-1], errors[1:]))
    change = values[-1] - values[0]
    if change == 0 or abs(change) < 1.96 * np.hypot(errors[0], errors[-1]):
        return "flat within noise" if steps_noise.all() else "not monotone"
    back = diffs * np.sign(change) < 0
    if steps_noise[back].all():
        return f"{'rising' if change > 0 else 'falling'}, dips within noise"
    return "not monotone"


def summary(acc: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (generator, size, metric): median error inside / beyond, worst perfect %, diversity,
    mazes/s and candidates per maze inside, and how many targets were rejected."""
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for row in acc:
        groups.setdefault((row["generator"], row["size"], row["metric"]), []).append(row)
    out = []
    for (name, size, metric), rows in groups.items():
        served = [r for r in rows if "rejected" not in r]
        inside = [r for r in served if r["where"] == "inside"]
        beyond = [r for r in served if r["where"] != "inside"]

        def med(rs: list[dict[str, Any]], key: str) -> float:
            return float(np.median([r[key] for r in rs])) if rs else float("nan")

        out.append(
            {
                "generator": name,
                "size": size,
                "metric": metric,
                "error_inside": med(inside, "error"),
                "error_beyond": med(beyond, "error"),
                "beyond_served": len(beyond),
                "rejected": len(rows) - len(served),
                "perfect_min": min((r["perfect"] for r in served), default=float("nan")),
                "diversity_min": min((r["diversity"] for r in served), default=float("nan")),
                "mazes_per_s_min_inside": min((r["mazes_per_s"] for r in inside), default=float("nan")),
                "candidates_max_inside": max((r["candidates"] for r in inside), default=float("nan")),
            }
        )
    return out


def markdown(summ: list[dict[str, Any]], bins: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.mazes} mazes per target, seed {args.seed}; {args.inside} targets from the 5th to the 95th "
        f"percentile, {args.beyond} beyond each side (up to {args.span:.0%}).",
        "",
        "| generator | size | metric | error inside | error beyond | beyond served / rejected "
        "| perfect % (min) | diversity (min) | mazes/s (min inside) | candidates (max inside) |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in summ:
        cells = [
            _fmt(s["error_inside"], "{:.1%}"),
            _fmt(s["error_beyond"], "{:.1%}"),
            f"{s['beyond_served']} / {s['rejected']}",
            _fmt(s["perfect_min"], "{:.0f}"),
            _fmt(s["diversity_min"], "{:.0%}"),
            _fmt(s["mazes_per_s_min_inside"], "{:,.0f}"),
            _fmt(s["candidates_max_inside"], "{:.1f}"),
        ]
        lines.append(
            f"| {s['generator']} | {s['size']}x{s['size']} | {s['metric']} | " + " | ".join(cells) + " |"
        )
    if bins:
        lines += [
            "",
            f"Per difficulty bin ({args.episodes} episodes each): the oracle's path length, "
            "each other agent's success rate / SPL and its mean episode length in steps. Trend: "
            "over the bins in order; a step smaller than 1.96 standard errors of the difference "
            "is noise.",
            "",
            "| generator | size | agent | " + " | ".join(f"d={d:.2f}" for d in _centres(args)) + " | trend |",
            "|---|---|---|" + "--:|" * (args.bins + 1),
        ]
        groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
        for r in bins:
            groups.setdefault((r["generator"], r["size"], r["agent"]), []).append(r)
        for (name, size, agent), rows in groups.items():
            row = functools.partial(_table_row, name, size)
            steps = [r["mean_length"] for r in rows]
            cells = [f"{v:.0f}" for v in steps]
            errors = {key: [r[f"{key}_se"] for r in rows] for key in _MEANS}
            if agent == "oracle":
                lines.append(row("oracle (path length)", cells, monotone(steps, errors["mean_length"])))
                continue
            success, spl = [r["success_rate"] for r in rows], [r["spl"] for r in rows]
            ratios = [f"{a:.0%} / {b:.2f}" for a, b in zip(success, spl, strict=True)]
            trend = f"success {monotone(success, errors['success_rate'])}, SPL {monotone(spl, errors['spl'])}"
            lines.append(row(f"{agent} (success / SPL)", ratios, trend))
            lines.append(row(f"{agent} (steps)", cells, monotone(steps, errors["mean_length"])))
    return "\n".join(lines) + "\n"


def _table_row(name: str, size: int, label: str, cells: list[str], trend: str) -> str:
    return f"| {name} | {size}x{size} | {label} | " + " | ".join(cells) + f" | {trend} |"


def _fmt(value: float, spec: str) -> str:
    return "-" if not np.isfinite(value) else spec.format(value)


def _centres(args: argparse.Namespace) -> list[float]:
    return [(b + 0.5) / args.bins for b in range(args.bins)]


def _agent_label(spec: str) -> str:
    """A short plot label for an agent spec: ``ppo:examples/models/ppo-kruskal-7x7.zip`` ->
    ``ppo: ppo-kruskal-7x7``."""
    kind, _, path = spec.partition(":")
    return f"{kind}: {Path(path).stem}" if path else spec


def plot(acc: list[dict[str, Any]], bins: list[dict[str, Any]], out: Path, sizes: list[int]) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(PLOT_HINT) from err
    written = []
    fig, axes = plt.subplots(len(METRICS), len(sizes), figsize=(5 * len(sizes), 8), squeeze=False)
    for i, metric in enumerate(METRICS):
        for j, size in enumerate(sizes):
            ax = axes[i][j]
            rows = [r for r in acc if r["metric"] == metric and r["size"] == size and "rejected" not in r]
            for name in dict.fromkeys(r["generator"] for r in rows):
                rs = sorted((r for r in rows if r["generator"] == name), key=lambda r: r["target"])
                ax.plot([r["target"] for r in rs], [r["achieved"] for r in rs], "o-", ms=3, label=name)
            if rows:
                lo, hi = min(r["target"] for r in rows), max(r["target"] for r in rows)
                ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="achieved = target")
            ax.set(title=f"{metric}, {size}x{size}", xlabel="target", ylabel="median achieved")
            ax.legend(fontsize=7)
    fig.tight_layout()
    written.append(out / "control_accuracy.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)
    if bins:
        agents = list(dict.fromkeys(r["agent"] for r in bins))
        fig, axes = plt.subplots(
            len(sizes), len(agents), figsize=(5 * len(agents), 4 * len(sizes)), squeeze=False
        )
        for i, size in enumerate(sizes):
            for j, agent in enumerate(agents):
                ax = axes[i][j]
                rows = [r for r in bins if r["size"] == size and r["agent"] == agent]
                key = "mean_length" if agent == "oracle" else "spl"
                for name in dict.fromkeys(r["generator"] for r in rows):
                    rs = [r for r in rows if r["generator"] == name]
                    ax.plot([r["difficulty"] for r in rs], [r[key] for r in rs], "o-", ms=3, label=name)
                label = _agent_label(agent)
                ylabel = "oracle path length" if agent == "oracle" else f"{label} SPL"
                ax.set(title=f"{label}, {size}x{size}", xlabel="difficulty", ylabel=ylabel)
                ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(out / "control_difficulty.png")
        fig.savefig(written[-1], dpi=100)
        plt.close(fig)
    return written


def run(args: argparse.Namespace) -> int:
    from daedalus_gym.agents import make_agent
    from generators import registered_generators

    fill_quick_defaults(args, DEFAULTS)
    unknown = [g for g in args.generators if g not in registered_generators() or g not in ENV_IDS]
    if unknown:
        raise ValueError(f"--generators: unknown {unknown}; accepted: {', '.join(GENERATORS)}")
    out = Path(args.out)
    check_writable(out, "--out", directory=True)
    for spec in args.agents:  # a bad spec or model file is said now, not after the accuracy runs
        make_agent(spec)
    acc, bins = [], []
    for size in args.sizes:
        for name in args.generators:
            t0 = time.perf_counter()
            acc += accuracy(name, size, args)
            bins += difficulty_bins(name, size, args)
            # Progress on stderr: a full run takes minutes, and stdout stays the table alone.
            print(f"{name} {size}x{size}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    summ = summary(acc)
    host = machine()
    text = "machine: " + ", ".join(f"{k} {v}" for k, v in host.items()) + "\n\n" + markdown(summ, bins, args)
    print(text, end="")
    out.mkdir(parents=True, exist_ok=True)
    (out / "control.md").write_text(text)
    report = {"machine": host, "settings": _settings(args), "summary": summ, "targets": acc, "bins": bins}
    (out / "control.json").write_text(json.dumps(report, indent=1) + "\n")
    written = [out / "control.md", out / "control.json", *plot(acc, bins, out, args.sizes)]
    print(f"wrote {', '.join(map(str, written))}", file=sys.stderr)
    return 0


def machine() -> dict[str, Any]:
    """The machine the figures come from: the repository's `benchmarks.speed.measure.machine`, or
    where the package runs without the repository beside it, what `platform` says."""
    try:
        from benchmarks.speed.measure import machine as describe
    except ImportError:
        import os
        import platform

        return {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
        }
    return describe()


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("generators", "sizes", "mazes", "repeats", "inside", "beyond", "span", "bins", "episodes")
    keys += ("agents", "seed", "path_head")
    return {k: getattr(args, k) for k in keys}

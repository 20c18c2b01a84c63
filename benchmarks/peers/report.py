"""The peers tables (markdown), their raw numbers (JSON) and the plot (PNG)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.peers.ppo import RUNS
from benchmarks.peers.suites import OURS, SUITES

JAX_SUITES = ("navix", "xland_minigrid", "jumanji_maze")
VECTOR_KINDS = {"ours_grid": "grid", "ours_egocentric": "egocentric", "ours_grid_inplace": "grid copy=False"}


def _rate(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:,.2f} M"
    return f"{value / 1e3:,.1f} k"


def _ratio(ours: float | None, peer: float | None) -> str:
    if not ours or not peer:
        return "-"
    return f"{ours / peer:,.2f}x" if ours < peer else f"{ours / peer:,.1f}x"


def _steps(results: dict[str, Any], name: str, n: int) -> float | None:
    entry = results["suites"].get(name, {}).get("runs", {}).get(str(n))
    return None if entry is None else entry.get("steps_per_s")


def _peers(results: dict[str, Any]) -> list[str]:
    return [name for name in SUITES if name not in OURS and name in results["suites"]]


def throughput_table(results: dict[str, Any]) -> str:
    names = [name for name in SUITES if name in results["suites"]]
    lines = [
        "| num_envs | " + " | ".join(SUITES[name][0] for name in names) + " |",
        "|---:|" + "---:|" * len(names),
    ]
    for n in results["num_envs"]:
        cells = [_rate(_steps(results, name, n)) for name in names]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def ratio_table(results: dict[str, Any]) -> str:
    """Ours / peer, each cell ``grid / egocentric / grid in place``; at one env the single env
    gets its own row."""
    peers = _peers(results)
    lines = [
        "| num_envs | Daedalus-Gym | " + " | ".join(f"vs {SUITES[p][0]}" for p in peers) + " |",
        "|---:|---|" + "---:|" * len(peers),
    ]
    ours = [name for name in VECTOR_KINDS if name in results["suites"]]
    for n in results["num_envs"]:
        cells = [
            " / ".join(_ratio(_steps(results, o, n), _steps(results, p, n)) for o in ours) for p in peers
        ]
        kinds = " / ".join(VECTOR_KINDS[o] for o in ours)
        lines.append(f"| {n:,} | vector, {kinds} | " + " | ".join(cells) + " |")
        single = _steps(results, "ours_single", n)
        if single:
            cells = [_ratio(single, _steps(results, p, n)) for p in peers]
            lines.append(f"| {n:,} | single env (gym.make) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def compile_table(results: dict[str, Any]) -> str:
    names = [name for name in JAX_SUITES if name in results["suites"]]
    if not any(results["suites"][name].get("runs") for name in names):
        return ""
    lines = [
        "| num_envs | " + " | ".join(f"{SUITES[name][0]}: compile s (steps a call)" for name in names) + " |",
        "|---:|" + "---:|" * len(names),
    ]
    for n in results["num_envs"]:
        cells = []
        for name in names:
            entry = results["suites"][name].get("runs", {}).get(str(n))
            cells.append("-" if entry is None else f"{entry['compile_s']:.1f} ({entry['scan_steps']})")
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def ppo_table(results: dict[str, Any]) -> str:
    ppo = results.get("ppo")
    if not ppo:
        return ""
    peer = ppo.get("sb3_minigrid", {}).get("steps_per_s")
    lines = ["| PPO run | env-steps/s | vs SB3 on MiniGrid |", "|---|---:|---:|"]
    for name, (label, _) in RUNS.items():
        entry = ppo.get(name)
        if entry is None:
            continue
        if "skipped" in entry:
            lines.append(f"| {label} | skipped: {entry['skipped']} | |")
            continue
        lines.append(f"| {label} | {entry['steps_per_s']:,.0f} | {_ratio(entry['steps_per_s'], peer)} |")
    return "\n".join(lines) + "\n"


def skipped(results: dict[str, Any]) -> str:
    lines = [
        f"- {SUITES[name][0]}: {s['skipped']}" for name, s in results["suites"].items() if "skipped" in s
    ]
    return ("Skipped:\n" + "\n".join(lines) + "\n") if lines else ""


def footer(results: dict[str, Any]) -> str:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v)
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; Python {m['python']}; "
        f"load average {m['load_average_1m_at_start']} at start; {m['date']}. {versions}. "
        f"Each figure is the best of 3 windows over {results['seconds']:g} s; XLA and torch on one thread.\n"
    )


def markdown(results: dict[str, Any]) -> str:
    parts = [
        "### Env-steps/s, random actions, autoreset\n\n" + throughput_table(results),
        "### Daedalus-Gym / peer, same run\n\n" + ratio_table(results),
    ]
    compile_part = compile_table(results)
    if compile_part:
        parts.append("### JAX compile time, timed apart\n\n" + compile_part)
    ppo_part = ppo_table(results)
    if ppo_part:
        parts.append("### PPO training throughput\n\n" + ppo_part)
    extra = skipped(results)
    if extra:
        parts.append(extra)
    parts.append(footer(results))
    return "\n".join(parts)


def plot(results: dict[str, Any], path: Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError('the plot needs matplotlib: pip install -e ".[peers]"') from err
    fig, ax = plt.subplots(figsize=(11, 5.5))
    styles = {"ours_grid": "o-", "ours_egocentric": "s-", "ours_grid_inplace": "^-", "ours_single": "*"}
    for name in SUITES:
        runs = results["suites"].get(name, {}).get("runs")
        if not runs:
            continue
        ns = sorted(int(n) for n in runs)
        ys = [runs[str(n)]["steps_per_s"] for n in ns]
        ours = name in OURS
        ax.plot(
            ns,
            ys,
            styles.get(name, "x--"),
            label=SUITES[name][0],
            linewidth=2.0 if ours else 1.2,
            markersize=12 if name == "ours_single" else 5,
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(results["num_envs"], [f"{n:,}" for n in results["num_envs"]])
    ax.set_yscale("log")
    ax.set_xlabel("num_envs")
    ax.set_ylabel("env-steps/s (random actions, autoreset)")
    ax.set_title("Against the JAX, PufferLib and MiniGrid suites (one run, one machine)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(results: dict[str, Any], out: str | Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"md": out / "peers.md", "json": out / "peers.json"}
    paths["md"].write_text(markdown(results))
    paths["json"].write_text(json.dumps(results, indent=1) + "\n")
    paths["png"] = plot(results, out / "peers.png")
    return paths

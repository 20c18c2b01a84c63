"""The speed table (markdown), its raw numbers (JSON) and its plots (PNG).

matplotlib is imported only to draw, with an install hint when it is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from benchmarks.speed.peers import INSTALL_HINT

COLUMNS = ("Measure", "Daedalus-Gym", "Peer", "vs peer")


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _ratio(ours: float | None, peer: float | None) -> str:
    return f"{ours / peer:,.1f}x" if ours and peer else ""


def _short(message: str) -> str:
    """An error message without the machine's working directory in its paths."""
    return message.replace(str(Path.cwd()) + os.sep, "")


def _row(measure: str, ours: str, peer: str = "", ratio: str = "") -> tuple[str, ...]:
    return (measure, ours, peer, ratio)


def rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    """The table's rows, in the order of `COLUMNS`."""
    out: list[tuple[str, ...]] = []
    single = results["single_env"]
    peer_steps = single.get("peer_steps_per_s")
    peer_name = f"{_n(peer_steps)} (MiniGrid-Empty-16x16)" if peer_steps else single.get("peer_error", "")
    for mode, steps in single["steps_per_s"].items():
        label = f"Single env steps/s, `{single['id']}` {mode}, gym.make"
        out.append(_row(label, _n(steps), peer_name, _ratio(steps, peer_steps)))
    peer_resets = single.get("peer_resets_per_s")
    out.append(
        _row(
            "Single env resets/s (generation + networkx check)",
            f"{_n(single['resets_per_s'])} ({single['reset_ms']:.2f} ms each)",
            _n(peer_resets) + (" (MiniGrid)" if peer_resets else ""),
            _ratio(single["resets_per_s"], peer_resets),
        )
    )

    vector = results["vector"]
    sync = vector["sync_steps_per_s"]
    for row in vector["rows"]:
        mode, n, copy = row["obs_mode"], row["num_envs"], row["copy"]
        envs = f"{n:,} env" + ("s" if n != 1 else "")
        label = f"Vector env steps/s, {mode}, {envs}" + ("" if copy else ", copy=False (in-place buffer)")
        peer = f"{_n(sync[mode])} (SyncVectorEnv, {vector['sync_envs']} envs)"
        out.append(_row(label, _n(row["steps_per_s"]), peer, _ratio(row["steps_per_s"], sync[mode])))

    for g in results["generation"]:
        name = g["name"]
        if "error" in g:
            out.append(_row(f"{name}: mazes/s", "not measured: " + _short(g["error"])))
            continue
        peer = f"{_n(g['peer_per_s'])} ({g['peer']})" if g.get("peer_per_s") else g.get("peer_error", "")
        label = f"{name}: mazes/s, batched walls ({g['batch']:,} a batch)"
        out.append(_row(label, _n(g["walls_per_s"]), peer, _ratio(g["walls_per_s"], g.get("peer_per_s"))))
        out.append(
            _row(
                f"{name}: `Maze` objects/s (generate_batch) / one at a time (generate)",
                f"{_n(g['mazes_per_s'])} / {_n(g['one_at_a_time_per_s'])}",
            )
        )
    v = results["vae"]
    if v.get("walls_per_s"):
        precision = v["config"].get("precision")
        label = f"VAE decode + perfect repair, mazes/s (precision='{precision}')"
        out.append(_row(label, _n(v["walls_per_s"])))
        for other in ("float32", "float64"):
            if other != precision and v.get(f"{other}_walls_per_s"):
                label = f"VAE decode + perfect repair, precision='{other}'"
                out.append(_row(label, _n(v[f"{other}_walls_per_s"])))
    else:
        why = _short(v.get("error", "the vae generator is not registered"))
        out.append(_row("VAE decode + perfect repair, mazes/s", f"not measured: {why}"))

    for m in results["memory"]:
        envs = f", {m['num_envs']:,} envs" if m["num_envs"] > 1 else ""
        out.append(_row(f"Memory per env, {m['what']}{envs}", f"{m['bytes_per_env'] / 1024:,.1f} KiB"))

    sc = results["scaling"]
    first, last = sc["sizes"][0], sc["sizes"][-1]
    for name, seconds in [*sc["generators"].items(), ("bfs check", sc["check"])]:
        b = sc["exponents"][name]
        per_cell = [s / c * 1e9 for s, c in zip(seconds, sc["cells"], strict=True)]
        out.append(
            _row(
                f"Cost vs size, {name}: per maze {first}x{first} -> {last}x{last} cells",
                f"{seconds[0] * 1e6:,.1f} us -> {seconds[-1] * 1e3:,.2f} ms; cells^{b:.2f}; "
                f"{per_cell[0]:.0f} -> {per_cell[-1]:.0f} ns/cell",
            )
        )
    return out


def table(results: dict[str, Any]) -> str:
    """The whole run as one markdown table, with the machine underneath."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows(results)]
    m = results["machine"]
    mode = "quick (smoke-test sizes)" if results["settings"]["quick"] else "full"
    lines += [
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; "
        f"Python {m['python']}, numpy {m['numpy']}, gymnasium {m['gymnasium']}; "
        f"load average {m['load_average_1m_at_start']} at start; {m['date']}; {mode} run. "
        f"Throughputs are the best of {results['settings']['repeats']} repeats where a run is short.",
    ]
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write ``speed.md``, ``speed.json``, ``scaling.png`` and ``vector.png`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "speed.md", "json": out / "speed.json"}
    paths["markdown"].write_text(table(results))
    paths["json"].write_text(json.dumps(results, indent=2, default=str) + "\n")
    plt = _pyplot()
    paths["scaling"] = plot_scaling(results, out / "scaling.png", plt)
    paths["vector"] = plot_vector(results, out / "vector.png", plt)
    return paths


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(f"plots need matplotlib: {INSTALL_HINT}") from err
    return plt


def plot_scaling(results: dict[str, Any], path: Path, plt: Any) -> Path:
    sc = results["scaling"]
    cells = sc["cells"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, seconds in [*sc["generators"].items(), ("bfs check", sc["check"])]:
        style = "--" if name == "bfs check" else "-"
        label = f"{name} (cells^{sc['exponents'][name]:.2f})"
        left.loglog(cells, seconds, style, marker="o", label=label)
        right.semilogx(
            cells, [s / c * 1e9 for s, c in zip(seconds, cells, strict=True)], style, marker="o", label=name
        )
    ref = sc["generators"].get("backtracker", sc["check"])
    left.loglog(cells, [ref[0] * c / cells[0] for c in cells], ":", color="grey", label="linear in cells")
    left.set(
        xlabel="cells per maze", ylabel="seconds per maze (batched)", title="Generation cost vs maze size"
    )
    right.set(xlabel="cells per maze", ylabel="ns per cell", title="Cost per cell (flat = linear)")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    sizes = sc["sizes"]
    fig.suptitle(
        f"{sizes[0]}x{sizes[0]} to {sizes[-1]}x{sizes[-1]} cells; {results['machine']['cpu']}", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_vector(results: dict[str, Any], path: Path, plt: Any) -> Path:
    vector = results["vector"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for mode in ("image", "grid", "egocentric", "rgb"):
        pts = [
            (r["num_envs"], r["steps_per_s"]) for r in vector["rows"] if r["obs_mode"] == mode and r["copy"]
        ]
        if pts:
            line = ax.loglog(*zip(*pts, strict=True), marker="o", label=f"MazeVectorEnv, {mode}")[0]
            ax.axhline(
                vector["sync_steps_per_s"][mode],
                ls=":",
                color=line.get_color(),
                label=f"SyncVectorEnv, {mode}",
            )
    single = results["single_env"]
    if single.get("peer_steps_per_s"):
        ax.axhline(
            single["peer_steps_per_s"], ls="--", color="black", label="MiniGrid-Empty-16x16 (single env)"
        )
    ax.set(
        xlabel="num_envs", ylabel="env-steps per second", title="Native vector env throughput, 14x14 cells"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""Benchmark agents on environments: a table, and optionally JSON, CSV, a plot and GIFs.

    daedalus-gym bench --agents random,wall-follower,oracle --envs all --episodes 100 --seed 0 \\
        --json results.json --csv results.csv --plot results.png

Agents: ``random``, ``wall-follower`` (right-hand rule), ``left-wall-follower``, ``oracle``
(shortest path), and a stable-baselines3 model file as ``ppo:FILE``, ``a2c:FILE`` or
``dqn:FILE`` (``ppo-sample:FILE`` samples its actions). A model from ``daedalus-gym
train-agent`` loads without unpickling anything; any other SB3 zip needs ``--trust-pickle``
(and, if it was trained on another observation, ``--env-kwargs '{"obs_mode": "egocentric"}'``).
``--env-kwargs`` also serves your own generator model:
``--env-kwargs '{"generator_kwargs": {"model": "runs/vae/vae.safetensors"}}'``.

Each episode's maze and agent seeds are a pure function of
(--seed, env id, episode index), so every backend and worker count prints the same numbers
(throughput aside) and writes the same JSON. With ``--train-levels START:NUM`` episodes skip every
maze that those training levels serve (by seed and by maze hash): a held-out evaluation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from daedalus_gym.commands import check_writable, comma_list, json_object, positive_int, seed_int

_csv = comma_list()
# GIFs per (agent, env) with --record when --record-episodes is not given: run_benchmark's default
# (daedalus_gym.benchmark.RECORD_EPISODES), for the help text without importing the runner.
RECORD_EPISODES = 1


def check_plot_path(path: str) -> None:
    """Fail now, not after the run, if matplotlib cannot write ``path``'s format (its suffix)."""
    from daedalus_gym.benchmark import PLOT_HINT

    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as err:
        raise ImportError(f"--plot needs matplotlib: {PLOT_HINT}") from err
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    if Path(path).suffix.lower().removeprefix(".") not in formats:
        raise ValueError(
            f"--plot must end in a format matplotlib writes ({', '.join('.' + f for f in formats)}), "
            f"got {Path(path).name!r}"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agents",
        type=_csv,
        default="random,wall-follower,oracle",
        help="comma-separated agent specs",
    )
    parser.add_argument(
        "--envs", type=_csv, required=True, help="comma-separated env ids, or 'all' (every Daedalus id)"
    )
    parser.add_argument(
        "--env-kwargs",
        type=json_object,
        default={},
        metavar="JSON",
        help='gym.make keywords for every env, e.g. \'{"generator_kwargs": {"model": "my.safetensors"}}\'',
    )
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="load SB3 zips not written by 'daedalus-gym train-agent': their spaces and classes are "
        "pickled, and unpickling can run any code in the file; only for files you trust",
    )
    parser.add_argument("--episodes", type=positive_int, default=100, help="episodes per (agent, env)")
    parser.add_argument("--seed", type=seed_int, default=0, help="base seed of the episode seeds")
    parser.add_argument("--json", metavar="FILE", help="write the records as JSON")
    parser.add_argument("--csv", metavar="FILE", help="write the records as CSV (with steps/s)")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="write a plot of success (95%% CI) and SPL; the suffix is the format (.png, .pdf, .svg...)",
    )
    parser.add_argument("--markdown", metavar="FILE", help="write the printed table (and matrix) as Markdown")
    parser.add_argument(
        "--matrix",
        type=_csv,
        metavar="METRIC[,METRIC]",
        help="also print an env x agent matrix, e.g. success_rate,spl",
    )
    parser.add_argument(
        "--workers", type=positive_int, default=1, help="local processes, or CPUs of a local Ray instance"
    )
    parser.add_argument("--backend", choices=("local", "ray"), default="local", help="where episodes run")
    parser.add_argument(
        "--ray-address", default=None, help="Ray cluster address (--backend ray); none: start a local Ray"
    )
    parser.add_argument("--record", metavar="DIR", help="save GIFs of episodes (rendered via rgb_array) here")
    parser.add_argument(
        "--record-episodes",
        type=positive_int,
        default=None,
        help=f"GIFs per (agent, env), with --record (default: {RECORD_EPISODES})",
    )
    parser.add_argument(
        "--train-levels", metavar="START:NUM", help="hold out the mazes these training levels serve"
    )
    parser.add_argument(
        "--train-env", metavar="ID", help="env the training levels belong to; none: each evaluated env"
    )


def run(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import daedalus_gym
    from daedalus_gym.agents import make_agent
    from daedalus_gym.benchmark import (
        METRICS,
        format_matrix,
        format_table,
        plot_records,
        run_benchmark,
        write_csv,
        write_json,
    )
    from daedalus_gym.splits import HeldOut, LevelRange

    known = daedalus_gym.registered_ids()
    # "all": every Daedalus id in registration-table order (generator by generator).
    envs = [env_id for env_id in gym.registry if env_id in known] if args.envs == ["all"] else args.envs
    unknown = [
        env_id for env_id in [*envs, *([args.train_env] if args.train_env else [])] if env_id not in known
    ]
    if unknown:
        raise ValueError(f"--envs/--train-env: unknown ids {unknown}; registered: {', '.join(known)}")
    bad = [metric for metric in args.matrix or [] if metric not in METRICS]
    if bad:
        raise ValueError(f"--matrix metrics must be among {', '.join(METRICS)}, got {bad}")
    if args.train_env and not args.train_levels:
        raise ValueError("--train-env needs --train-levels START:NUM")
    if args.record_episodes is not None and not args.record:
        raise ValueError(f"--record-episodes {args.record_episodes} needs --record DIR, where the GIFs go")
    if args.ray_address is not None and args.backend != "ray":
        raise ValueError(
            f"--ray-address {args.ray_address} needs --backend ray, got --backend {args.backend}"
        )
    for flag in ("json", "csv", "plot", "markdown"):
        check_writable(getattr(args, flag), f"--{flag}")
    if args.plot:
        check_plot_path(args.plot)
    check_writable(args.record, "--record", directory=True)
    for spec in args.agents:  # a bad spec or model file is said now, not from a worker later
        make_agent(spec, trust_pickle=args.trust_pickle)
    held_out = None
    if args.train_levels:
        levels = LevelRange.parse(args.train_levels)
        if args.train_env:
            shared = HeldOut.of(args.train_env, levels)
            held_out = dict.fromkeys(envs, shared)
        else:
            held_out = {env_id: HeldOut.of(env_id, levels) for env_id in envs}

    records, _ = run_benchmark(
        args.agents,
        envs,
        args.episodes,
        args.seed,
        backend=args.backend,
        workers=args.workers,
        ray_address=args.ray_address,
        held_out=held_out,
        record_dir=args.record,
        record_episodes=args.record_episodes,
        env_kwargs=args.env_kwargs,
        trust_pickle=args.trust_pickle,
    )
    tables = [format_table(records)]
    if args.matrix:
        tables.append(format_matrix(records, args.matrix))
    if args.env_kwargs:  # the ids alone do not say which mazes were played
        import json

        tables.insert(0, f"env kwargs: {json.dumps(args.env_kwargs)}")
    print("\n\n".join(tables))
    if args.markdown:
        Path(args.markdown).write_text("\n\n".join(tables) + "\n")
    if args.json:
        write_json(records, args.json)
    if args.csv:
        write_csv(records, args.csv)
    if args.plot:
        title = f"{args.episodes} episodes per bar, seed {args.seed}"
        plot_records(records, args.plot, title=title)
    written = [path for path in (args.json, args.csv, args.plot, args.markdown, args.record) if path]
    if written:
        print(f"wrote {', '.join(written)}")
    return 0

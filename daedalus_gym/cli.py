"""The ``daedalus-gym`` console command: one subcommand per module in `daedalus_gym.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import gymnasium as gym

# name -> (module, one-line help). Add a subcommand by adding a module and a row here.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "daedalus_gym.commands.demo",
        "generate from every generator, play an episode on each, draw them",
    ),
    "generate": ("daedalus_gym.commands.generate", "write mazes to .png (montage), .npz or .txt"),
    "play": ("daedalus_gym.commands.play", "play an env with the arrow keys (R: new maze, Esc: quit)"),
    "train": ("daedalus_gym.commands.train", "train a maze AE or VAE: weights + model card"),
    "evaluate": (
        "daedalus_gym.commands.evaluate",
        "evaluate a generator on prior samples: JSON + pictures",
    ),
    "bench": ("daedalus_gym.commands.bench", "benchmark agents on envs: table, JSON, CSV, plot, GIFs"),
    "bench-speed": ("daedalus_gym.commands.bench_speed", "speed of envs, vector envs, generators vs peers"),
    "train-agent": (
        "daedalus_gym.commands.train_agent",
        "train a PPO agent on training levels, evaluate held out",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="daedalus-gym", description="Generated mazes as Gymnasium environments."
    )
    from daedalus_gym import __version__

    parser.add_argument("--version", action="version", version=f"daedalus-gym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(
            name,
            help=help_text,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (ValueError, FileNotFoundError, gym.error.Error) as err:
        # Bad input: a clear message, not a traceback.
        print(f"daedalus-gym {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

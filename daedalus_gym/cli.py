"""The ``daedalus-gym`` console command: one subcommand per module in `daedalus_gym.commands`.

Bad input is one line on stderr and exit code 2 (argparse's convention); ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import pickle
import sys
from collections.abc import Sequence

# name -> (module, one-line help). Add a subcommand by adding a module and a row here.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "daedalus_gym.commands.demo",
        "generate from every generator, play an episode on each, draw them",
    ),
    "generate": ("daedalus_gym.commands.generate", "write mazes to .png (montage), .npz or .txt"),
    "play": ("daedalus_gym.commands.play", "play an env with the arrow keys (R: new maze, Esc: quit)"),
    "train": ("daedalus_gym.commands.train", "train a maze AE or VAE: weights + model card"),
    "train-path-head": (
        "daedalus_gym.commands.train_path_head",
        "train the path head that steers a dfs AE/VAE to a path length",
    ),
    "evaluate": (
        "daedalus_gym.commands.evaluate",
        "evaluate a generator on prior samples: JSON + pictures",
    ),
    "bench": ("daedalus_gym.commands.bench", "benchmark agents on envs: table, JSON, CSV, plot, GIFs"),
    "train-agent": (
        "daedalus_gym.commands.train_agent",
        "train a PPO agent on training levels, evaluate held out",
    ),
    "bench-control": (
        "daedalus_gym.commands.bench_control",
        "measure difficulty control: accuracy, diversity, speed, agents per difficulty",
    ),
    "dataset": ("daedalus_gym.commands.dataset", "record an agent's episodes as a Minari dataset"),
    "curriculum-bench": (
        "daedalus_gym.commands.curriculum_bench",
        "train PPO under each curriculum, compare them zero-shot on held-out mazes",
    ),
}

# Errors a user's input can cause: reported in one line, not as a traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    OSError,  # FileNotFoundError, PermissionError, IsADirectoryError...
    ImportError,  # an optional dependency is missing: the message carries the install hint
    pickle.UnpicklingError,
    RuntimeError,
    MemoryError,  # e.g. --n too large for this machine
)


DEBUG_HELP = "show the full traceback of an error instead of one line"


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Module docstrings keep their layout; every option with a default shows it (an unset
    optional one says in its help what happens without it)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the message and where to look, not the whole usage."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="daedalus-gym",
        description="Generated mazes as Gymnasium environments.",
        formatter_class=HelpFormatter,
    )
    from daedalus_gym import __version__

    parser.add_argument("--version", action="version", version=f"daedalus-gym {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(
            name, help=help_text, description=module.__doc__, formatter_class=HelpFormatter
        )
        module.add_arguments(command)
        # Also after the command (``daedalus-gym generate ... --debug``); SUPPRESS keeps a
        # ``--debug`` given before the command from being reset to False here.
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        command.set_defaults(_run=module.run)
    return parser


def _one_line(err: BaseException) -> str:
    if isinstance(err, MemoryError):
        return f"out of memory ({' '.join(str(err).split()) or 'MemoryError'}): ask for less"
    text = " ".join(str(err).split())
    return text if text else type(err).__name__


def main(argv: Sequence[str] | None = None) -> int:
    import gymnasium as gym

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a bad argument (already reported)
        return done.code if isinstance(done.code, int) else 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (*EXPECTED_ERRORS, gym.error.Error) as err:
        if args.debug:
            raise
        # Bad input: a clear message, not a traceback.
        print(f"daedalus-gym {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

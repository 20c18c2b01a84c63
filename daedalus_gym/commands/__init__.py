"""Subcommands of the ``daedalus-gym`` console command.

Each module exposes ``add_arguments(parser)`` and ``run(args) -> int`` and keeps heavy imports
inside ``run`` so that ``daedalus-gym --help`` stays fast.
"""

"""``python -m daedalus_gym.speed [--quick] [--out DIR]``: the same as ``daedalus-gym bench-speed``."""

import sys

from daedalus_gym.cli import main

sys.exit(main(["bench-speed", *sys.argv[1:]]))

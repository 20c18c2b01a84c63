"""How we measure Daedalus-Gym: benchmarks that live beside the package, not inside it.

Run from a checkout of the repository (they are not installed with the package)::

    python -m benchmarks.speed [--quick] [--out DIR]
"""

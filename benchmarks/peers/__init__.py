"""Daedalus-Gym beside the suites researchers compare it with: one run, one machine, random actions.

From the repository root, with the ``peers`` extra (PufferLib's grid binding is built apart,
see docs/performance.md)::

    python -m benchmarks.peers [--quick] [--out DIR]

Modules: `suites` (one function per suite, env-steps/s at a given num_envs), `ppo` (PPO
training throughput: SB3 on our vector env and on MiniGrid, the package's CleanRL-style PPO),
`report` (tables, JSON, plot), ``__main__`` (the command).
"""

"""Daedalus-Gym: generated mazes as Gymnasium environments."""

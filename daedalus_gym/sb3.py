"""Stable-Baselines3 features extractor for the default ``"image"`` observation: `MazeCNN`.

The ``"image"`` observation is a ``uint8`` image, channels last, with channels ``[wall, agent,
goal]`` at 0 or 255, each square of the maze a ``t x t`` block of pixels (``t`` chosen so that
both sides are at least 36 pixels, the smallest image SB3's CNN policies take). SB3's
``CnnPolicy`` accepts it as is, but its default extractor (NatureCNN: an 8x8 stride-4 first
layer) blurs squares into each other. `MazeCNN` is a small CNN in the style of MiniGrid's
documented extractor: a first convolution with a ``t x t`` kernel and stride ``t`` reads each
square exactly once, then two 3x3 convolutions and a linear layer::

    import daedalus_gym
    from daedalus_gym.sb3 import MazeCNN
    from stable_baselines3 import PPO

    model = PPO("CnnPolicy", "Daedalus-Backtracker-7x7-v0",
                policy_kwargs={"features_extractor_class": MazeCNN})

SB3 scales the image to ``[0, 1]`` (``normalize_images=True``, its default) and hands the
extractor channels first. The square size ``t`` is read back from the image's sides (see
`square_tile`); an image drawn with another ``obs_tile_size`` passes it as
``features_extractor_kwargs={"tile": t}``.

Needs ``torch`` and ``stable-baselines3`` (``pip install "daedalus-gym[rl]"``); importing this
module without them raises ``ImportError`` with that hint.
"""

from __future__ import annotations

from gymnasium import spaces

from daedalus_gym.core import check_int, image_tile

RL_HINT = 'daedalus_gym.sb3 needs torch and stable-baselines3: pip install "daedalus-gym[rl]"'

try:
    import torch
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
    from torch import nn
except ImportError as err:  # pragma: no cover - the rl extra is installed in the test env
    raise ImportError(RL_HINT) from err


def square_tile(height: int, width: int) -> int | None:
    """The ``t`` of an ``"image"`` observation of ``height x width`` pixels drawn with the env's
    default tile (`daedalus_gym.core.image_tile`), or ``None`` if no grid gives that image.

    A grid of ``H x W`` squares (odd sides) drawn ``t`` pixels a square is ``H t x W t``; of the
    tiles that fit, the largest one is taken (the 45 x 45 image of a 7x7-cell maze is 15 x 15
    squares of 3 pixels, not 45 x 45 squares of 1).
    """
    for t in range(min(height, width), 0, -1):
        if height % t or width % t:
            continue
        rows, cols = height // t, width // t
        if rows % 2 and cols % 2 and image_tile((rows, cols)) == t:
            return t
    return None


class MazeCNN(BaseFeaturesExtractor):
    """Square-aligned CNN features for an ``"image"`` observation.

    ``observation_space``: ``Box(0, 255, (3, H t, W t), uint8)`` as SB3 hands it (channels
    first); ``features_dim``: size of the output vector; ``tile``: pixels per square, read from
    the image's sides when ``None``. Layers: ``Conv(t x t, stride t) -> 16``, ``Conv(3x3) -> 32``,
    ``Conv(3x3, stride 2) -> 32`` (ReLU after each), flatten, ``Linear -> features_dim``, ReLU.
    """

    def __init__(
        self, observation_space: spaces.Box, features_dim: int = 128, tile: int | None = None
    ) -> None:
        if not isinstance(observation_space, spaces.Box) or len(observation_space.shape) != 3:
            raise ValueError(f"MazeCNN needs an image observation space (3-D Box), got {observation_space}")
        channels, height, width = observation_space.shape
        if tile is None:
            tile = square_tile(height, width)
            if tile is None:
                raise ValueError(
                    f"MazeCNN cannot read the square size from a {height}x{width} image; pass it as "
                    "policy_kwargs={'features_extractor_kwargs': {'tile': t}} (the env's obs_tile_size)"
                )
        tile = check_int(tile, "tile")
        if height % tile or width % tile:
            raise ValueError(f"tile must divide the image's sides {height}x{width}, got {tile}")
        check_int(features_dim, "features_dim")
        super().__init__(observation_space, features_dim)
        self.tile = tile
        self.cnn = nn.Sequential(
            nn.Conv2d(channels, 16, kernel_size=tile, stride=tile),
            nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flat = self.cnn(torch.zeros(1, channels, height, width)).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flat, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.linear(self.cnn(observations))

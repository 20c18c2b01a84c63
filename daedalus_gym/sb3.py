"""Stable-Baselines3 features extractor for the default ``"image"`` observation: `MazeCNN`.

The ``"image"`` observation is a ``uint8`` image, channels last, with channels ``[wall, agent,
goal]`` at 0 or 255, each square of the maze a ``t x t`` block of pixels (``t`` chosen so that
both sides are at least 36 pixels, the smallest image SB3's CNN policies take). SB3's
``CnnPolicy`` accepts it as is, but its default extractor (NatureCNN: an 8x8 stride-4 first
layer) blurs squares into each other. `MazeCNN` is a small CNN in the style of MiniGrid's
documented extractor: a first convolution with a ``t x t`` kernel and stride ``t`` reads each
square exactly once, three 3x3 convolutions follow, and their output is read where the agent
stands::

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

    A grid of ``H x W`` squares (odd sides, a maze's: at least 3 and, as its start and goal
    differ, not 3 x 3) drawn ``t`` pixels a square is ``H t x W t``; of the tiles that fit, the
    largest one is taken (the 45 x 45 image of a 7x7-cell maze is 15 x 15 squares of 3 pixels,
    not 45 x 45 squares of 1, which a 22x22-cell maze draws: pass its tile to `MazeCNN`).

    Raises:
        ValueError: ``height`` or ``width`` is not an int ``>= 1``.
    """
    height, width = check_int(height, "height"), check_int(width, "width")
    for t in range(min(height, width), 0, -1):
        if height % t or width % t:
            continue
        rows, cols = height // t, width // t
        is_maze_grid = rows % 2 and cols % 2 and min(rows, cols) >= 3 and max(rows, cols) >= 5
        if is_maze_grid and image_tile((rows, cols)) == t:
            return t
    return None


class MazeCNN(BaseFeaturesExtractor):
    """Square-aligned CNN features for an ``"image"`` observation, read at the agent's square.

    ``observation_space``: ``Box(0, 255, (3 k, H t, W t), uint8)`` as SB3 hands it (channels
    first; ``k`` stacked frames, the newest last, e.g. from SB3's ``VecFrameStack``);
    ``features_dim``: size of the output vector; ``channels``: width of the convolutions;
    ``tile``: pixels per square, read from the image's sides when ``None``. The ``"rgb"``
    observation has the same space, but its channels are colours, not ``[wall, agent, goal]``:
    this extractor does not read it.

    Layers: ``Conv(t x t, stride t)`` (one output per square), then three 3x3 convolutions with
    dilations 1, 2 and 4 (each output sees 15 x 15 squares), ReLU after each. The feature vector
    is the convolutions' output at the agent's square (the newest frame's agent channel picks
    it) and the goal's offset from the agent (rows and columns, scaled to ``[-2, 2]``), through a
    linear layer and a ReLU. Reading the features where the agent stands makes the policy the
    same everywhere in the maze, as an egocentric view does, while the convolutions still see
    the whole maze around it.
    """

    def __init__(
        self,
        observation_space: spaces.Box,
        features_dim: int = 128,
        channels: int = 16,
        tile: int | None = None,
    ) -> None:
        if not isinstance(observation_space, spaces.Box) or len(observation_space.shape) != 3:
            raise ValueError(f"MazeCNN needs an image observation space (3-D Box), got {observation_space}")
        depth, height, width = observation_space.shape
        if depth % 3 or depth == 0:
            raise ValueError(
                f"MazeCNN needs [wall, agent, goal] frames, channels first (3 k, H, W), got {depth} "
                f"channels (shape {observation_space.shape})"
            )
        if tile is None:
            tile = square_tile(height, width)
            if tile is None:
                # An image of a few columns is most likely channels last: (H, W, 3) read as (3 k, H, W).
                hint = (
                    f" (shape {observation_space.shape} looks channels last; SB3 hands the extractor "
                    "channels first)"
                    if width % 3 == 0 and width < min(depth, height)
                    else ""
                )
                raise ValueError(
                    f"MazeCNN cannot read the square size from a {height}x{width} image{hint}; pass it as "
                    "policy_kwargs={'features_extractor_kwargs': {'tile': t}} (the env's obs_tile_size)"
                )
        tile = check_int(tile, "tile")
        if height % tile or width % tile:
            raise ValueError(f"tile must divide the image's sides {height}x{width}, got {tile}")
        if (height // tile) % 2 == 0 or (width // tile) % 2 == 0:
            raise ValueError(
                f"tile must split the {height}x{width} image into a maze grid of odd sides, got {tile} "
                f"({height // tile}x{width // tile} squares)"
            )
        check_int(features_dim, "features_dim")
        check_int(channels, "channels")
        super().__init__(observation_space, features_dim)
        self.tile = tile
        self.cnn = nn.Sequential(
            nn.Conv2d(depth, channels, kernel_size=tile, stride=tile),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=2, dilation=2),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=4, dilation=4),
            nn.ReLU(),
        )
        rows, cols = height // tile, width // tile
        self.register_buffer("rows", torch.linspace(-1, 1, rows).view(1, rows, 1), persistent=False)
        self.register_buffer("cols", torch.linspace(-1, 1, cols).view(1, 1, cols), persistent=False)
        self.linear = nn.Sequential(nn.Linear(channels + 2, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        squares = observations[:, -3:, :: self.tile, :: self.tile]  # the newest frame, a pixel a square
        agent, goal = _weights(squares[:, 1]), _weights(squares[:, 2])
        at_agent = (self.cnn(observations) * agent[:, None]).sum(dim=(2, 3))
        offset = torch.stack(
            [((goal - agent) * self.rows).sum(dim=(1, 2)), ((goal - agent) * self.cols).sum(dim=(1, 2))],
            dim=1,
        )
        return self.linear(torch.cat([at_agent, offset], dim=1))


def _weights(mask: torch.Tensor) -> torch.Tensor:
    """``mask: float[B, H, W]`` scaled to sum to 1 per image (all zeros stays all zeros)."""
    return mask / mask.sum(dim=(1, 2), keepdim=True).clamp(min=1e-6)

"""Learned generators: mazes decoded from an AE's or a VAE's latent space.

Making ``n`` mazes from an rng:

1. draw ``eps = rng.standard_normal((n, latent))`` -- one row per maze, in order, so a batch of
   ``n`` equals ``n`` single draws (the generator contract, and the `NoiseGenerator` fast path
   the vector env uses: ``draw_noise`` then ``walls_from_noise``);
2. map ``eps`` to codes: the VAE's prior (``N(0, I)``, or a fitted Gaussian) scaled by
   ``temperature``; the AE's Gaussian fitted to its training codes (``sampling="prior"``), or
   the blog's evenly spaced grid of codes around the origin (``sampling="grid"``, which takes
   its points from ``eps`` too);
3. decode in batches to wall logits through the model's own interface (``model.prior_codes``,
   ``model.decode``) and clip: a cell is a wall where its probability exceeds ``threshold``. A
   model with the depth-first decoder (``dfs``, the shipped VAE's) draws each decision instead
   (``decoding="sample"``): each row of noise then carries, after the code, one standard-normal
   draw per passage, which the normal CDF turns into that passage's uniform;
4. repair (`generators.repair`): ``"perfect"`` (default) keeps the maximum spanning tree of the
   decoder's passage log-odds, ``"connect"`` opens the fewest walls that join start and goal,
   ``None`` keeps the raw drawing (start and goal cells opened so it is a valid `Maze`).

Decoding runs in float32 by default. Each pass decodes on one thread, and oneDNN's convolutions
sum every output in the same order whatever the number of mazes in the pass, so a maze does not
depend on the batch it was decoded in: one at a time, in passes of any size and on any number of
threads, the same noise gives the same maze (tested for every shipped model).
``precision="float64"`` decodes in double precision, about half the speed; its mazes agreed
with float32's on every one of tens of thousands of shipped-model draws (see
``benchmarks/learned_speed.py``), and it is there for a CPU whose float32 kernels would not keep
that order.

A model serves any maze size: a smaller maze is the top-left corner of one decoded model-sized
tile (cut edges walled), a larger one is stitched from several tiles, one latent code each, with
walls between them that the repair opens. The model's own size (14x14 cells for the shipped
ones) is what it was trained and evaluated on; other sizes are a convenience.

Models load from safetensors files (`generators.models.load_model`); without ``model=`` the
shipped weights in ``generators/pretrained/`` are used. Loaded models are cached per file.

Forked processes (the async vector env's workers under the default ``fork`` start method) decode
on one torch thread: GNU OpenMP, torch's intra-op thread pool, does not survive ``fork``, and the
first parallel torch operation in a child of a parent that had already used the pool waits
forever for threads the child does not have. PyTorch's own DataLoader workers set one thread for
the same reason; a worker env decodes a maze or two at a time, where more threads do not help.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from generators._jit import kernel_threads, split_rows
from generators.base import (
    GoalMode,
    MazeGenerator,
    check_choice,
    check_count,
    check_int,
    check_real,
    check_rng,
    check_rows,
)
from generators.lattice import lattice, on_lattice
from generators.maze import Maze, is_perfect
from generators.models import FIXED_LOGIT, MAX_DECISION_TEMPERATURE
from generators.repair import RepairMode, check_repair_mode, repair

Sampling = Literal["prior", "normal", "grid"]
Decoding = Literal["sample", "greedy"]
# Cells decoded per pass when ``batch_size`` is not given: 64 mazes of 14x14 (see `decode_codes`).
_PASS_CELLS = 64 * 14 * 14
Precision = Literal["float32", "float64"]
# Latent noise is scaled by this at most. Codes ten prior standard deviations out are already far
# from anything the model was trained on; near overflow (1e308, inf) every seed decoded to one
# and the same maze.
MAX_TEMPERATURE = 10.0
MAX_GRID_RADIUS = 10.0
# The grid's defaults (``sampling="grid"``); another sampling refuses any other value.
GRID_RADIUS = 2.0
GRID_STEPS = 9


def _one_torch_thread_after_fork() -> None:
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


if hasattr(os, "register_at_fork"):  # POSIX; see the module notes
    os.register_at_fork(after_in_child=_one_torch_thread_after_fork)


def pretrained_path(kind: str, size: tuple[int, int] | None = None) -> Path:
    """Path of the shipped weights for ``kind`` (``"ae"`` or ``"vae"``): the model trained at
    ``size`` cells when one is shipped (``vae-7x7.safetensors``), else the 14x14 one."""
    folder = resources.files("generators") / "pretrained"
    if size is not None:
        native = Path(str(folder / f"{kind}-{size[0]}x{size[1]}.safetensors"))
        if size != (14, 14) and native.is_file():
            return native
    return Path(str(folder / f"{kind}.safetensors"))


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Any:
    # ``mtime`` is part of the cache key only: a rewritten file is loaded again.
    from generators.models import load_model

    return load_model(path)


def load_cached(path: str | Path) -> Any:
    """`load_model`, cached per file (and its modification time). Do not modify the result."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    return _load(str(path.resolve()), path.stat().st_mtime)


@dataclass(frozen=True)
class LearnedBatch:
    """One batch drawn by a learned generator.

    Attributes:
        raw: ``bool[B, H, W]`` thresholded decoder output, before repair.
        walls: ``bool[B, H, W]`` after repair (``raw`` when ``repair=None``).
        cells_changed: ``int[B]`` cells the repair changed.
        logits: ``float32[B, H, W]`` decoder wall logits.
    """

    raw: np.ndarray
    walls: np.ndarray
    cells_changed: np.ndarray
    logits: np.ndarray


# Mazes decoded between two trims: 4,096 of them leave tens of MB of freed temporaries.
_TRIM_EVERY = 2048
_decoded_since_trim = 0


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or ``None`` where the C library has none (macOS, Windows, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def _release_freed_heap(decoded: int) -> None:
    """Hand the heap pages freed by a large batch back to the system.

    glibc keeps freed memory for reuse and raises its mmap threshold after big frees, so the
    temporaries of batches of varying content land in ever different places of the heap: a
    vector env refilling its pool from a learned generator grew from 0.6 to 1.2 GB over two
    million mazes, all of it free memory the allocator had kept. ``malloc_trim(0)`` every 2,048
    decoded mazes holds it flat (``python -m benchmarks.soak``) at about 4 ms a trim,
    2% of the time it takes to decode those mazes; batches of any size count towards the next trim.
    """
    global _decoded_since_trim
    _decoded_since_trim += decoded
    if _decoded_since_trim < _TRIM_EVERY:
        return
    _decoded_since_trim = 0
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class LearnedGenerator(MazeGenerator):
    """Base class of the AE and VAE generators (the ``kind`` class attribute picks the model).

    Args:
        size: cells a side; any size (see the module notes on tiling).
        goal: ``"corner"`` or ``"farthest"``.
        model: path to a ``.safetensors`` model; ``None`` loads the shipped one: the model
            trained at this size where one is shipped (7x7 and 28x28 cells for the VAE), else
            the 14x14 model, tiled.
        repair: ``"perfect"`` (default), ``"connect"`` or ``None``.
        threshold: wall probability above which a decoded cell is a wall, wherever the
            decoder decodes greedily: every maze with ``decoding="greedy"``; with
            ``decoding="sample"``, only `decode` without an rng, `interpolate` and
            `decode_codes` without uniforms (the mazes of `generate` draw every decision).
        temperature: scale of the latent noise (1 = the prior itself).
        sampling: ``"prior"`` (the model's: N(0, I) for a VAE, or the Gaussian fitted to its
            posterior draws when its training chose that; the AE's Gaussian fitted to its
            training codes), ``"normal"`` (VAE only: N(0, I), the prior it was trained against,
            even when its file carries a fitted Gaussian) or ``"grid"`` (AE only: codes on the
            blog's grid around the origin).
        grid_radius: the grid's extent ``r``: each unit in ``[-r, r]`` standard deviations of the
            fitted Gaussian, around the origin (``sampling="grid"`` only: another sampling
            refuses a value other than the default).
        grid_steps: the grid's points per unit (``sampling="grid"`` only, as ``grid_radius``).
        batch_size: mazes decoded per forward pass; ``None`` (default): 64 at 14x14, as many cells
            at other model sizes. Passes run side by side, one per thread.
        precision: ``"float32"`` (default) or ``"float64"`` (half the speed); in both, batched
            and single draws agree.
        decoding: how a ``dfs``-decoder model makes each decision: ``"sample"`` (its default: each
            passage drawn from the decoder's probability, with uniforms that are part of the
            maze's noise) or ``"greedy"`` (each clipped at ``threshold``). The other decoders
            only decode greedily (``None`` picks the model's default).
        decision_temperature: with ``decoding="sample"``, each decision is drawn at its wall logit
            divided by this (below 1: surer decisions); ``None`` (default) takes the model's
            own, fitted when it was trained (`generators.training.fit_sampling`;
            1 for a model without one, the likelihood's decisions themselves).
    """

    kind: ClassVar[str] = "vae"
    name: ClassVar[str] = "vae"

    def __init__(
        self,
        size: int | tuple[int, int] = 14,
        goal: GoalMode = "corner",
        model: str | Path | None = None,
        repair: RepairMode | None = "perfect",
        threshold: float = 0.5,
        temperature: float = 1.0,
        sampling: Sampling = "prior",
        grid_radius: float = GRID_RADIUS,
        grid_steps: int = GRID_STEPS,
        batch_size: int | None = None,
        precision: Precision = "float32",
        decoding: Decoding | None = None,
        decision_temperature: float | None = None,
    ) -> None:
        super().__init__(size, goal)
        self.repair_mode = check_repair_mode(repair)
        threshold = check_real(threshold, "threshold", 0.0, 1.0, low_open=True, high_open=True)
        temperature = check_real(temperature, "temperature", 0.0, MAX_TEMPERATURE)
        check_choice(sampling, "sampling", ("prior", "normal", "grid"))
        if sampling == "grid" and self.kind != "ae":
            raise ValueError(f"sampling={sampling!r} is for the AE; the VAE samples its prior")
        if sampling == "normal" and self.kind != "vae":
            raise ValueError(
                f"sampling={sampling!r} is for the VAE (N(0, I), the prior it was trained against); "
                "the AE samples the Gaussian fitted to its codes"
            )
        grid_radius = check_real(grid_radius, "grid_radius", 0.0, MAX_GRID_RADIUS, low_open=True)
        grid_steps = check_int(grid_steps, "grid_steps", 2, 10_000)
        grid_set = [
            f"{key}={value!r} (default {default!r})"
            for key, value, default in (
                ("grid_radius", grid_radius, GRID_RADIUS),
                ("grid_steps", grid_steps, GRID_STEPS),
            )
            if value != default
        ]
        if sampling != "grid" and grid_set:
            raise ValueError(
                f"{' and '.join(grid_set)} {'set' if len(grid_set) > 1 else 'sets'} the grid of "
                "sampling='grid'; this generator samples "
                f"with sampling={sampling!r}, which has no grid"
            )
        if batch_size is not None:
            batch_size = check_int(batch_size, "batch_size", 1, 1 << 20)
        check_choice(precision, "precision", ("float32", "float64"))
        if model is not None and not isinstance(model, (str, Path)):
            raise TypeError(
                f"model must be a path to a .safetensors file or None, got {type(model).__name__}"
            )
        self.model_path = Path(model) if model is not None else pretrained_path(self.kind, self.cells)
        self.threshold = float(threshold)
        self.temperature = float(temperature)
        self.sampling: Sampling = sampling
        self.grid_radius, self.grid_steps = float(grid_radius), grid_steps
        self.batch_size = batch_size
        self.precision: Precision = precision
        self._model = load_cached(self.model_path)
        cfg = self._model.cfg
        if cfg.kind != self.kind:
            raise ValueError(
                f"{self.model_path} holds a {cfg.kind!r} model, but this is the {self.kind!r} generator"
            )
        self._lattice = lattice(*self.cells)
        can_draw = bool(getattr(self._model, "samples_decisions", False))
        if decoding is None:
            decoding = "sample" if can_draw else "greedy"
        check_choice(decoding, "decoding", ("sample", "greedy"))
        if decoding == "sample" and not can_draw:
            raise ValueError(
                f"decoding='sample' needs a model with the 'dfs' decoder; {self.model_path} has the "
                f"{cfg.decoder!r} decoder, which decodes greedily"
            )
        self.decoding: Decoding = decoding
        if decision_temperature is not None:
            decision_temperature = check_real(
                decision_temperature, "decision_temperature", 0.0, MAX_DECISION_TEMPERATURE, low_open=True
            )
            if decoding != "sample":
                raise ValueError(
                    f"decision_temperature={decision_temperature!r} applies to drawn decisions; this "
                    f"generator decodes with decoding={decoding!r}"
                )
        self._decision_temperature_arg = decision_temperature
        self.decision_temperature = (
            float(getattr(self._model, "decision_temperature", 1.0))
            if decision_temperature is None
            else decision_temperature
        )

    def __getstate__(self) -> dict[str, Any]:
        # Pickles (env copies, vector-env workers) carry the settings, not the network: the
        # model is reloaded from its file, through the per-file cache.
        state = self.__dict__.copy()
        del state["_model"], state["_lattice"]
        state.pop("_resolved_path", None)
        state.pop("_path_head", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._model = load_cached(self.model_path)
        self._lattice = lattice(*self.cells)

    @property
    def model(self) -> Any:
        """The loaded `generators.models.MazeAutoencoder` (float32, shared per file: do not modify)."""
        return self._model

    @property
    def latent_dim(self) -> int:
        """Size of one model code."""
        return int(self._model.cfg.latent_dim)

    @property
    def tiles(self) -> tuple[int, int]:
        """Model-sized tiles per maze, ``(down, across)``: ``(1, 1)`` at the model's own size."""
        (h, w), (mh, mw) = self.cells, self._model.cfg.size
        return (-(-h // mh), -(-w // mw))

    @property
    def _lattice_model(self) -> Any:
        return lattice(*self._model.cfg.size)

    @property
    def _decision_dim(self) -> int:
        """Uniforms for the drawn decisions that ride along in each tile's noise: one per model
        passage with ``decoding="sample"``, else none."""
        return self._lattice_model.num_edges if self.decoding == "sample" else 0

    @property
    def tile_noise_dim(self) -> int:
        """Standard-normal draws per model tile: its code, then (``decoding="sample"``) one per
        passage, turned into the uniform that draws that passage's decision."""
        return self.latent_dim + self._decision_dim

    @property
    def noise_dim(self) -> int:
        """Standard-normal draws per maze: one tile's worth per tile."""
        return self.tiles[0] * self.tiles[1] * self.tile_noise_dim

    def config(self) -> dict[str, Any]:
        default = self.model_path == pretrained_path(self.kind, self.cells)
        return {
            **super().config(),
            "model": None if default else str(self.model_path),
            "repair": self.repair_mode,
            "threshold": self.threshold,
            "temperature": self.temperature,
            "sampling": self.sampling,
            "grid_radius": self.grid_radius,
            "grid_steps": self.grid_steps,
            "batch_size": self.batch_size,
            "precision": self.precision,
            "decoding": self.decoding,
            "decision_temperature": self._decision_temperature_arg,
        }

    # ------------------------------------------------------------------ sampling
    def codes_from_noise(self, eps: np.ndarray) -> np.ndarray:
        """Standard-normal ``eps: float[B, latent]`` -> latent codes ``float64[B, latent]``."""
        import torch

        eps = check_rows(eps, self.latent_dim, "eps")
        model = self._model_at(torch.float64)
        eps_t = torch.from_numpy(np.ascontiguousarray(eps))
        with torch.no_grad():
            if self.sampling == "grid":
                # The normal CDF turns each draw into a uniform one, which picks one of the grid's
                # points along that unit with equal chance.
                uniform = torch.special.ndtr(eps_t).numpy()
                index = np.minimum((uniform * self.grid_steps).astype(np.int64), self.grid_steps - 1)
                points = np.linspace(-self.grid_radius, self.grid_radius, self.grid_steps)
                std = model.prior_std().numpy()
                return points[index] * std * self.temperature
            if model.standard_prior or self.sampling == "normal":  # the codes are the scaled draws
                return self.temperature * eps
            return model.prior_codes(eps_t, self.temperature).numpy()

    def decode_codes(self, codes: np.ndarray, uniforms: np.ndarray | None = None) -> np.ndarray:
        """Codes ``float[B, latent]`` -> wall logits ``float32[B, h, w]`` on the model's own grid.

        With ``uniforms: float[B, E]`` in ``[0, 1)`` (``dfs`` decoder) each decision is drawn with
        its uniform; without, decoding is greedy.
        """
        codes = check_rows(codes, self.latent_dim, "codes")
        if uniforms is not None:
            uniforms = check_rows(uniforms, self._lattice_model.num_edges, "uniforms")
            if len(uniforms) != len(codes) or ((uniforms < 0) | (uniforms >= 1)).any():
                raise ValueError(
                    f"uniforms must be float[{len(codes)}, {self._lattice_model.num_edges}] in [0, 1), "
                    f"got shape {uniforms.shape}"
                )
        out = np.empty((len(codes), *self._model.cfg.shape), dtype=np.float32)

        def decode(lo: int, hi: int) -> None:
            out[lo:hi] = self._decode_pass(codes[lo:hi], None if uniforms is None else uniforms[lo:hi])

        self._in_passes(len(codes), self._pass_rows(), decode)
        return out

    def _decoding_model(self) -> tuple[Any, Any]:
        """The model copy that decodes in this generator's precision, and that torch dtype."""
        import torch

        dtype = torch.float64 if self.precision == "float64" else torch.float32
        return self._model_at(dtype), dtype

    def _decode_pass(self, codes: np.ndarray, uniforms: np.ndarray | None) -> np.ndarray:
        """`decode_codes` of one pass of checked rows, on the calling thread."""
        import torch

        model, dtype = self._decoding_model()
        z = torch.from_numpy(np.ascontiguousarray(codes)).to(dtype)
        if model.cfg.decoder == "dfs":  # the grid straight from the walk, without torch around it
            return model.decoder.decode_grid(
                z, self.threshold, u=uniforms, temperature=self.decision_temperature
            )
        return model.decode(z, self.threshold, u=uniforms).float().numpy()

    def _pass_rows(self) -> int:
        """Model-sized tiles decoded per pass: ``batch_size``, or as many as hold `_PASS_CELLS` cells."""
        height, width = self._model.cfg.size
        return self.batch_size or max(1, _PASS_CELLS // (height * width))

    @staticmethod
    def _in_passes(n: int, rows: int, work: Any) -> None:
        """``work(lo, hi)`` over rows ``[0, n)`` in passes of at most ``rows``, side by side.

        Each pass runs on one thread, and the passes run side by side on the kernel threads:
        small passes keep their temporaries in cache and in memory the allocator reuses (a pass
        of thousands of mazes page-faults its way through hundreds of megabytes), and one pass is
        too small to be worth splitting over threads (on a busy 2-core machine one reset took
        19 ms with 2 threads, 0.6 ms with 1). Passes never change a result: each row's figures
        depend on that row alone.
        """
        import torch

        def run(first: int, last: int) -> None:
            with torch.no_grad():
                for k in range(first, last):
                    work(k * rows, min(n, (k + 1) * rows))

        threads = torch.get_num_threads()
        if threads > 1:
            torch.set_num_threads(1)
        try:
            split_rows(run, -(-n // rows), min_rows=2, parts=4, threads=threads)
        finally:
            if threads > 1:
                torch.set_num_threads(threads)

    def _model_at(self, dtype: Any) -> Any:
        # One model per file and precision, loaded on first use and shared by its generators.
        # The path is resolved once (a dozen system calls, a tenth of a single maze's time).
        resolved = self.__dict__.get("_resolved_path")
        if resolved is None:
            resolved = self._resolved_path = str(self.model_path.resolve())
        return _model_at(resolved, os.stat(resolved).st_mtime, str(dtype))

    def draw_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The latent noise of ``n`` mazes, ``float64[n, noise_dim]``: one standard-normal row per maze."""
        n, rng = check_count(n), check_rng(rng)
        return rng.standard_normal((n, self.noise_dim))

    def draw(self, n: int, rng: np.random.Generator) -> LearnedBatch:
        """``n`` mazes with their raw drawings, repaired walls and repair cost."""
        return self._draw(self.draw_noise(n, rng))

    def walls_from_noise(self, noise: np.ndarray) -> np.ndarray:
        """``noise: float[B, noise_dim]`` -> ``walls: bool[B, H, W]`` (the `NoiseGenerator` fast path)."""
        return self.draw_from_noise(noise).walls

    def draw_from_noise(self, eps: np.ndarray) -> LearnedBatch:
        """Decode, clip and repair the mazes of standard-normal ``eps: float[B, noise_dim]``.

        Raises:
            ValueError: ``eps`` has the wrong shape or a value that is not finite.
        """
        return self._draw(check_rows(eps, self.noise_dim, "noise"))

    def _draw(self, eps: np.ndarray) -> LearnedBatch:
        batch = self._decode_clip_repair(eps)
        _release_freed_heap(len(eps))
        return batch

    def _decode_clip_repair(self, eps: np.ndarray) -> LearnedBatch:
        # Whole mazes per pass (a maze's tiles together): drawing, decoding, clipping and
        # repairing all run inside the passes, side by side.
        n, height, width = len(eps), *self.shape
        raw, walls = np.empty((n, height, width), dtype=bool), np.empty((n, height, width), dtype=bool)
        changed, logits = np.empty(n, dtype=np.int64), np.empty((n, height, width), dtype=np.float32)

        def work(lo: int, hi: int) -> None:
            batch = self._decode_clip_repair_pass(eps[lo:hi])
            raw[lo:hi], walls[lo:hi], changed[lo:hi], logits[lo:hi] = (
                batch.raw,
                batch.walls,
                batch.cells_changed,
                batch.logits,
            )

        self._in_passes(n, max(1, self._pass_rows() // (self.tiles[0] * self.tiles[1])), work)
        return LearnedBatch(raw, walls, changed, logits)

    def _decode_clip_repair_pass(self, eps: np.ndarray) -> LearnedBatch:
        rows = eps.reshape(-1, self.tile_noise_dim)
        uniforms = self._uniforms(rows[:, self.latent_dim :]) if self._decision_dim else None
        tiles = self._decode_pass(self.codes_from_noise(rows[:, : self.latent_dim]), uniforms)
        return self._clip_repair(tiles.reshape(len(eps), self.tiles[0] * self.tiles[1], *tiles.shape[1:]))

    @staticmethod
    def _uniforms(draws: np.ndarray) -> np.ndarray:
        """Standard-normal decision draws -> the uniforms in ``[0, 1)`` that make the decisions."""
        import torch

        # The normal CDF turns each standard-normal draw into a uniform one.
        uniforms = torch.special.ndtr(torch.from_numpy(np.ascontiguousarray(draws))).numpy()
        return np.minimum(uniforms, np.nextafter(1.0, 0.0))

    # ------------------------------------------------------------------ drawn walks
    def walks_ready(self) -> bool:
        """Whether `drawn_walks` applies: a ``dfs``-decoder model at its own size that draws its
        decisions (``decoding="sample"``), whose every raw maze is perfect."""
        return (
            self.cells == tuple(self._model.cfg.size)
            and self._decision_dim > 0
            and getattr(self._model.cfg, "decoder", None) == "dfs"
        )

    def path_head(self) -> Any:
        """The model's path head (`generators.path_head`): ``<model>.path.safetensors`` beside
        the model file, trained for that very file, at this generator's decision temperature;
        ``None`` when there is none or it was trained at another temperature, or when
        `walks_ready` is false. A head file that exists but does not load is an error.

        Raises:
            ValueError: the head file beside the model is damaged or was trained for another
                model file.
        """
        from generators.path_head import head_path, load_head_cached

        # Looked up once per generator (the model itself is loaded once, at construction).
        if "_path_head" not in self.__dict__:
            path = head_path(self.model_path)
            head = None
            if self.walks_ready() and path.is_file():
                head = load_head_cached(path, self.model_path, self._model.cfg.ar_hidden)
            matches = head is not None and head.temperature == self.decision_temperature
            self._path_head = head if matches else None
        return self._path_head

    def drawn_walks(
        self,
        code_noise: np.ndarray,
        decision_noise: np.ndarray,
        rows: np.ndarray,
        window: np.ndarray,
        target: np.ndarray | None = None,
        hit: np.ndarray | None = None,
        group_size: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Many drawn mazes over few codes, each code's embeddings computed once.

        Walk ``b`` is the maze of noise ``[code_noise[rows[b]], decision_noise[b]]`` (what
        `walls_from_noise` decodes from that row); a walk that reaches the goal cell at a depth
        outside ``window[b]: int64[2]`` (cell steps; ``window[b, 1] < 0``: none) stops there, and
        so does one that can no longer reach it by depth ``window[b, 1]``.
        With ``target: int[B]`` (goal depths in cell steps, at least 1), each walk draws its
        decisions from the model's path head told to reach the goal at that depth (`path_head`)
        instead of from the model alone. With ``hit: int[B, 2]`` (goal depths, a range per
        walk) and ``group_size`` ``k`` (dividing ``B``), the walks come in groups of ``k``
        consecutive walks (a search's walks for one maze), and the walks of a group after the
        first to reach the goal cell at a depth in its range are not drawn: the rest of the
        group's walks would not be served. Returns the open passages ``bool[B, E]`` (lattice
        order; meaningful where the walk did not stop: `walls_from_walks` turns them into the
        served walls) and the depth at which each walk reached the goal cell, its start-goal
        path in cell steps (``int64[B]``; ``window[b, 1] + 1`` for a walk stopped before it, -1
        for a walk not drawn).

        Raises:
            ValueError: ``walks_ready()`` is false, an argument has the wrong shape, a target
                is given and the model has no path head for this generator, or ``group_size``
                is below 1, does not divide ``B`` or comes without ``hit``.
            TypeError: ``group_size`` is not an int.
        """
        import torch

        from generators.dfs_decoder import drawn_walks

        if not self.walks_ready():
            raise ValueError(
                f"drawn walks need a dfs-decoder model at its own size {tuple(self._model.cfg.size)} with "
                f"decoding='sample'; this {self.name} generator has size {self.cells}, "
                f"decoding={self.decoding!r}"
            )
        code_noise = check_rows(code_noise, self.latent_dim, "code_noise")
        decision_noise = check_rows(decision_noise, self._decision_dim, "decision_noise")
        rows = np.asarray(rows)
        window = np.asarray(window)
        n = len(decision_noise)
        if (
            rows.shape != (n,)
            or not np.issubdtype(rows.dtype, np.integer)
            or (n and not (rows.min() >= 0 and rows.max() < len(code_noise)))
        ):
            raise ValueError(f"rows must be int[{n}] indices into the {len(code_noise)} codes, got {rows!r}")
        if window.shape != (n, 2) or not np.issubdtype(window.dtype, np.integer):
            raise ValueError(f"window must be int[{n}, 2], got shape {window.shape} dtype {window.dtype}")
        if hit is not None:
            hit = np.asarray(hit)
            if hit.shape != (n, 2) or not np.issubdtype(hit.dtype, np.integer):
                raise ValueError(
                    f"hit must be int[{n}, 2] goal-depth ranges, got shape {hit.shape} dtype {hit.dtype}"
                )
            group_size = check_int(group_size, "group_size", 1)
            if n % group_size:
                raise ValueError(f"group_size must divide the {n} walks, got {group_size}")
        elif group_size:
            raise ValueError(f"group_size={group_size!r} needs hit, the goal-depth range of each walk")
        head = None
        if target is not None:
            target = np.asarray(target)
            if (
                target.shape != (n,)
                or not np.issubdtype(target.dtype, np.integer)
                or (n and target.min() < 1)
            ):
                raise ValueError(f"target must be int[{n}] goal depths of at least 1, got {target!r}")
            head = self.path_head()
            if head is None:
                raise ValueError(
                    f"target depths need a path head for {self.model_path} at decision temperature "
                    f"{self.decision_temperature} (train one with `daedalus-gym train-path-head`)"
                )
        model, dtype = self._decoding_model()
        h, w = self._model.cfg.size
        emb = np.empty(
            (len(code_noise), h * w, self._model.cfg.ar_hidden),
            dtype=np.float64 if self.precision == "float64" else np.float32,
        )
        uniforms = np.empty(decision_noise.shape)

        # Every torch call runs in passes, one torch thread each (`_in_passes`): a call on
        # torch's own threads leaves them spinning for a while after it returns, and they would
        # take the cores from the compiled walks that follow.
        def embed(lo: int, hi: int) -> None:
            codes = torch.from_numpy(self.codes_from_noise(code_noise[lo:hi])).to(dtype)
            emb[lo:hi] = model.decoder.embeddings(codes).numpy()

        def draw(lo: int, hi: int) -> None:
            uniforms[lo:hi] = self._uniforms(decision_noise[lo:hi])

        # A search's round has few codes: one pass each would leave the other threads idle.
        spread = max(16, -(-len(code_noise) // kernel_threads()))
        self._in_passes(len(code_noise), min(self._pass_rows(), spread), embed)
        self._in_passes(n, max(1, 4 * _PASS_CELLS // self._decision_dim), draw)
        tables = model.decoder.walk_tables(self.decision_temperature) if head is None else head.walk_tables()
        return drawn_walks(emb, tables, (h, w), uniforms, rows, window, target, hit, group_size)

    def walls_from_walks(self, opened: np.ndarray) -> np.ndarray:
        """Open passages of complete drawn walks ``bool[B, E]`` -> the served walls
        ``bool[B, H, W]``, clipped and repaired exactly as `walls_from_noise` does."""
        from generators.models import FIXED_LOGIT

        opened = check_rows(np.asarray(opened, dtype=np.float64), self._decision_dim, "opened") > 0.5
        decoder = self._decoding_model()[0].decoder
        return self._clip_repair(decoder.grid_array(np.where(opened, -FIXED_LOGIT, FIXED_LOGIT))).walls

    def _clip_repair(self, tiles: np.ndarray) -> LearnedBatch:
        """Decoded tiles ``float32[B, T, th, tw]`` (or ``[B, th, tw]`` for one tile) -> clipped,
        repaired batch."""
        if tiles.ndim == 3:
            tiles = tiles[:, None]
        logits = self._assemble(tiles)
        raw = logits > _logit(self.threshold)
        lat = self._lattice
        passage_logits = logits[:, lat.edge_rc[:, 0], lat.edge_rc[:, 1]].astype(np.float64)
        if self.repair_mode == "perfect":
            # A raw maze that already is a perfect maze is its own maximum spanning tree: it was
            # clipped from these same logits, so each of its open passages has higher open
            # log-odds than any of its walls, and the cycle property holds. Only the rest are
            # repaired (the same mazes, faster; `test_perfect_repair_skips_perfect_raw_mazes`).
            done = is_perfect(raw)
            walls, changed = raw.copy(), np.zeros(len(raw), dtype=np.int64)
            if not done.all():
                fixed = repair(raw[~done], "perfect", passage_logits[~done])
                walls[~done], changed[~done] = fixed.walls, fixed.cells_changed
        else:
            fixed = repair(raw, self.repair_mode, passage_logits)
            walls, changed = fixed.walls, fixed.cells_changed
        if self.repair_mode is None:
            # A Maze needs open start and goal cells; open them (and count them as changed).
            walls[:, 1, 1] = False
            walls[:, -2, -2] = False
            changed = np.count_nonzero(walls != raw, axis=(1, 2))
        return LearnedBatch(raw, walls, changed, logits)

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.draw(n, rng).walls

    # ------------------------------------------------------------------ the latent space
    def _own_size(self, what: str) -> None:
        if self.cells != tuple(self._model.cfg.size):
            raise ValueError(
                f"{what} works on mazes of the model's own size {self._model.cfg.size} cells; this "
                f"generator makes {self.cells} (from tiles of the model)"
            )

    def encode(self, maze: Maze | np.ndarray) -> np.ndarray:
        """The code ``float64[latent]`` of a maze of the model's own size: the VAE's posterior
        mean, the AE's code.

        Args:
            maze: a `Maze` or its wall grid ``bool[H, W]``, a lattice maze (walled border and
                pillars, open cells).

        Raises:
            ValueError: the maze is not of the model's size or not a lattice maze.
        """
        import torch

        self._own_size("encode")
        walls = np.asarray(maze.walls if isinstance(maze, Maze) else maze)
        if walls.dtype != np.bool_ or walls.shape != self.shape:
            raise ValueError(
                f"maze must be a Maze or bool[{self.shape[0]}, {self.shape[1]}] walls, "
                f"got {walls.dtype} {walls.shape}"
            )
        if not on_lattice(walls[None])[0]:
            raise ValueError("maze must be a lattice maze: walled border and pillars, every cell open")
        model = self._model_at(torch.float64)
        with torch.no_grad():
            return model.encode(torch.from_numpy(walls[None].copy()).double())[0][0].numpy()

    def decode(self, code: np.ndarray, rng: np.random.Generator | None = None) -> Maze:
        """The maze of a code ``float[latent]``, repaired as this generator repairs.

        Without ``rng`` each decision is clipped at ``threshold`` (the code's most likely maze);
        with one (``decoding="sample"``) each is drawn from the decoder's probability.
        """
        self._own_size("decode")
        code = check_rows(np.asarray(code, dtype=np.float64)[None], self.latent_dim, "code")
        uniforms = None
        if rng is not None:
            rng = check_rng(rng)
            if not self._decision_dim:
                raise ValueError(
                    f"decode(rng=...) draws decisions: it needs decoding='sample', got {self.decoding!r}"
                )
            uniforms = rng.random((1, self._lattice_model.num_edges))
        walls = self._clip_repair(self.decode_codes(code, uniforms)).walls
        return Maze.from_arrays(walls, *self.place_batch(walls))[0]

    def interpolate(self, a: Maze | np.ndarray, b: Maze | np.ndarray, steps: int = 9) -> list[Maze]:
        """``steps`` mazes decoded (greedily, then repaired) from codes evenly spaced on the line
        from ``encode(a)`` to ``encode(b)``, both ends included."""
        steps = check_int(steps, "steps", 2, 10_000)
        za, zb = self.encode(a), self.encode(b)
        t = np.linspace(0.0, 1.0, steps)[:, None]
        walls = self._clip_repair(self.decode_codes((1 - t) * za + t * zb)).walls
        return list(Maze.from_arrays(walls, *self.place_batch(walls)))

    def _assemble(self, tiles: np.ndarray) -> np.ndarray:
        """``tiles: float32[B, T, th, tw]`` (row-major tiles) -> wall logits ``float32[B, H, W]``.

        Neighbouring tiles share their border row or column (a wall in every tile), so a maze
        larger than the model is stitched from walled tiles -- the repair opens the way between
        them -- and a smaller one is the top-left corner of a tile with its cut edges walled.
        """
        (down, across), (th, tw) = self.tiles, tiles.shape[2:]
        if (down, across) == (1, 1) and (th, tw) == self.shape:
            return tiles[:, 0]
        height, width = self.shape
        big = np.empty((len(tiles), down * (th - 1) + 1, across * (tw - 1) + 1), dtype=np.float32)
        for k in range(down * across):
            i, j = divmod(k, across)
            big[:, i * (th - 1) : i * (th - 1) + th, j * (tw - 1) : j * (tw - 1) + tw] = tiles[:, k]
        logits = big[:, :height, :width].copy()
        if height < big.shape[1]:
            logits[:, -1, :] = FIXED_LOGIT
        if width < big.shape[2]:
            logits[:, :, -1] = FIXED_LOGIT
        return logits


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


@lru_cache(maxsize=8)
def _model_at(path: str, mtime: float, dtype_name: str) -> Any:
    """The decoding copy of the model of ``path``, in float32 or float64, loaded again from the
    file (rebuilding from the weights is exact: float16/float32 values widen without rounding).
    In float32 the ``dfs`` decoder lays its maps out channels-last (`DFSDecoder.channels_last`),
    which oneDNN's float32 convolutions run faster."""
    import torch

    from generators.dfs_decoder import DFSDecoder
    from generators.models import load_model

    model = load_model(path)
    # The VAE's prior, N(0, I), maps draws to codes without a matrix product (the same values).
    model.standard_prior = model.has_standard_prior()
    if dtype_name == str(torch.float32):
        if isinstance(model.decoder, DFSDecoder):
            model.decoder.channels_last()
        return model
    return model.to(torch.float64)


class AEGenerator(LearnedGenerator):
    """Mazes from the autoencoder: codes from the Gaussian fitted to its training codes (or the
    blog's grid around the origin), decoded, clipped and repaired."""

    kind = "ae"
    name = "ae"


class VAEGenerator(LearnedGenerator):
    """Mazes from the variational autoencoder: codes from its prior (``N(0, temperature^2 I)``,
    or the Gaussian fitted to its posterior draws when its training chose that), decoded,
    clipped and repaired."""

    kind = "vae"
    name = "vae"

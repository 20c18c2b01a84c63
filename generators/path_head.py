"""The path head: a learned depth-first generator's walk told the start-goal path it should make.

A ``dfs``-decoder AE or VAE (`generators.dfs_decoder`) writes a maze as a depth-first walk, and
with the goal in the last cell the start-goal path is the depth at which the walk reaches the
goal. Told a target depth ``T``, every decision of the walk also knows its *slack*: how many extra
steps a path through the neighbour it decides on could still take and reach the goal at depth
``T`` (`generators.dfs_decoder` module notes, "Target slack": eight buckets, one of them "no
target", one "the goal is not behind this passage").

A `PathHead` is the decoder's decision tables again, one copy per slack bucket: the wall logit of
a decision in bucket ``k`` is ``b'[d] + w'[d] . relu(e[cell] + C'[k, d, f]) + D'[k, d, f]``, with
``e`` the model's own per-cell embeddings of the code (unchanged). It is trained by
`train_path_head` on the model's own samples: codes from the generator's sampling density,
decisions drawn at its decision temperature, each maze's goal depth read off its walk, and the
head fitted by likelihood to the decisions of the same walk told that depth. So the head models
the generator's mazes given their path length, ``p(maze | code, path)``, and every table starts
as the model's own (at the start of training the head *is* the model, whatever the target).

The walk stays a spanning-tree walk (the decoder's rules, not the head, keep every maze
perfect), so a head-drawn maze is a perfect maze of the model's family; the target only tilts
its decisions. `generators.control` uses the head to draw candidates for a path-length target:
most of them land within a few percent of it at once.

Files: ``<model>.path.safetensors`` beside the model's ``<model>.safetensors`` (tables only, no
pickle; the metadata holds the head's config and the SHA-256 of the model file it was trained
on: a head is refused for any other model) and ``<model>.path.json``, its card (the command,
seed, steps, training time, loss history and held-out likelihood against the model's own
decisions).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from generators.dfs_decoder import (
    NUM_BUCKETS,
    NUM_CODES,
    SLACK_EDGES,
    drawn_walks,
    numpy_tables,
    table_logits,
    walk_features,
)

HEAD_FORMAT = "daedalus-gym-path-head"
HEAD_FORMAT_VERSION = 1
CARD_VERSION = 1
_ROWS = NUM_BUCKETS * 4 * NUM_CODES  # table rows: one per (bucket, direction, feature bits)


def head_path(model_path: str | Path) -> Path:
    """Where the path head of the model file ``model_path`` lives: ``x.safetensors`` ->
    ``x.path.safetensors``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name.removesuffix(".safetensors") + ".path.safetensors")


@lru_cache(maxsize=16)
def _file_sha256(path: str, mtime: float) -> str:
    # ``mtime`` is part of the cache key only: a rewritten file is hashed again.
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (cached per file and modification time)."""
    path = Path(path).resolve()
    return _file_sha256(str(path), path.stat().st_mtime)


class PathHead(nn.Module):
    """Decision tables per slack bucket for a depth-first decoder with ``ar_hidden`` units a
    cell (see the module notes). ``temperature`` is the decision temperature of the samples it
    models (the generator's, `generators.learned.LearnedGenerator.decision_temperature`)."""

    def __init__(self, ar_hidden: int, temperature: float = 1.0) -> None:
        super().__init__()
        self.units = int(ar_hidden)
        self.temperature = float(temperature)
        self.context = nn.Embedding(_ROWS, self.units)
        self.direct = nn.Embedding(_ROWS, 1)
        self.out = nn.Linear(self.units, 4)

    @classmethod
    def from_decoder(cls, decoder: nn.Module, temperature: float) -> PathHead:
        """A head that starts as ``decoder``'s own decisions drawn at ``temperature``, in every bucket."""
        head = cls(decoder.units, temperature)
        with torch.no_grad():
            head.context.weight.copy_(decoder.context.weight.repeat(NUM_BUCKETS, 1))
            head.direct.weight.copy_(decoder.direct.weight.repeat(NUM_BUCKETS, 1) / temperature)
            head.out.weight.copy_(decoder.out.weight / temperature)
            head.out.bias.copy_(decoder.out.bias / temperature)
        return head

    def decision_logits(self, emb: Tensor, cells: Tensor, codes: Tensor) -> Tensor:
        """Passage wall logits ``[B, E]`` of the walk ``cells, codes`` (int64 ``[B, E]``, codes
        with their slack buckets) over the per-cell embeddings ``emb: [B, N, ar_hidden]``;
        passages that are not decisions get +-`FIXED_LOGIT`, as the decoder gives them."""
        return table_logits(emb, cells, codes, self.context, self.direct, self.out)

    def walk_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The tables in float64 for the compiled walk (`generators.dfs_decoder.drawn_walks`):
        context ``[8 * 4 * NUM_CODES, H]``, output weights ``[4, H]`` and biases ``[4]``, direct
        logits ``[8 * 4 * NUM_CODES]``; converted once and kept until a parameter changes."""
        return numpy_tables(self, self.context, self.direct, self.out)


# ---------------------------------------------------------------------------- files


def save_head(head: PathHead, path: str | Path, model_path: str | Path) -> None:
    """Write ``head`` (tables only, float32, no pickle) for the model file ``model_path``."""
    from safetensors.torch import save_file

    state = {k: v.detach().float().contiguous().cpu() for k, v in head.state_dict().items()}
    metadata = {
        "format": HEAD_FORMAT,
        "format_version": str(HEAD_FORMAT_VERSION),
        "config": json.dumps(
            {
                "ar_hidden": head.units,
                "buckets": NUM_BUCKETS,
                "slack_edges": SLACK_EDGES.tolist(),
                "decision_temperature": head.temperature,
            }
        ),
        "model_sha256": file_sha256(model_path),
    }
    save_file(state, str(path), metadata=metadata)


def load_head(path: str | Path, model_path: str | Path, ar_hidden: int) -> PathHead:
    """Read a head written by `save_head` for the model file ``model_path`` (whose decoder has
    ``ar_hidden`` units a cell); never executes pickle.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable path head, was trained for another model file or
            another slack layout, or a tensor has the wrong shape or values that are not finite;
            the message names the file and what is wrong.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no path head file at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own error types for damaged headers
        raise ValueError(f"{path} is not a readable safetensors file ({exc})") from exc
    if metadata.get("format") != HEAD_FORMAT or metadata.get("format_version") != str(HEAD_FORMAT_VERSION):
        raise ValueError(
            f"{path} is not a Daedalus-Gym path head of format version {HEAD_FORMAT_VERSION} "
            f"(metadata format {metadata.get('format')!r}, version {metadata.get('format_version')!r})"
        )
    try:
        config = json.loads(metadata["config"])
        temperature = float(config["decision_temperature"])
        edges, buckets = list(config["slack_edges"]), int(config["buckets"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} has a missing or invalid head config in its metadata ({exc})") from exc
    if edges != SLACK_EDGES.tolist() or buckets != NUM_BUCKETS:
        raise ValueError(
            f"{path} was trained with slack edges {edges} in {buckets} buckets; this code walks with "
            f"{SLACK_EDGES.tolist()} in {NUM_BUCKETS}"
        )
    if not 0.0 < temperature <= 4.0:
        raise ValueError(f"{path}: decision_temperature {temperature!r} must be in (0, 4]")
    want = file_sha256(model_path)
    if metadata.get("model_sha256") != want:
        raise ValueError(
            f"{path} was trained for a model file with SHA-256 {metadata.get('model_sha256')!r}, "
            f"not {model_path} ({want}): train a head for this model with `daedalus-gym train-path-head`"
        )
    head = PathHead(ar_hidden, temperature)
    expected = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    if shapes != expected:
        raise ValueError(f"{path}: tensors {shapes} do not match a head for {ar_hidden} units ({expected})")
    with safe_open(str(path), framework="pt") as f:
        state = {k: f.get_tensor(k) for k in shapes}
    for name, tensor in state.items():
        if tensor.dtype != torch.float32 or not torch.isfinite(tensor).all():
            raise ValueError(f"{path}: tensor {name!r} must hold finite float32 values")
    head.load_state_dict(state)
    head.eval()
    return head


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float, model_path: str, model_mtime: float, ar_hidden: int) -> PathHead:
    return load_head(path, model_path, ar_hidden)


def load_head_cached(path: str | Path, model_path: str | Path, ar_hidden: int) -> PathHead:
    """`load_head`, cached per file pair (and their modification times). Do not modify the result."""
    path, model_path = Path(path).resolve(), Path(model_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no path head file at {path}")
    return _load_cached(
        str(path), path.stat().st_mtime, str(model_path), model_path.stat().st_mtime, ar_hidden
    )


# ---------------------------------------------------------------------------- training


@dataclass
class HeadTraining:
    """What `train_path_head` returns: the head, its settings, the per-step loss history (every
    ``log_every`` steps), the held-out figures and the time it took."""

    head: PathHead
    settings: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    held_out: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _model_samples(generator: Any, n: int, rng: np.random.Generator) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """``n`` of the generator's own mazes: their codes' embeddings ``float32[n, N, H]``, open
    passages ``bool[n, E]`` and goal depths ``int64[n]``."""
    decoder = generator.model.decoder
    code_noise = rng.standard_normal((n, generator.latent_dim))
    uniforms = generator._uniforms(rng.standard_normal((n, generator.noise_dim - generator.latent_dim)))
    with torch.no_grad():
        emb = decoder.embeddings(torch.from_numpy(generator.codes_from_noise(code_noise)).float())
    tables = decoder.walk_tables(generator.decision_temperature)
    opened, depth = drawn_walks(
        emb.numpy(), tables, generator.cells, uniforms, np.arange(n), np.full((n, 2), -1, dtype=np.int64)
    )
    return emb, opened, depth


def _decision_losses(
    head: PathHead, emb: Tensor, opened: np.ndarray, depth: np.ndarray | None, size: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """Per passage, the negative log-probability (nats) of the walks' decisions under ``head``
    told their goal depths, ``[B, E]``, and which passages are decisions, ``bool[B, E]``."""
    cells, codes = walk_features(opened, size, depth)
    codes_t = torch.from_numpy(codes)
    logits = head.decision_logits(emb, torch.from_numpy(cells), codes_t)
    wall = torch.from_numpy(~opened).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, wall, reduction="none"), codes_t >= 0


def walk_log_likelihood(
    head: PathHead, emb: Tensor, opened: np.ndarray, depth: np.ndarray | None, size: tuple[int, int]
) -> Tensor:
    """Per walk, the log-probability (nats) of its decisions under ``head`` told its goal depth
    (``depth: int[B]``; ``None``: bucket 0, the model's own decisions), ``[B]``. ``opened:
    bool[B, E]`` are the walks' open passages, ``emb`` the per-cell embeddings of their codes."""
    losses, decided = _decision_losses(head, emb, opened, depth, size)
    return -(losses * decided).sum(1)


def _nll(
    head: PathHead, emb: Tensor, opened: np.ndarray, depth: np.ndarray | None, size: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """Summed negative log-likelihood (nats) of the walks' decisions, and their number."""
    losses, decided = _decision_losses(head, emb, opened, depth, size)
    return losses[decided].sum(), decided.sum()


def train_path_head(
    generator: Any,
    steps: int = 1500,
    batch: int = 256,
    lr: float = 3e-3,
    seed: int = 0,
    held_out: int = 4096,
    log_every: int = 100,
    log: Any = print,
) -> HeadTraining:
    """Fit a `PathHead` to ``generator``'s own mazes (a learned ``dfs``-decoder generator at its
    model's size that draws its decisions: ``generator.walks_ready()``).

    Each step draws ``batch`` fresh mazes from the generator (noise from ``seed``'s stream) and
    takes one Adam step on the likelihood of their decisions told their own goal depths; the
    learning rate decays by a cosine to a fiftieth. ``held_out`` mazes drawn from a separate
    stream are scored at the end: nats per decision under the head told their depths, and
    under the model's own decisions (what the target adds).
    """
    if not callable(getattr(generator, "walks_ready", None)):
        raise TypeError(
            "generator must be a learned generator (make_generator('vae') or make_generator('ae')), "
            f"got {type(generator).__name__}"
        )
    if not generator.walks_ready():
        raise ValueError(
            f"a path head needs a dfs-decoder generator at its model's size that draws its decisions; "
            f"this {generator.name} generator has size {generator.cells}, decoding={generator.decoding!r}"
        )
    checks = (
        ("steps", steps, 1),
        ("batch", batch, 1),
        ("held_out", held_out, 1),
        ("log_every", log_every, 1),
    )
    for name, value, low in (*checks, ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    start = time.perf_counter()
    train_seq, test_seq = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(train_seq)
    head = PathHead.from_decoder(generator.model.decoder, generator.decision_temperature)
    optimiser = torch.optim.Adam(head.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps, eta_min=lr / 50)
    result = HeadTraining(
        head, {"steps": steps, "batch": batch, "lr": lr, "seed": seed, "held_out": held_out}
    )
    running, count = 0.0, 0
    for step in range(1, steps + 1):
        emb, opened, depth = _model_samples(generator, batch, rng)
        loss, decisions = _nll(head, emb, opened, depth, generator.cells)
        optimiser.zero_grad()
        (loss / decisions).backward()
        optimiser.step()
        schedule.step()
        running, count = running + float(loss.detach()), count + int(decisions)
        if step % log_every == 0 or step == steps:
            row = {"step": step, "nats_per_decision": running / count, "seconds": time.perf_counter() - start}
            result.history.append(row)
            log(
                f"step {step}/{steps}: {row['nats_per_decision']:.4f} nats a decision "
                f"({row['seconds']:.0f} s)"
            )
            running, count = 0.0, 0
    head.eval()
    model_head = PathHead.from_decoder(generator.model.decoder, generator.decision_temperature)
    test = np.random.default_rng(test_seq)
    sums = {"head": 0.0, "model": 0.0, "decisions": 0}
    with torch.no_grad():
        for lo in range(0, held_out, batch):
            emb, opened, depth = _model_samples(generator, min(batch, held_out - lo), test)
            nll, decisions = _nll(head, emb, opened, depth, generator.cells)
            base, _ = _nll(model_head, emb, opened, None, generator.cells)
            sums["head"] += float(nll)
            sums["model"] += float(base)
            sums["decisions"] += int(decisions)
    result.held_out = {
        "mazes": held_out,
        "decisions": sums["decisions"],
        "head_nats_per_decision": sums["head"] / sums["decisions"],
        "model_nats_per_decision": sums["model"] / sums["decisions"],
        "head_nats_per_maze": sums["head"] / held_out,
        "model_nats_per_maze": sums["model"] / held_out,
    }
    result.seconds = time.perf_counter() - start
    return result


def save_trained_head(result: HeadTraining, model_path: str | Path, out: str | Path, command: str) -> Path:
    """Write the head of ``result`` and its card (``.json``) for the model file ``model_path``
    to ``out`` (a ``.path.safetensors`` path; its folder is made if it does not exist); returns
    the weights' path.

    Raises:
        TypeError / ValueError: a bad argument, naming it, before anything is written.
        FileNotFoundError: no model file at ``model_path``.
    """
    from generators.training import check_folder, check_path

    if not isinstance(result, HeadTraining):
        raise TypeError(
            f"result must be a HeadTraining (what train_path_head returns), got {type(result).__name__}"
        )
    model_path = check_path(model_path, "model_path")
    if not model_path.is_file():
        raise FileNotFoundError(f"model_path: no model file at {model_path}")
    out = check_path(out, "out")
    if not out.name.endswith(".path.safetensors"):
        raise ValueError(f"a path head file is named <model>.path.safetensors, got {out.name!r}")
    if out.is_dir():
        raise ValueError(f"out must be a file, got {str(out)!r}, a directory")
    check_folder(out.parent, "out's folder")
    if not isinstance(command, str):
        raise TypeError(f"command must be a str, got {type(command).__name__} {command!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_head(result.head, out, model_path)
    card = {
        "card_version": CARD_VERSION,
        "model": Path(model_path).name,
        "model_sha256": file_sha256(model_path),
        "weights": out.name,
        "decision_temperature": result.head.temperature,
        "slack_edges": SLACK_EDGES.tolist(),
        "settings": result.settings,
        "command": command,
        "training_seconds": round(result.seconds, 1),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "history": result.history,
        "held_out": result.held_out,
    }
    card_path = out.with_name(out.name.removesuffix(".safetensors") + ".json")
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return out

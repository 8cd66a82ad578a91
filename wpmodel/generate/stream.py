"""StreamingGenerator: chunk-by-chunk generation with the reconstituted context rebuilt every chunk.

Per chunk (REFERENCE.md section 1, the release's inference loop):

1. retrieval: the chunks of the history whose cameras see what the new chunk's cameras will see
   (``MemoryIndex`` over the poses of the latents generated so far, FOV similarity, the release's
   chunk score) -- or none (``memory="none"``, the temporal-window-only ablation) or random old
   chunks (``memory="random"``, the control of REFERENCE.md section 6);
2. the context plan: first chunk + retrieved chunks (up to ``memory_latents``) + the last
   ``temporal_chunks`` chunks (``build_context``), and RoPE time indices (``reframe``: contiguous
   ``0..n-1`` with the target at ``n..n+3``, or ``absolute`` latent indices for the ablation);
3. the context latents (clean, flow time ``context_t`` = 0; a small ``context_t`` noises them with
   the generator's noise, as the release feeds context "at a low noise level") are written into a
   FRESH KV cache (``cache_mode="write"``): chunk ids ``position // chunk_latents`` exactly as in
   training windows, so context chunks see each other block-causally and the target sees them all;
4. the new chunk is integrated from Gaussian noise with ``euler_sample`` attending to the cache
   (``cache_mode="read"``); its latents, actions and poses are appended and its poses added to the
   memory index.

``prepare_chunk`` (steps 1-3) and ``chunk_velocity`` are public so that a caller can denoise the chunk
its own way (the distillation rollout, ``wpmodel.distill.rollout``) with exactly this context, then
``append_chunk`` it (which also takes clean data chunks as history).

The first chunk is given clean (``start``): ``video.first_chunk_latents`` encodes a single first
frame as a static clip of ``1 + 4 (chunk_latents - 1)`` frames, which a causal VAE turns into one
chunk (latent 0 = the frame alone, latents 1..3 = the camera standing still); a lone latent
``[1, 1, C, h, w]`` passed to ``start`` is repeated to fill the chunk instead.

``vae`` is only needed by ``start_from_frame`` (decoding is ``video.StreamingDecoder``'s job).
Deterministic for a seed: all noise comes from one CPU ``torch.Generator`` (and the random-memory
control from one numpy generator), drawn in the same order every run. Latents are float32.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from wpmodel.dit.flow import add_noise, euler_sample
from wpmodel.dit.kv_cache import KVCache
from wpmodel.dit.prope import normalize_intrinsics
from wpmodel.memory.context import ContextPlan, build_context, reframe
from wpmodel.memory.index import MemoryIndex
from wpmodel.memory.retrieval import candidate_starts, retrieve_memory_chunks
from wpmodel.train.step import rigid_inverse

MemoryMode = Literal["fov", "random", "none"]


@dataclass(frozen=True)
class ChunkContext:
    """The prepared context of one chunk: its plan, time indices and the KV cache holding it."""

    plan: ContextPlan
    time_index_np: np.ndarray  # [n_context + chunk_latents] RoPE time positions (context, then target)
    cache: KVCache  # the context latents written at flow time context_t
    time_index: Tensor  # [1, chunk_latents] the target's RoPE time positions
    chunk_id: Tensor  # [1, chunk_latents] the target's block-causal chunk ids
    retrieval_s: float
    started: float  # perf_counter() when the chunk's preparation began


@dataclass(frozen=True)
class ChunkRecord:
    """What was done for one generated chunk."""

    start: int  # first latent index of the chunk
    plan: ContextPlan  # context latents (absolute indices), retrieved chunk starts
    time_index: np.ndarray  # [n_context + chunk_latents] RoPE time positions fed to the model
    retrieval_s: float  # seconds spent retrieving memory
    latency_s: float  # seconds for the whole chunk (retrieval + context write + denoising)


def _memory_mode(memory: bool | str) -> MemoryMode:
    if memory is True or memory == "fov":
        return "fov"
    if memory is False or memory == "none":
        return "none"
    if memory == "random":
        return "random"
    raise ValueError(f"memory must be True/False or 'fov', 'random', 'none', got {memory!r}")


class StreamingGenerator:
    """Generates chunk after chunk from a clean first chunk, a caption, actions and camera poses."""

    def __init__(
        self,
        model: nn.Module,
        vae: object | None = None,
        steps: int = 8,
        shift: float = 3.0,
        temporal_chunks: int = 3,
        memory_latents: int = 8,
        time_mode: str = "reframed",
        memory: bool | str = True,
        device: str | torch.device | None = None,
        seed: int = 0,
        context_t: float = 0.0,
        index_kwargs: dict | None = None,
    ) -> None:
        if time_mode not in ("reframed", "absolute"):
            raise ValueError(f"time_mode must be 'reframed' or 'absolute', got {time_mode!r}")
        if steps < 1 or temporal_chunks < 0 or memory_latents < 0 or not 0.0 <= context_t < 1.0:
            raise ValueError(
                f"bad settings: steps={steps}, temporal_chunks={temporal_chunks}, "
                f"memory_latents={memory_latents}, context_t={context_t} (needs [0, 1))"
            )
        self.vae = vae
        self.steps, self.shift, self.seed = int(steps), float(shift), int(seed)
        self.temporal_chunks, self.memory_latents = int(temporal_chunks), int(memory_latents)
        self.time_mode, self.memory, self.context_t = time_mode, _memory_mode(memory), float(context_t)
        self.chunk = int(model.config.chunk_latents)
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        self.model = model.to(self.device).eval()
        self.index_kwargs = dict(index_kwargs or {})
        self.records: list[ChunkRecord] = []
        self._started = False

    # ----------------------------------------------------------------------------------------- state
    def start_from_frame(
        self, frame: np.ndarray, caption: Tensor, c2w_first: np.ndarray | Tensor, K: np.ndarray | Tensor
    ) -> Tensor:
        """``start`` from one RGB frame [H, W, 3] uint8, encoded by ``vae`` as a static first chunk."""
        from wpmodel.generate.video import first_chunk_latents

        if self.vae is None:
            raise ValueError("start_from_frame needs a VAE (StreamingGenerator(model, vae=...))")
        first = first_chunk_latents(self.vae, frame, self.chunk, self.device)
        self.start(first, caption, c2w_first, K)
        return first

    def start(
        self,
        first_latents: Tensor,  # [1, chunk, C, h, w] (or [1, 1, C, h, w], repeated) normalised latents
        caption: Tensor,  # [1, caption_dim]
        c2w_first: np.ndarray | Tensor,  # [chunk, 4, 4] (or [4, 4]) OpenCV c2w of the first chunk
        K: np.ndarray | Tensor,  # [3, 3] pixel intrinsics, the same for every latent
        first_actions: np.ndarray | Tensor | None = None,  # [chunk] int labels (default 0: no key)
    ) -> None:
        """Reset and take the clean first chunk; the memory index starts with its poses."""
        c, cfg = self.chunk, self.model.config
        x = torch.as_tensor(first_latents)
        if x.ndim != 5 or x.shape[0] != 1 or x.shape[1] not in (1, c) or x.shape[2] != cfg.latent_channels:
            raise ValueError(
                f"first_latents must be [1, {c} or 1, {cfg.latent_channels}, h, w], got {list(x.shape)}"
            )
        x = x.expand(1, c, *x.shape[2:]) if x.shape[1] == 1 else x
        cap = torch.as_tensor(caption, dtype=torch.float32)
        if tuple(cap.shape) != (1, cfg.caption_dim):
            raise ValueError(f"caption must be [1, {cfg.caption_dim}], got {list(cap.shape)}")
        Kt = torch.as_tensor(np.asarray(K, dtype=np.float64))
        if tuple(Kt.shape) != (3, 3) or Kt[0, 2] <= 0 or Kt[1, 2] <= 0:
            raise ValueError(f"K must be a [3, 3] pixel intrinsics matrix with cx, cy > 0, got {Kt.tolist()}")
        self._K = normalize_intrinsics(Kt).to(torch.float32)  # [3, 3] the release's normalised K
        self._caption = cap.to(self.device)
        self._latents: list[Tensor] = []  # chunks [1, c, C, h, w] float32
        self._c2w = np.zeros((0, 4, 4), dtype=np.float64)
        self._actions = np.zeros(0, dtype=np.int64)
        self.index = MemoryIndex(chunk_latents=c, **self.index_kwargs)
        self.records = []
        self._gen = torch.Generator().manual_seed(self.seed)
        self._rng = np.random.default_rng(self.seed)
        self._started = True
        acts = np.zeros(c, dtype=np.int64) if first_actions is None else first_actions
        self._append(x.to(self.device, torch.float32), acts, c2w_first)

    def _append(self, latents: Tensor, actions: np.ndarray | Tensor, c2w: np.ndarray | Tensor) -> None:
        c = self.chunk
        acts = np.asarray(actions, dtype=np.int64).reshape(-1)
        poses = np.asarray(c2w, dtype=np.float64)
        poses = np.broadcast_to(poses, (c, 4, 4)) if poses.shape == (4, 4) else poses
        if acts.shape != (c,) or poses.shape != (c, 4, 4):
            raise ValueError(
                f"a chunk needs actions [{c}] and c2w [{c}, 4, 4], got {acts.shape}, {poses.shape}"
            )
        if ((acts < 0) | (acts >= self.model.config.num_actions)).any():
            raise ValueError(f"actions must be labels in [0, {self.model.config.num_actions}), got {acts}")
        self.index.add(poses)  # validates the poses (finite, within the grid)
        self._latents.append(latents)
        self._c2w = np.concatenate([self._c2w, poses])
        self._actions = np.concatenate([self._actions, acts])

    @property
    def num_latents(self) -> int:
        return len(self._actions) if self._started else 0

    @property
    def latents(self) -> Tensor:
        """Every latent so far, the first chunk included: [1, N, C, h, w] float32."""
        return torch.cat(self._latents, dim=1)

    @property
    def c2w(self) -> np.ndarray:
        """Poses of every latent so far: [N, 4, 4] float64."""
        return self._c2w.copy()

    @property
    def actions(self) -> np.ndarray:
        """Action labels of every latent so far: [N] int64."""
        return self._actions.copy()

    @property
    def latencies(self) -> list[float]:
        """Seconds per generated chunk."""
        return [r.latency_s for r in self.records]

    # ------------------------------------------------------------------------------------ generation
    def retrieve(self, query_c2w: np.ndarray) -> list[int]:
        """Start latents of the memory chunks for a chunk with poses ``query_c2w`` [chunk, 4, 4], best first."""
        n, c = self.num_latents, self.chunk
        if self.memory == "none":
            return []
        if self.memory == "random":
            starts = candidate_starts(n, self.temporal_chunks, c)
            k = min(self.memory_latents // c, len(starts))
            return [int(s) for s in self._rng.choice(starts, size=k, replace=False)] if k else []
        return retrieve_memory_chunks(
            self.index.c2w, query_c2w, self.temporal_chunks, self.memory_latents, c, index=self.index
        )

    def context_plan(self, retrieved: list[int]) -> ContextPlan:
        """The context of the next chunk given the retrieved chunk starts."""
        memory = 0 if self.memory == "none" else self.memory_latents
        return build_context(self.num_latents, retrieved, self.temporal_chunks, self.chunk, memory)

    def _cams(self, c2w: np.ndarray) -> tuple[Tensor, Tensor]:
        """viewmats [1, n, 4, 4] (w2c) and normalised Ks [1, n, 3, 3] of poses c2w [n, 4, 4]."""
        vm = rigid_inverse(torch.from_numpy(c2w))[None].to(self.device, torch.float32)
        return vm, self._K.expand(1, len(c2w), 3, 3).to(self.device)

    def append_chunk(self, latents: Tensor, actions: np.ndarray | Tensor, c2w: np.ndarray | Tensor) -> None:
        """Append a chunk made elsewhere (clean data history, or a chunk denoised by a caller such as the
        distillation rollout): latents [1, chunk, C, h, w], actions [chunk], c2w [chunk, 4, 4]."""
        if not self._started:
            raise RuntimeError("call start(first_latents, caption, c2w_first, K) before append_chunk")
        x = torch.as_tensor(latents)
        if x.shape != self._latents[0].shape:
            raise ValueError(f"latents must be {list(self._latents[0].shape)}, got {list(x.shape)}")
        self._append(x.detach().to(self.device, torch.float32), actions, c2w)

    @torch.no_grad()
    def prepare_chunk(self, c2w: np.ndarray) -> ChunkContext:
        """Steps 1-3 of the module docstring for the chunk with poses ``c2w`` [chunk, 4, 4]: retrieval,
        context plan, time indices, and the context written into a fresh KV cache."""
        t0 = time.perf_counter()
        c, dev = self.chunk, self.device
        retrieved = self.retrieve(c2w)
        t_ret = time.perf_counter() - t0
        plan = self.context_plan(retrieved)
        ctx = np.asarray(plan.context, dtype=np.int64)  # [n_ctx]
        n_ctx = len(ctx)
        time_index = reframe(plan, self.time_mode)  # [n_ctx + c]
        ti = torch.from_numpy(time_index.astype(np.float64))[None].to(dev)  # [1, n_ctx + c]
        cid = (torch.arange(n_ctx + c, device=dev) // c)[None]  # [1, n_ctx + c] as in training windows

        x_ctx = self.latents[:, torch.from_numpy(ctx).to(dev)]  # [1, n_ctx, C, h, w]
        t_ctx = torch.full((1, n_ctx), self.context_t, dtype=torch.float32, device=dev)
        if self.context_t > 0:
            eps = torch.randn(x_ctx.shape, generator=self._gen).to(dev)
            x_ctx = add_noise(x_ctx, eps, t_ctx)
        vm_ctx, K_ctx = self._cams(self._c2w[ctx])
        a_ctx = torch.from_numpy(self._actions[ctx])[None].to(dev)
        cache = self.model.new_cache()
        self.model(x_ctx, t_ctx, self._caption, a_ctx, vm_ctx, K_ctx, ti[:, :n_ctx], cid[:, :n_ctx],
                   kv_cache=cache, cache_mode="write")  # fmt: skip
        return ChunkContext(plan, time_index, cache, ti[:, n_ctx:], cid[:, n_ctx:], t_ret, t0)

    def chunk_velocity(
        self, ctx: ChunkContext, actions: np.ndarray, c2w: np.ndarray
    ) -> Callable[[Tensor, Tensor], Tensor]:
        """v(x [1, chunk, C, h, w], t [1, chunk]) of the target chunk with poses ``c2w`` attending to ``ctx.cache``."""
        vm_t, K_t = self._cams(np.asarray(c2w, dtype=np.float64))
        a_t = torch.from_numpy(np.asarray(actions, dtype=np.int64))[None].to(self.device)

        def velocity(x: Tensor, t: Tensor) -> Tensor:
            return self.model(x, t, None, a_t, vm_t, K_t, ctx.time_index, ctx.chunk_id,
                              kv_cache=ctx.cache, cache_mode="read")  # fmt: skip

        return velocity

    @torch.no_grad()
    def next_chunk(self, actions: np.ndarray | Tensor, c2w: np.ndarray | Tensor) -> Tensor:
        """Generate the next chunk for ``actions`` [chunk] int and poses ``c2w`` [chunk, 4, 4]: [1, chunk, C, h, w]."""
        if not self._started:
            raise RuntimeError("call start(first_latents, caption, c2w_first, K) before next_chunk")
        c, n, dev = self.chunk, self.num_latents, self.device
        acts = np.asarray(actions, dtype=np.int64).reshape(-1)
        poses = np.asarray(c2w, dtype=np.float64)
        if acts.shape != (c,) or poses.shape != (c, 4, 4) or not np.isfinite(poses).all():
            raise ValueError(
                f"next_chunk needs actions [{c}] and finite c2w [{c}, 4, 4], got {acts.shape}, {poses.shape}"
            )
        ctx = self.prepare_chunk(poses)
        velocity = self.chunk_velocity(ctx, acts, poses)
        noise = torch.randn((1, c, *self._latents[0].shape[2:]), generator=self._gen).to(dev)
        x0 = euler_sample(velocity, noise, self.steps, self.shift).float()
        self._append(x0, acts, poses)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        latency = time.perf_counter() - ctx.started
        self.records.append(ChunkRecord(n, ctx.plan, ctx.time_index_np, ctx.retrieval_s, latency))
        return x0

    def stream(self, actions: np.ndarray, c2w: np.ndarray) -> Iterator[Tensor]:
        """Generate one chunk per ``chunk`` entries of actions [M] and c2w [M, 4, 4] (M a multiple of chunk)."""
        acts = np.asarray(actions, dtype=np.int64).reshape(-1)
        poses = np.asarray(c2w, dtype=np.float64)
        c = self.chunk
        if len(acts) % c or poses.shape != (len(acts), 4, 4):
            raise ValueError(f"stream needs M actions and [M, 4, 4] poses with M a multiple of {c}")
        for s in range(0, len(acts), c):
            yield self.next_chunk(acts[s : s + c], poses[s : s + c])

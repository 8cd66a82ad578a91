"""`TrainConfig`: every knob of a Gaussian-splatting reconstruction (defaults as gsplat's trainer)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TrainConfig:
    """Optimisation, initialisation, densification, checkpoint and evaluation settings."""

    iterations: int = 30_000  # step cap; also the length of the means' learning-rate decay
    time_budget_s: float | None = None  # stop when this much training time has been spent
    seed: int = 0
    device: str = "auto"  # "auto" (cuda when available) | "cpu" | "cuda"
    # loss: (1 - ssim_lambda) * L1 + ssim_lambda * (1 - SSIM)
    ssim_lambda: float = 0.2
    sh_degree: int = 3
    sh_degree_interval: int = 1000  # raise the active SH degree by one every this many steps
    background: tuple[float, float, float] | None = None  # composited behind the Gaussians (None: black)
    # learning rates per parameter group (3DGS / gsplat); means' lr is scaled by the scene scale and
    # decays exponentially to lr_means * lr_means_final_ratio over `iterations`
    lr_means: float = 1.6e-4
    lr_means_final_ratio: float = 0.01
    lr_scales: float = 5e-3
    lr_quats: float = 1e-3
    lr_opacities: float = 5e-2
    lr_sh0: float = 2.5e-3
    lr_shN: float = 2.5e-3 / 20
    # initialisation: "points" (sparse points, open3d-cleaned), "random" (inside the camera hull),
    # "auto" (points when the scene has at least `init_min_points`, else random)
    init: str = "auto"
    init_min_points: int = 100
    init_num_random: int = 20_000
    init_voxel_size: float = 0.0  # voxel downsampling of the points (normalised units; 0: off)
    init_opacity: float = 0.1
    init_scale: float = 1.0  # multiplies the initial scales (3-NN distances)
    # densification: "default" / "mcmc" (gsplat strategies), "none"; "auto": default on CUDA, none on CPU
    strategy: str = "auto"
    cap_max: int = 1_000_000  # MCMC's hard cap on the Gaussian count
    strategy_kwargs: dict = field(default_factory=dict)  # passed to the gsplat strategy
    tile_size: int = 8  # CPU rasterizer tiles
    # checkpoints (exact resume) and evaluation
    checkpoint_every: int = 500  # steps
    checkpoint_every_s: float = 60.0  # and at least this often in training seconds
    keep_checkpoints: int = 2
    eval_at_s: tuple[float, ...] = ()  # training seconds at which to evaluate the held-out views
    # divergence: non-finite loss, or the training PSNR (EMA) this many dB below its best
    divergence_drop_db: float = 10.0
    log_every: int = 0  # print progress every this many steps (0: quiet)

    def to_dict(self) -> dict:
        """Plain-json view."""
        return asdict(self)

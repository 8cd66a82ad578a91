"""3D Gaussian splatting: projection, the CPU tile rasterizer (gsplat on CUDA) behind ``rasterize``,
parameters and initialisation, SSIM, training with exact-resume checkpoints, evaluation and 3DGS ``.ply`` IO."""

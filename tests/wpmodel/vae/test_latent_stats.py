from __future__ import annotations

import torch

from wpmodel.vae import VideoVAE, latent_stats


def test_latent_stats_normalise_to_unit(micro_vae: VideoVAE) -> None:
    torch.manual_seed(0)
    batches = [{"video": torch.rand(2, 5, 3, 16, 16) * 2 - 1} for _ in range(3)]  # loader layout
    shift, scale = latent_stats(micro_vae, batches)
    micro_vae.set_latent_stats(shift, scale)
    with torch.no_grad():
        z = torch.cat(
            [micro_vae.normalize(micro_vae.encode(b["video"].permute(0, 2, 1, 3, 4)).mode()) for b in batches]
        )
    assert abs(z.mean().item()) < 1e-4 and abs(z.std(unbiased=False).item() - 1.0) < 1e-4

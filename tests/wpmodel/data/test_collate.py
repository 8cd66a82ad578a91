import numpy as np
import pytest
import torch

from wpmodel.data.collate import collate, to_unit_range
from wpmodel.data.sample import TrainSample


def _sample(key: str, T: int, hw: tuple[int, int] = (8, 12)) -> TrainSample:
    L = (T - 1) // 4 + 1
    return TrainSample(
        key=key,
        c2w=torch.eye(4).expand(T, 4, 4),
        K=torch.eye(3).expand(T, 3, 3),
        actions=torch.zeros(L, dtype=torch.int64),
        caption_embedding=torch.zeros(384),
        has_caption=key != "b",
        window_start=0,
        frames=np.zeros((T, *hw, 3), np.uint8),
    )


def test_collate_stacks_to_batch_layout() -> None:
    b = collate([_sample("a", 9), _sample("b", 9)])
    assert b["video"].shape == (2, 9, 3, 8, 12) and b["c2w"].shape == (2, 9, 4, 4)
    assert b["K"].shape == (2, 9, 3, 3) and b["actions"].shape == (2, 3)
    assert b["caption_embedding"].shape == (2, 384) and b["has_caption"].tolist() == [True, False]
    assert b["keys"] == ["a", "b"] and "latents" not in b
    assert b["video"].dtype == torch.uint8 and b["video"].min() == 0 == b["video"].max()  # uint8 by default
    f32 = collate([_sample("a", 9)], video_dtype="float32")["video"]
    assert f32.dtype == torch.float32 and f32.min() == -1.0 == f32.max()


def test_collate_refuses_mixed_shapes_naming_them() -> None:
    with pytest.raises(ValueError, match=r"different video shapes .*\['a'\].*\['c'\].*grouped by resolution"):
        collate([_sample("a", 9), _sample("c", 9, (16, 12))])
    with pytest.raises(ValueError, match="different video shapes"):
        collate([_sample("a", 9), _sample("d", 13)])


def test_uint8_video_normalises_like_float() -> None:
    a, b = _sample("a", 5), _sample("b", 5)
    a.frames[:] = np.arange(8 * 12 * 3, dtype=np.uint8).reshape(8, 12, 3)
    f32, u8 = collate([a, b], video_dtype="float32"), collate([a, b])
    assert u8["video"].dtype == torch.uint8 and u8["video"].shape == f32["video"].shape == (2, 5, 3, 8, 12)
    assert u8["video"][0, 0, 1, 0, 2].item() == a.frames[0, 0, 2, 1]  # [B, T, C, H, W] from [T, H, W, C]
    torch.testing.assert_close(to_unit_range(u8["video"]), f32["video"])
    torch.testing.assert_close(a.video, f32["video"][0])
    with pytest.raises(ValueError, match="video_dtype"):
        collate([a], video_dtype="float16")

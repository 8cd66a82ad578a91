"""The shard plan: windows, keys, split, grouping and caps (pure; no media)."""

from __future__ import annotations

import pytest

from manifests.layout import safe_key
from wpdata.shards import SHORTER_THAN_WINDOW, PlanConfig, make_plan, split_of, window_starts


def _row(item_id: str, T: int | None, w: int = 64, h: int = 48, video_bytes: int = 10_000) -> dict:
    return {
        "item_id": item_id,
        "item_kind": "clip",
        "num_frames": T,
        "fps": 12.0,
        "width": w,
        "height": h,
        "video_bytes": video_bytes,
    }


def test_whole_items_give_one_sample_each_keyed_by_safe_id() -> None:
    plan = make_plan([_row("b-item", 33), _row("a-item", 21)])
    assert [s.sample_key for s in plan.samples] == ["a-item", "b-item"]
    assert [s.window_len for s in plan.samples] == [21, 33]
    assert [s.num_latents for s in plan.samples] == [6, 9]
    assert len(plan.shards) == 1 and plan.shards[0].shard_id == "train-64x48-full-000000"
    assert [s.sample_key for s in plan.shards[0].samples] == ["a-item", "b-item"]


def test_window_counts_starts_and_short_items_dropped() -> None:
    assert window_starts(33, 3) == [0, 12, 24]
    assert window_starts(33, 3, stride_latents=1) == [0, 4, 8, 12, 16, 20, 24]
    cfg = PlanConfig(window_latents=3)  # 9 frames
    plan = make_plan([_row("x", 33), _row("y", 21), _row("z", 9), _row("short", 5)], cfg)
    by_item: dict[str, list] = {}
    for s in plan.samples:
        by_item.setdefault(s.item_id, []).append(s)
    assert [s.window_start for s in by_item["x"]] == [0, 12, 24]
    assert [s.sample_key for s in by_item["y"]] == ["y_w000000", "y_w000012"]
    assert len(by_item["z"]) == 1 and by_item["z"][0].status == "ok"
    (short,) = by_item["short"]
    assert short.status == "dropped" and short.drop_reasons == (SHORTER_THAN_WINDOW,)
    assert short.shard_id is None
    assert all(s.window_len == 9 and s.num_latents == 3 for s in plan.samples if s.status == "ok")
    assert {sh.group for sh in plan.shards} == {"train-64x48-f9"}


def test_keys_are_sanitised_and_collisions_fail_the_later_item() -> None:
    plan = make_plan([_row("a.b", 9), _row("a_b", 9), _row("../x y/z", 9)])
    keys = {s.item_id: s for s in plan.samples}
    assert keys["../x y/z"].sample_key == "x_y_z" == safe_key("../x y/z")
    assert keys["a.b"].sample_key == "a_b" and keys["a.b"].status == "ok"
    assert keys["a_b"].status == "failed" and "collides with item 'a.b'" in keys["a_b"].error
    assert len({s.sample_key for s in plan.samples}) == 3


def test_missing_num_frames_is_a_failed_sample() -> None:
    plan = make_plan([_row("ok", 9), _row("broken", None)])
    bad = next(s for s in plan.samples if s.item_id == "broken")
    assert bad.status == "failed" and "no num_frames" in bad.error
    assert [s.sample_key for sh in plan.shards for s in sh.samples] == ["ok"]


def test_split_is_stable_and_about_the_fraction_and_windows_stay_together() -> None:
    ids = [f"item{i:04d}" for i in range(2000)]
    splits = [split_of(i, 0.1) for i in ids]
    assert splits == [split_of(i, 0.1) for i in ids]
    assert 0.07 < splits.count("val") / len(ids) < 0.13
    assert split_of("x", 0.0) == "train" and split_of("x", 1.0) == "val"
    plan = make_plan([_row(i, 33) for i in ids[:50]], PlanConfig(window_latents=3, val_fraction=0.3))
    for i in ids[:50]:
        assert len({s.split for s in plan.samples if s.item_id == i}) == 1
    assert {sh.split for sh in plan.shards} == {"train", "val"}
    assert all(sh.shard_id.startswith(sh.split + "-") for sh in plan.shards)


def test_groups_by_size_and_caps_by_count_and_bytes_in_key_order() -> None:
    rows = [_row(f"k{i:02d}", 9) for i in range(7)] + [_row("big1", 9, 128, 96), _row("big2", 9, 128, 96)]
    plan = make_plan(rows, PlanConfig(max_samples=3))
    small = [sh for sh in plan.shards if sh.group == "train-64x48-full"]
    assert [len(sh.samples) for sh in small] == [3, 3, 1]
    assert [sh.shard_id for sh in small] == [f"train-64x48-full-{i:06d}" for i in range(3)]
    keys = [s.sample_key for sh in small for s in sh.samples]
    assert keys == sorted(keys)
    assert [len(sh.samples) for sh in plan.shards if sh.group == "train-128x96-full"] == [2]
    one = plan.shards[0].samples[0].est_bytes
    by_bytes = make_plan(rows[:7], PlanConfig(max_bytes=2 * one + 1))
    assert [len(sh.samples) for sh in by_bytes.shards] == [2, 2, 2, 1]
    tiny = make_plan(rows[:2], PlanConfig(max_bytes=1))  # a sample over the cap still gets a shard
    assert [len(sh.samples) for sh in tiny.shards] == [1, 1]
    assert {s.sample_key: s.shard_id for s in plan.samples} == {
        s.sample_key: s.shard_id for s in make_plan(list(reversed(rows)), PlanConfig(max_samples=3)).samples
    }


def test_bad_config_and_duplicate_items_raise() -> None:
    with pytest.raises(ValueError, match="window_latents"):
        PlanConfig(window_latents=0)
    with pytest.raises(ValueError, match="val_fraction"):
        PlanConfig(val_fraction=1.5)
    with pytest.raises(ValueError, match="duplicate item_id"):
        make_plan([_row("a", 9), _row("a", 9)])

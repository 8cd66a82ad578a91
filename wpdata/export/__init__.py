"""Exports of annotated items to other projects' training formats (HY-WorldPlay release JSON)."""

from .hy_worldplay import (
    hy_action_entry,
    hy_action_json,
    hy_pose_json,
    read_hy_worldplay,
    write_hy_dataset_list,
    write_hy_worldplay,
)

__all__ = [
    "hy_action_entry",
    "hy_action_json",
    "hy_pose_json",
    "read_hy_worldplay",
    "write_hy_dataset_list",
    "write_hy_worldplay",
]

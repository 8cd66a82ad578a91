"""Nested training state (optimizer/scheduler state dicts, RNG states, extras) <-> JSON + tensors.

Checkpoints must load without unpickling: tensors go to a flat dict (saved as safetensors) and are
replaced in the tree by ``{"__tensor__": key}``; the rest must be JSON types. Tuples, dicts with
non-string keys (optimizer state is keyed by int) and numpy arrays are tagged so they come back as
they were. Anything else raises TypeError naming where it was found.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

TENSOR, TUPLE, ITEMS, NDARRAY, FLOAT = "__tensor__", "__tuple__", "__items__", "__ndarray__", "__float__"


def encode_state(obj: Any, tensors: dict[str, torch.Tensor], path: str = "state") -> Any:
    """JSON-able tree of ``obj``; its tensors are added to ``tensors`` under dotted path keys."""
    if isinstance(obj, torch.Tensor):
        tensors[path] = obj.detach().to("cpu").contiguous().clone()
        return {TENSOR: path}
    if isinstance(obj, np.ndarray):
        return {NDARRAY: obj.tolist(), "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return {FLOAT: repr(obj)}  # strict JSON has no inf/nan
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, tuple):
        return {TUPLE: [encode_state(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode_state(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not ({TENSOR, TUPLE, ITEMS, NDARRAY, FLOAT} & set(obj)):
            return {k: encode_state(v, tensors, f"{path}.{k}") for k, v in obj.items()}
        return {
            ITEMS: [
                [encode_state(k, tensors, f"{path}.k{i}"), encode_state(v, tensors, f"{path}.{i}")]
                for i, (k, v) in enumerate(obj.items())
            ]
        }
    raise TypeError(f"{path}: cannot store {type(obj).__name__} in a checkpoint without pickle")


def decode_state(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of ``encode_state``."""
    if isinstance(tree, list):
        return [decode_state(v, tensors) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if TENSOR in tree:
        key = tree[TENSOR]
        if key not in tensors:
            raise KeyError(f"checkpoint state refers to tensor {key!r} that is not in its tensor file")
        return tensors[key]
    if TUPLE in tree:
        return tuple(decode_state(v, tensors) for v in tree[TUPLE])
    if ITEMS in tree:
        return {_hashable(decode_state(k, tensors)): decode_state(v, tensors) for k, v in tree[ITEMS]}
    if NDARRAY in tree:
        return np.asarray(tree[NDARRAY], dtype=tree["dtype"])
    if FLOAT in tree:
        return float(tree[FLOAT])
    return {k: decode_state(v, tensors) for k, v in tree.items()}


def _hashable(k: Any) -> Any:
    return tuple(_hashable(v) for v in k) if isinstance(k, (list, tuple)) else k

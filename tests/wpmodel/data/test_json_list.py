"""JsonList: the lazily parsed metadata of an indexed batch behaves as the per-sample path's list."""

import json
import pickle

from wpmodel.data.json_list import JsonList


def test_json_list_reads_as_the_list_of_dicts() -> None:
    dicts = [{"item_id": "a", "fps": 24.0}, None, {"item_id": "c", "scores": {"x": 1}}]
    blobs = [json.dumps(d).encode() if d is not None else b"" for d in dicts]
    meta = JsonList(blobs)
    assert len(meta) == 3 and meta._parsed is None  # nothing parsed until read
    assert meta == dicts and dicts == meta and meta != dicts[:2]
    assert meta[0]["item_id"] == "a" and meta[1] is None and meta[-1]["scores"] == {"x": 1}
    assert meta[1:] == dicts[1:] and list(meta) == dicts
    again = pickle.loads(pickle.dumps(meta))  # DataLoader workers send batches pickled
    assert isinstance(again, JsonList) and again == dicts and again == meta
    assert (meta == 3) is False and repr(meta) == repr(dicts)

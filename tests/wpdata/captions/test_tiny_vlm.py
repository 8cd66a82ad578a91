"""build_tiny_vlm: saves a LLaVA folder that loads offline through the Auto classes and generates."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from transformers import AutoModelForImageTextToText, AutoProcessor

from wpdata.captions.tiny_vlm import build_tiny_vlm


def test_builds_loads_offline_and_generates(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = build_tiny_vlm(tmp_path / "tiny", seed=0)
    names = {p.name for p in path.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "processor_config.json"} <= names
    assert not any(n.startswith(".") for n in names), "no temp files left behind"
    processor = AutoProcessor.from_pretrained(path)
    model = AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32)
    assert type(model).__name__ == "LlavaForConditionalGeneration"
    assert processor.tokenizer.convert_tokens_to_ids("<image>") == model.config.image_token_index
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe."}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert "<image>" in text and text.endswith("ASSISTANT:")
    image = Image.fromarray(np.full((40, 60, 3), 128, np.uint8))
    inputs = processor(text=[text], images=[[image]], return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_same_seed_same_weights_other_seed_differs(tmp_path):
    a = build_tiny_vlm(tmp_path / "a", seed=0)
    b = build_tiny_vlm(tmp_path / "b", seed=0)
    c = build_tiny_vlm(tmp_path / "c", seed=1)
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()
    wa, wb, wc = (AutoModelForImageTextToText.from_pretrained(p).state_dict() for p in (a, b, c))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)

"""A tiny random-weight LLaVA saved as a local model folder: the offline stand-in for a real VLM in tests.

`build_tiny_vlm` trains a byte-level BPE tokenizer (the `tokenizers` library) on a small built-in
English corpus, wraps it as a `PreTrainedTokenizerFast` with `<image>`, pad, bos and eos tokens,
pairs it with a `CLIPImageProcessorPil` (no torchvision needed) in a `LlavaProcessor` carrying a chat
template, and builds a `LlavaForConditionalGeneration` with a 2-layer CLIP vision tower (32 px
images, 16 px patches -> 4 image tokens per image) and a 2-layer Llama decoder. Everything is saved
with `save_pretrained` (into a temp folder, then each file written atomically) and loads back offline through `AutoProcessor` / `AutoModelForImageTextToText`;
it generates gibberish, which is all a test of the captioning plumbing needs. Same seed -> same
weights and tokenizer (so greedy outputs are reproducible); builds in about a second.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    CLIPVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

from manifests.atomic import atomic_write_bytes

__all__ = ["TINY_IMAGE_SIZE", "build_tiny_vlm"]

TINY_IMAGE_SIZE = 32  # pixels per side the image processor resizes / crops to
TINY_PATCH = 16
VOCAB_SIZE = 512
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>", "<image>"]

# A chat template in the style of LLaVA-1.5 ("USER: <image>... prompt ASSISTANT:"), images first.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}USER: {% else %}ASSISTANT: {% endif %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'image' %}<image>\n{% endif %}{% endfor %}"
    "{% for item in message['content'] %}{% if item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}"
    "{% endif %}"
    "{% if message['role'] == 'user' %} {% else %}</s>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)

_CORPUS = """\
A camera walks forward along a quiet street lined with trees and parked cars.
The camera turns left at a corner and a row of brick houses comes into view.
A drone flies over a green field, then rises above a river and a small bridge.
Sunlight falls on a stone courtyard; the camera pans right across a fountain.
Indoors, a hallway with white walls leads to a bright room with tall windows.
The camera moves backward slowly while looking at a red door in a grey wall.
A forest path winds between tall pine trees; the view tilts up toward the sky.
At night the city is dark, with yellow street lights and blue shop signs.
The scene shows a sandy beach, blue water and a few people walking by.
A market square with colourful stalls; the camera strafes right past them.
Snow covers the mountains in the distance while the camera stays still.
The room has a wooden floor, a table in the middle and shelves on the left.
"""


def _train_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE trained on the built-in corpus (deterministic: single pass, fixed order)."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS.splitlines(), trainer=trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_special_tokens={"image_token": "<image>"},
        padding_side="left",
        model_max_length=512,
    )


def _build_model(tokenizer: PreTrainedTokenizerFast, seed: int) -> LlavaForConditionalGeneration:
    """Random-weight LLaVA with a tiny CLIP vision tower and a tiny Llama decoder."""
    vision = CLIPVisionConfig(
        image_size=TINY_IMAGE_SIZE,
        patch_size=TINY_PATCH,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        projection_dim=32,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def build_tiny_vlm(out_dir: str | os.PathLike, seed: int = 0) -> Path:
    """Build and save a tiny random LLaVA (model, tokenizer, processor) under `out_dir`; returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer(VOCAB_SIZE)
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": TINY_IMAGE_SIZE},
        crop_size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE},
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=TINY_PATCH,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # the CLS token the vision tower adds (dropped by "default")
        chat_template=CHAT_TEMPLATE,
    )
    model = _build_model(tokenizer, seed)
    with tempfile.TemporaryDirectory(dir=out, prefix=".tiny_vlm.") as tmp:
        processor.save_pretrained(tmp)
        model.save_pretrained(tmp)
        for file in sorted(Path(tmp).rglob("*")):  # each file appears under its final name complete
            if file.is_file():
                atomic_write_bytes(out / file.relative_to(tmp), file.read_bytes())
    return out

"""Streaming generation with memory (issue 7): chunk by chunk, the reconstituted context rebuilt every
chunk and written into a fresh KV cache, decoded and written to mp4 as each chunk finishes.

Modules: ``stream`` (StreamingGenerator, ChunkRecord), ``video`` (first_chunk_latents,
StreamingDecoder, Mp4Stream, frames_for_latents).
"""

from wpmodel.generate.stream import ChunkRecord, StreamingGenerator
from wpmodel.generate.video import Mp4Stream, StreamingDecoder, first_chunk_latents, frames_for_latents

__all__ = [
    "ChunkRecord",
    "Mp4Stream",
    "StreamingDecoder",
    "StreamingGenerator",
    "first_chunk_latents",
    "frames_for_latents",
]

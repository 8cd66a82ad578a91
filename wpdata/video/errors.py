"""The one error type raised by every failure of `wpdata.video`."""

from __future__ import annotations

from pathlib import Path


class VideoError(Exception):
    """A video (or image sequence) that cannot be probed, decoded, encoded or trimmed.

    The message always names the file and says what is wrong, e.g.
    ``"clip.mp4: truncated: decoded 10 of 20 frames"``; `path` and `reason` hold the two parts.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # keep the exception picklable (Ray ships errors between processes)
        return (type(self), (self.path, self.reason))

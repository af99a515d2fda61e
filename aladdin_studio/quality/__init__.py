"""Quality verification of generated clips (numpy/OpenCV/PyAV, no Qt).

``verify_video(path, VerifyParams(...))`` decodes a clip once and scores it: duration,
resolution, frame rate, bitrate, character/location consistency against reference pictures,
start/end frames, motion quality and visual clarity (the design doc's ``QualityCheck`` and
``VideoQualityResult``), with issues and suggestions a user can act on.
"""

from .consistency import DnnEmbeddingScorer, EmbeddingScorer, ReferenceError
from .decode import UnreadableClipError, decode_clip
from .result import CHECK_TYPES, THRESHOLD, Finding, QualityCheck, VideoQualityResult
from .verify import DEFAULT_WEIGHTS, VerifyParams, params_for_request, parse_weights, verify_video

__all__ = [
    "CHECK_TYPES",
    "DEFAULT_WEIGHTS",
    "THRESHOLD",
    "DnnEmbeddingScorer",
    "EmbeddingScorer",
    "Finding",
    "QualityCheck",
    "ReferenceError",
    "UnreadableClipError",
    "VerifyParams",
    "VideoQualityResult",
    "decode_clip",
    "params_for_request",
    "parse_weights",
    "verify_video",
]

"""Character voices, dialogue, subtitles and sound effects (no Qt)."""

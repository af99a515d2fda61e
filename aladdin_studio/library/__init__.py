"""The media collection and the Brain (relationships between media, characters, scenes)."""

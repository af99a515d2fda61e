"""The scene director: a brief becomes a generated, verified, voiced, assembled scene."""

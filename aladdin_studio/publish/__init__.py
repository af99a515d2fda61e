"""Publishing renders and media to R2 (S3 API) or a local publish folder (no Qt)."""

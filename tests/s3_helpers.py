"""Helpers for the publish tests (a module of its own: test modules of different folders
importing ``conftest`` would get each other's)."""

from __future__ import annotations

from pathlib import Path

# Credentials the tests look for in everything written (moto accepts any).
ACCESS_KEY_ID = "AKIAH5TESTKEY7Q3ZXYW"
SECRET_KEY = "h5-secret/Zq8vN2mK4pL7rT9wX1yB3cD5fG6hJ0"


def r2_settings(endpoint: str, bucket: str, **extra):
    from aladdin_studio.config import Settings

    return Settings(r2_endpoint_url=endpoint, r2_access_key_id=ACCESS_KEY_ID,
                    r2_secret_access_key=SECRET_KEY, r2_bucket_name=bucket, **extra)


def random_file(path: Path, size: int, seed: int = 1) -> Path:
    import random

    rnd = random.Random(seed)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 1 << 20)
            fh.write(rnd.randbytes(n))
            left -= n
    return path

"""A real S3 server on 127.0.0.1 (moto's ThreadedMotoServer) for every publish test, R2
settings pointing at it (one fresh bucket per test), and the fault proxy."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))

from bolt_server import bolt_server  # noqa: E402, F401  (fixture)
from netproxy import TcpProxy  # noqa: E402
from s3_helpers import ACCESS_KEY_ID, SECRET_KEY  # noqa: E402


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server: str) -> str:
    import boto3

    name = f"h5-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_KEY)
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(s3_server: str):
    """A plain boto3 client straight to the server (the test's own view of the store)."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_KEY)


@pytest.fixture
def proxy_to(s3_server: str):
    """``proxy_to(decide, stall_s=...)``: a fault proxy in front of the S3 server."""
    import socket
    from urllib.parse import urlsplit

    host = urlsplit(s3_server)
    proxies: list[TcpProxy] = []

    def make(decide, stall_s: float = 3.0) -> TcpProxy:
        proxy = TcpProxy(lambda: socket.create_connection((host.hostname, host.port), 5),
                         decide=decide, stall_s=stall_s)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir for this test (publish folder, library, logs)."""
    root = tmp_path / "xdg"
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(root / var.lower()))
    for var in ("R2_ACCOUNT_ID", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_ENDPOINT_URL",
                "R2_BUCKET_NAME", "R2_PUBLIC_DOMAIN", "MONGODB_URI", "NEO4J_URI"):
        monkeypatch.delenv(var, raising=False)
    return root


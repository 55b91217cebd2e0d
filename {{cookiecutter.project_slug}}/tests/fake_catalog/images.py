"""Small real PNG images for the seeded catalogue, drawn when downloaded.

Written with zlib and struct rather than an imaging library: the fake PIM needs only a flat
colour with a darker band, and the generated project should not depend on Pillow for it.
"""

import hashlib
import struct
import zlib

SIZE = 32


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_for(code: str) -> bytes:
    """A 32x32 RGB PNG whose colours follow from ``code`` (the same code, the same bytes)."""
    red, green, blue = hashlib.sha256(code.encode()).digest()[:3]
    light = bytes((red | 0x40, green | 0x40, blue | 0x40))
    dark = bytes((red // 2, green // 2, blue // 2))
    rows = b"".join(
        b"\x00" + (dark if SIZE // 3 <= y < 2 * SIZE // 3 else light) * SIZE for y in range(SIZE)
    )
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )

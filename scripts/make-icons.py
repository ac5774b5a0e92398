#!/usr/bin/env python3
"""Draws the app icon (a hub with three guests) as RGBA PNGs in src-tauri/icons/, with no image library."""
import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src-tauri" / "icons"
INDIGO, WHITE, AMBER, GREEN, PINK = (79, 70, 229), (255, 255, 255), (245, 158, 11), (16, 185, 129), (236, 72, 153)


def pixel(x, y):
    """Colour of the point (x, y) in a unit square, or None for transparent."""
    r = 0.2  # corner radius of the tile
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    if math.hypot(x - cx, y - cy) > r:
        return None
    d = math.hypot(x - 0.5, y - 0.5)
    for (gx, gy, colour) in ((0.5, 0.2, AMBER), (0.24, 0.68, GREEN), (0.76, 0.68, PINK)):
        if math.hypot(x - gx, y - gy) < 0.085:
            return colour
    if d < 0.12 or 0.2 < d < 0.27:
        return WHITE
    return INDIGO


def png(size, path):
    sub = 4  # supersampling per axis
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            acc, hits = [0, 0, 0], 0
            for sj in range(sub):
                for si in range(sub):
                    c = pixel((i + (si + 0.5) / sub) / size, (j + (sj + 0.5) / sub) / size)
                    if c:
                        hits += 1
                        acc = [a + b for a, b in zip(acc, c)]
            alpha = round(255 * hits / (sub * sub))
            rgb = [round(a / hits) for a in acc] if hits else [0, 0, 0]
            row += bytes(rgb + [alpha])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


OUT.mkdir(parents=True, exist_ok=True)
for size, name in ((32, "32x32.png"), (128, "128x128.png"), (256, "128x128@2x.png"), (512, "icon.png")):
    png(size, OUT / name)
    print(OUT / name)

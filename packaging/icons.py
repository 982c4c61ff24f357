"""Render Plugboard's icon (drawn in code by plugboard.gui.icons) into the files each system's package wants.

    QT_QPA_PLATFORM=offscreen python packaging/icons.py OUT_DIR

OUT_DIR/hicolor/<N>x<N>/apps/plugboard.png (Linux, freedesktop icon theme sizes), OUT_DIR/plugboard.ico (Windows:
PNG images in one ICO, the format Windows Vista and later read) and OUT_DIR/plugboard.icns (macOS: PNG images under
their ICNS type codes). Both containers are written here rather than by Qt's image plugins, which store one image
per file.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication

HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS type codes holding PNG data, by pixel size (Apple's icns format: icp4..ic10).
ICNS_TYPES = (
    (16, b"icp4"),
    (32, b"icp5"),
    (64, b"icp6"),
    (128, b"ic07"),
    (256, b"ic08"),
    (512, b"ic09"),
    (1024, b"ic10"),
)


def png(size: int) -> bytes:
    from plugboard.gui.icons import _draw

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    _draw(size, "#2e9d4c").save(buffer, "PNG")
    return bytes(data.data())


def ico(images: list[tuple[int, bytes]]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, payload = b"", b""
    for size, data in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def icns(images: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(kind + struct.pack(">I", len(data) + 8) + data for kind, data in images)
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main() -> int:
    out = Path(sys.argv[1])
    _app = QGuiApplication(sys.argv[:1])
    for size in HICOLOR_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / "plugboard.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png(size))
    (out / "plugboard.ico").write_bytes(ico([(size, png(size)) for size in ICO_SIZES]))
    (out / "plugboard.icns").write_bytes(icns([(kind, png(size)) for size, kind in ICNS_TYPES]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

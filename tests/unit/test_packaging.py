"""Pieces of the packaging that run here without a build: the deferred runtime hooks (packaging/pyinstaller) and the
icon containers (packaging/icons.py). The built package itself is tested by packaging/linux/smoke.sh."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "packaging" / "pyinstaller" / "deferred_rthooks.py"
# A fresh interpreter starts in well under a second; 60 s is a machine under heavy load.
SUBPROCESS_TIMEOUT_S = 60.0

PROBE = """
import sys
exec(compile(open(sys.argv[1]).read(), "rthook", "exec"), {"__name__": "__main__"})
print("before:", "colorsys" in sys.modules, "wave" in sys.modules)
import colorsys
print("patched:", getattr(colorsys, "PATCHED", None), colorsys.rgb_to_hsv(1, 0, 0))
import colorsys as again
print("once:", again.PATCHED_COUNT)
print("finder left:", any(type(f).__name__ == "_RunHookAfterImport" for f in sys.meta_path))
import wave
print("wave:", wave.PATCHED)
print("finder gone:", not any(type(f).__name__ == "_RunHookAfterImport" for f in sys.meta_path))
"""


def test_a_deferred_hook_runs_once_right_after_its_module_is_first_imported(tmp_path):
    hooks = {
        "colorsys": "import colorsys\ncolorsys.PATCHED = True\ncolorsys.PATCHED_COUNT = getattr(colorsys, 'PATCHED_COUNT', 0) + 1\n",
        "wave": "import wave\nwave.PATCHED = 'yes'\n",
    }
    hook = tmp_path / "pyi_rth_plugboard_deferred.py"
    hook.write_text(
        TEMPLATE.read_text().replace("_DEFERRED: dict[str, str] = {}", f"_DEFERRED: dict[str, str] = {hooks!r}")
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(hook)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "before: False False",
        "patched: True (0.0, 1.0, 1)",
        "once: 1",
        "finder left: True",
        "wave: yes",
        "finder gone: True",
    ]


def test_the_icon_containers_hold_every_size_as_png():
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import icons
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    png = b"\\x89PNG fake"
    data = icons.ico([(16, png), (256, png + b"!")])
    assert struct.unpack("<HHH", data[:6]) == (0, 1, 2)
    width, _h, _c, _r, _planes, _bpp, size, offset = struct.unpack("<BBBBHHII", data[6:22])
    assert (width, size, data[offset : offset + size]) == (16, len(png), png)
    width, *_rest, size, offset = struct.unpack("<BBBBHHII", data[22:38])
    assert (width, data[offset : offset + size]) == (0, png + b"!")  # 0 means 256

    mac = icons.icns([(b"ic07", png)])
    assert mac[:4] == b"icns" and struct.unpack(">I", mac[4:8])[0] == len(mac)
    assert mac[8:12] == b"ic07" and mac[16:] == png


def test_every_package_in_the_source_is_listed_for_installation():
    """pyproject.toml names its packages one by one: a new package left out installs (and freezes) without it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    source = ROOT / "desktop"
    found = {
        ".".join(init.parent.relative_to(source).parts)
        for init in source.rglob("__init__.py")
        if "__pycache__" not in init.parts and "egg-info" not in str(init)
    }
    assert found - listed == set()

"""dmgbuild settings for Plugboard's disk image (packaging/macos/build.sh runs `dmgbuild -s THIS -D app=PATH ...`).

The image holds the app and a link to /Applications: the user drags one onto the other. Running the app straight
from the image (or from Downloads) makes macOS translocate it; Plugboard then refuses to write anything and says to
move it to Applications (core/install.py).
"""

import os.path

# `defines` is given by dmgbuild (-D key=value).
application = defines.get("app", "dist/Plugboard.app")  # noqa: F821
appname = os.path.basename(application)

format = "UDZO"  # zlib-compressed, readable by every supported macOS
size = None  # dmgbuild measures the files
files = [application]
symlinks = {"Applications": "/Applications"}
icon = defines.get("icon")  # noqa: F821 - the volume icon (plugboard.icns)
default_view = "icon-view"
show_status_bar = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
window_rect = ((200, 120), (560, 320))
icon_size = 112
icon_locations = {appname: (140, 150), "Applications": (420, 150)}

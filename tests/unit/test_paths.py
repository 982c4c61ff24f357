from plugboard.core.paths import plugboard_dirs


def test_plugboard_home_moves_every_folder_under_it(isolated_home):
    dirs = plugboard_dirs()
    assert {dirs.config.parent, dirs.state.parent, dirs.logs.parent} == {isolated_home}


def test_folders_plugboard_creates_are_private_parents_included(tmp_path):
    import stat

    from plugboard.core.paths import ensure_dir

    ensure_dir(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700

from plugboard.core.paths import plugboard_dirs


def test_plugboard_home_moves_every_folder_under_it(isolated_home):
    dirs = plugboard_dirs()
    assert {dirs.config.parent, dirs.state.parent, dirs.logs.parent} == {isolated_home}

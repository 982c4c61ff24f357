"""Run some of PyInstaller's runtime hooks when their module is first imported, not at every start.

PyInstaller runs each runtime hook before the program's own code. Three of them only patch a standard module so it
works frozen (`inspect.getsourcefile`, `pkgutil.iter_modules`, multiprocessing's spawn), yet each imports that module
to do it: measured here, `inspect` (with the `zipfile` read of base_library.zip), `multiprocessing` and `pkgutil`
cost ~30 ms of every `plugboard run` start, for modules the launcher never uses. The spec (packaging/plugboard.spec)
takes those hooks out of the command's start-up list and puts this file, with their sources filled in, in their
place: a finder on `sys.meta_path` lets the module load as usual, then runs the original hook's code once. A program
that imports `inspect` gets exactly the patched module it would have had.

`_DEFERRED` is replaced at build time by {module name: hook source}.
"""

import sys

_DEFERRED: dict[str, str] = {}


class _RunHookAfterImport:
    """A meta-path finder that never finds anything itself: it wraps the real loader of a watched module."""

    def find_spec(self, name, path=None, target=None):
        if name not in _DEFERRED:
            return None
        source = _DEFERRED.pop(name)
        if not _DEFERRED:
            sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module, _original=original_exec, _source=source, _name=name):
            _original(module)
            sys.modules[_name] = module  # the hook imports the module by name: let it find this one
            # The hook's own source, taken from PyInstaller at build time (the spec), run as PyInstaller would.
            exec(compile(_source, f"<deferred runtime hook for {_name}>", "exec"), {"__name__": "__pyi_rth__"})  # noqa: S102

        # The loader object may be shared with other modules (PyInstaller's one frozen loader): wrap per spec.
        spec.loader = _LoaderWithHook(loader, exec_module)
        return spec


class _LoaderWithHook:
    def __init__(self, loader, exec_module):
        self._loader = loader
        self.exec_module = exec_module

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def __getattr__(self, attribute):
        return getattr(self._loader, attribute)


if _DEFERRED:
    sys.meta_path.insert(0, _RunHookAfterImport())

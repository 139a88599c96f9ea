"""Run a PyNN script that picks its simulator by name (``pyNN.utility.get_simulator``, as
PyNN's examples do) on nbbrain, unchanged::

    python -m nbbrain.pynn.script VAbenchmarks.py nbbrain COBA

makes ``pyNN.nbbrain`` this backend, then runs the script as ``__main__`` with the
arguments that follow it.
"""

import runpy
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        raise SystemExit("usage: python -m nbbrain.pynn.script SCRIPT.py nbbrain [ARGS...]")
    import pyNN

    from nbbrain import pynn

    sys.modules["pyNN.nbbrain"] = pynn
    pyNN.nbbrain = pynn
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main()

"""The `mlops` entry point tunes garbage collection for a short command that imports large SDKs."""

import atexit
import gc


def test_the_command_collects_young_objects_rarely(mlops):
    default = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        code, _, _ = mlops("--help")
        assert code == 0
        assert gc.get_threshold()[0] == 50_000
    finally:
        gc.set_threshold(*default)
        atexit.unregister(gc.freeze)  # this test process keeps collecting until it ends

"""Imports every module of a generated Python package (the partner-contract check, run.sh).

A module that fails to import (a NameError in generated code, a missing model) is listed with its
error, and the exit code is 1.
"""

import importlib
import pkgutil
import sys
import traceback


def main(package_name: str) -> int:
    package = importlib.import_module(package_name)
    names = [m.name for m in pkgutil.walk_packages(package.__path__, package_name + ".")]
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            line = traceback.extract_tb(exc.__traceback__)[-1]
            failed.append(f"{name}: {type(exc).__name__}: {exc} ({line.filename}:{line.lineno})")
    print(f"{len(names) - len(failed)} of {len(names)} modules of {package_name} import")
    for f in failed:
        print(f"  does not import: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

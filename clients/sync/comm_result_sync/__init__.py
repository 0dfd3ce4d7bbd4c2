"""comm-result-sync: keep a PostgreSQL table in step with the outbound batch
results API, through comm_result's checked load."""

import os


def _version():
    # In a package, debian/rules writes _version.py; in the checkout, the
    # release's version is META.json's (the one place it is written).
    try:
        from ._version import VERSION
        return VERSION
    except ImportError:
        pass
    meta = os.path.join(os.path.dirname(__file__), "..", "..", "..", "META.json")
    try:
        import json
        with open(meta, encoding="utf-8") as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


__version__ = _version()

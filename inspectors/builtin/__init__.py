"""Built-in inspectors; importing this package registers them like a user's own."""

import importlib

for _module in ("length", "web_domain", "language", "topic", "tokens"):
    try:
        importlib.import_module(f"inspectors.builtin.{_module}")
    except ModuleNotFoundError as error:
        if error.name != f"inspectors.builtin.{_module}":
            raise

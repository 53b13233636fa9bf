"""Built-in inspectors; importing this package registers them like a user's own."""

from inspectors.builtin import language, length, tokens, topic, web_domain  # noqa: F401
from inspectors.builtin import language_v2  # noqa: F401

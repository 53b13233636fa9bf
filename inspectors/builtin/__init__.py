"""Built-in inspectors; importing this package registers them like a user's own."""

from inspectors.builtin import language, language_v2, length, tokens, topic, topic_v2, web_domain  # noqa: F401

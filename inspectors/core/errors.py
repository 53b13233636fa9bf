"""Errors named for what the runner does with them.

``BadInput`` is the user's to fix (exit code 2); ``RuntimeFailure`` is ours or the environment's
(exit code 1); ``ShardError`` fails one shard while the others finish.
"""


class CorpuscopeError(Exception):
    """Base of every error corpuscope reports to a user as a one-line message."""

    exit_code = 1


class BadInput(CorpuscopeError):
    """The user's input is wrong: a missing file, a malformed query, an unknown name."""

    exit_code = 2


class QueryRefused(BadInput):
    """The SQL sandbox refused a statement (not one read-only SELECT, or a read outside the corpus views),
    as opposed to the query's own error (a typo, a timeout)."""


class RuntimeFailure(CorpuscopeError):
    """Something failed while running that the input did not cause."""

    exit_code = 1


class ShardError(CorpuscopeError):
    """One shard could not be read (corrupt, truncated, not the format it claims); the others go on.

    A shard that cannot be read is bad input (exit code 2); an inspector that crashes on a readable
    shard is a runtime failure and is reported as such by the engine.
    """

    exit_code = 2

    def __init__(self, shard: str, reason: str):
        super().__init__(f"shard {shard}: {reason}")
        self.shard = shard
        self.reason = reason

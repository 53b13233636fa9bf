"""The ``corpuscope`` command: one click group; each subcommand lives in its own module."""

from __future__ import annotations

import os
import sys

import click

import inspectors
from inspectors.core.errors import CorpuscopeError


class CorpuscopeGroup(click.Group):
    """A click group that turns corpuscope errors into one-line messages and their exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CorpuscopeError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(error.exit_code)
        except UnicodeDecodeError as error:
            # open(...).read() does not say which file: the commands name it where they can; this is the net.
            click.echo(f"Error: a file is not UTF-8 text ({error.reason} at byte {error.start})", err=True)
            sys.exit(2)
        except BrokenPipeError:
            # The reader went away (`corpuscope … | head`): nothing is wrong with the input, so no "Error:"
            # line and not exit 2; the shell's code for a process stopped by SIGPIPE, and stdout is pointed
            # at /dev/null so the interpreter's final flush does not raise again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as error:
            # A path the user gave that cannot be written or read (a missing folder, a folder where a file
            # belongs): one line naming it instead of a traceback.
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"Error: {where}{error.strerror or error}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted; finished shards stay cached, re-run to resume.", err=True)
            sys.exit(130)


@click.group(cls=CorpuscopeGroup)
@click.version_option(inspectors.__version__, prog_name="corpuscope")
def main():
    """corpuscope: measure what open LLMs saw in training."""
    from inspectors.core.allocator import tune_allocator

    tune_allocator()  # this process is a corpuscope command (opt out with CORPUSCOPE_MALLOC_TUNING=0)


def _register() -> None:
    from inspectors.cli import (app_cmd, catalogue_cmds, contamination_cmd, docs_cmd, eval_cmds, exposure_cmd,
                                finding_cmd, inspectors_cmd, plan_cmd, profile_cmd, query_cmds, sql_cmd)

    main.add_command(profile_cmd.profile)
    main.add_command(sql_cmd.sql)
    main.add_command(plan_cmd.plan)
    main.add_command(app_cmd.app)
    main.add_command(catalogue_cmds.corpus)
    main.add_command(catalogue_cmds.models)
    main.add_command(query_cmds.query)
    main.add_command(inspectors_cmd.inspectors_group)
    main.add_command(finding_cmd.finding)
    main.add_command(eval_cmds.attach)
    main.add_command(eval_cmds.report)
    main.add_command(docs_cmd.docs)
    main.add_command(exposure_cmd.exposure)
    main.add_command(contamination_cmd.contamination)


_register()

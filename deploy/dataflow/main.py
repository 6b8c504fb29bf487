"""Dataflow Flex Template entry point (FLEX_TEMPLATE_PYTHON_PY_FILE): the ingest CLI, streaming.

The template launcher calls this file with the template parameters as ``--name=value``
plus Dataflow's own options (project, region, temp location, template location).
The template is a streaming one, so ``--streaming`` is added unless given.
"""

import logging
import sys

from pipelines.ingest import run


def template_argv(argv: list[str]) -> list[str]:
    """The launcher's arguments with ``--streaming`` ensured."""
    if any(arg == "--streaming" or arg.startswith("--streaming=") for arg in argv):
        return list(argv)
    return [*argv, "--streaming"]


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    sys.exit(run(template_argv(sys.argv[1:])))

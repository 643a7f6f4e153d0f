"""The progress bar: shown on a terminal, erased when done, absent in pipes and with --quiet."""

from __future__ import annotations

import argparse
import io

from depmin.cli.output import Output


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _output(err: io.StringIO, *, quiet: bool = False) -> Output:
    args = argparse.Namespace(quiet=quiet, verbose=False, format="text")
    return Output(args, io.StringIO(), err)


def test_progress_on_a_terminal_erases_itself() -> None:
    err = Tty()
    show = _output(err).progress("scanning")
    assert show is not None
    show("NLUAgent", 1, 2)
    assert "scanning [############............] 1/2 NLUAgent" in err.getvalue()
    show("Responder", 2, 2)
    assert err.getvalue().endswith("\r" + " " * 100 + "\r")


def test_no_progress_in_a_pipe_or_with_quiet() -> None:
    assert _output(io.StringIO()).progress("scanning") is None
    assert _output(Tty(), quiet=True).progress("scanning") is None

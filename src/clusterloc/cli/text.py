"""Text from inputs, made safe to print on a terminal.

Names, ids and error messages come from users' files; printed through rich they could
be read as markup (``[bold]`` would vanish, ``[/]`` could raise) and control characters
(ANSI escapes, carriage returns, bells) could rewrite the terminal. :func:`plain`
neutralises both: markup is escaped so that it prints literally, and every control
character is shown as a visible escape (``\\x1b``).
"""

from __future__ import annotations

import re

from rich.markup import escape

__all__ = ["plain", "visible_controls"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Show control characters as escapes (``\\x1b``, ``\\n``); other text unchanged.

    Parameters
    ----------
    text
        Any text.
    keep_newlines
        Leave ``\\n`` as a line break (multi-line output); otherwise it is shown as ``\\n``.

    Returns
    -------
    str
        The text with every control character written as a visible escape.
    """

    def show(match: re.Match[str]) -> str:
        char = match.group(0)
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    text = _CONTROL.sub(show, str(text))
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return text


def plain(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` ready for ``console.print``: rich markup escaped, control characters visible.

    Parameters
    ----------
    text
        Anything; it is converted with ``str``.
    keep_newlines
        See :func:`visible_controls`.

    Returns
    -------
    str
        Text that rich prints exactly as written.

    Examples
    --------
    >>> plain("[bold]plant[/]")
    '\\\\[bold]plant\\\\[/]'
    >>> plain("a\\x1b[31mred")
    'a\\\\x1b[31mred'
    """
    return escape(visible_controls(str(text), keep_newlines=keep_newlines))

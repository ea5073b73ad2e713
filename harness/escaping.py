"""Escaping of strings that reach Markdown (HTML and LaTeX have their own escapes:
``html.escape`` and :func:`harness.reports.render.latex_escape`).

:func:`md_escape` makes any string literal text inside a GitHub-flavoured Markdown table cell:

* ``<`` and ``>`` become entities: no raw HTML (``<script>``, ``<svg onload=...>``), no
  ``<javascript:...>`` autolink;
* ``](`` becomes ``]\\(``: no ``[x](javascript:...)`` link or ``![x](...)`` image, while a
  citation such as ``[20]`` stays as it is;
* backslashes and ``|`` are escaped: no cancelled escape, no extra column;
* line breaks become spaces: no broken row.

Emphasis characters (``* _ ~``) are left alone: they cannot run code, and names such as
``cuhk03_np`` stay readable in the source.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\|])")


def md_escape(text: object) -> str:
    """``text`` as literal Markdown table-cell text (see the module docstring)."""
    value = " ".join(str(text).splitlines()) if "\n" in str(text) or "\r" in str(text) else str(text)
    value = _MD_SPECIAL.sub(r"\\\1", value).replace("](", "]\\(")
    return value.replace("<", "&lt;").replace(">", "&gt;")

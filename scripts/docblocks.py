"""The generated blocks of the docs: what the benchmarks and the matrix measured.

Each script that measures something writes its table between its own two
marker lines (HTML comments) in a page of docs/ (docs/results.md unless it
says otherwise); everything else on the page is prose.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "docs", "results.md")


def write_block(start, end, content, path=RESULTS):
    """Replace what ``path`` holds between the markers ``start`` and ``end``."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if start not in text or end not in text:
        sys.exit("%s has no block %s ... %s to write into" % (os.path.relpath(path, ROOT), start, end))
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + start + "\n" + content + "\n" + end + tail)

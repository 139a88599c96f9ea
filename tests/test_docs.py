"""The user guide's Python blocks run, in order, in one namespace (so the guide cannot rot).

``duration_ms=1000`` is shortened to ``duration_ms=50`` to keep the test fast; every other
line runs as written, asserts included.
"""

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "user_guide.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def python_blocks(text):
    return [m.group(1) for m in _BLOCK.finditer(text)]


def test_guide_has_python_blocks():
    blocks = python_blocks(GUIDE.read_text())
    assert len(blocks) >= 5
    assert "import nbbrain as nb" in blocks[0]


def test_guide_blocks_run(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # plots written by the guide land here
    namespace = {"__name__": "__user_guide__"}
    for k, block in enumerate(python_blocks(GUIDE.read_text())):
        code = block.replace("duration_ms=1000", "duration_ms=50")
        try:
            exec(compile(code, f"{GUIDE.name}[block {k}]", "exec"), namespace)
        except Exception as err:  # name the block that failed
            raise AssertionError(f"user guide block {k} failed:\n{block}") from err

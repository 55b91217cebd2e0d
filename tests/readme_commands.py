"""The quick start's two commands, read from README.md so that what is tested is what is shown.

`python3 tests/readme_commands.py test` prints the template's test command (used by .ci/run).
"""

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SHELL_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)


def quick_start_commands(readme: str) -> dict[str, str]:
    """The quick start's commands: {"generate": ..., "test": ...}, one line each."""
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = [block.strip() for block in SHELL_BLOCK.findall(section)]
    if len(blocks) != 2 or any("\n" in block for block in blocks):
        raise ValueError("the quick start must show exactly two one-line bash commands")
    return dict(zip(("generate", "test"), blocks, strict=True))


if __name__ == "__main__":
    print(quick_start_commands(README.read_text())[sys.argv[1]])

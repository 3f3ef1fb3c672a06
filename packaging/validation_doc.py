"""Rewrite docs/validation.md's two tables from ``vramgui-cli validate`` (its prose is kept).

    python packaging/validation_doc.py      # from the repository root, after changing the corpus or the model

The corpus table goes in the first fenced block, the batch sweep's in the second; the batch
sweep's InternLM-20B points (no architecture in models.json) are summed up in one line.
"""

import subprocess
import sys
from pathlib import Path

DOC = Path("docs/validation.md")


def validate(corpus: str) -> list[str]:
    """The table ``vramgui-cli validate CORPUS`` prints, line by line."""
    out = subprocess.run([sys.executable, "-m", "vramgui.cli", "validate", corpus], capture_output=True, text=True,
                         check=True).stdout
    return out.rstrip("\n").split("\n")


def main() -> None:
    lines = DOC.read_text(encoding="utf-8").split("\n")
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    corpus = validate("tests/data/measured/corpus.jsonl")
    batch = validate("tests/data/measured/batch.jsonl")
    intern = [line for line in batch if "internlm-20b" in line]
    if intern:
        batch = [line for line in batch if "internlm-20b" not in line]
        batch.append(f"  (and the {len(intern)} InternLM-20B points: model_ref None has no architecture in "
                     "models.json)")
    out = lines[:fences[0] + 1] + corpus + lines[fences[1]:fences[2] + 1] + batch + lines[fences[3]:]
    DOC.write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()

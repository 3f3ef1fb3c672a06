"""Rewrite docs/validation.md's two tables and the README's summary from ``vramgui-cli validate``
(the prose around them is kept).

    python packaging/validation_doc.py      # from the repository root, after changing the corpus or the model

The corpus table goes in the doc's first fenced block, the batch sweep's in the second, the fine-tuning
corpus's in the third; the batch sweep's InternLM-20B points (no architecture in models.json) are summed up
in one line.  The
README's ``text`` block that starts with the quantity table gets the corpus's two summary tables
(by quantity and by engine), without the list of skipped points.
"""

import subprocess
import sys
from pathlib import Path

DOC = Path("docs/validation.md")
README = Path("README.md")


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
    training = validate("tests/data/measured/training.jsonl")
    out = (lines[:fences[0] + 1] + corpus + lines[fences[1]:fences[2] + 1] + batch + lines[fences[3]:fences[4] + 1]
           + training + lines[fences[5]:])
    DOC.write_text("\n".join(out), encoding="utf-8")
    summary = corpus[next(i for i, line in enumerate(corpus) if line.startswith("quantity ")):
                     next(i for i, line in enumerate(corpus) if line.startswith("skipped"))]
    text = README.read_text(encoding="utf-8")
    start = text.index("```text\nquantity ") + len("```text\n")
    end = text.index("```", start)
    README.write_text(text[:start] + "\n".join(summary).rstrip() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()

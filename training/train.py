"""Train the character-level token classifier and write the shipped model directory.

    python -m training.train training/configs/default.toml [section.key=value ...]

The training itself lives in the package (``gaiml/model/finetune.py``), where ``gaiml train``
fine-tunes with the same loop; this entry point runs it from a config with the repository's
paths (``data/synth``, ``runs/``, ``models/``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gaiml.model.finetune import load_config, train

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    cfg = load_config(argv[0], argv[1:])
    best = train(cfg, REPO)
    print(json.dumps(best, indent=2))


if __name__ == "__main__":
    main()

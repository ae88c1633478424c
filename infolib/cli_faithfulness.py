"""Command line for issue 23: `python -m infolib faithfulness ...` and `python -m infolib export NAME FOLDER`.

Kept out of cli.py (which only registers these two commands) so the commands stay in one place.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from .core.names import parse_layers
from .analysis.faithfulness import DEFAULT_METRICS, LEVELS, METRICS, MODES, REMOVALS
from .export import export_model
from .analysis.faithfulness import faithfulness

COMMANDS = ("faithfulness", "export")


def add_commands(commands) -> None:
    """Register `faithfulness` and `export` on cli.py's subparsers."""

    faith = commands.add_parser(
        "faithfulness",
        help="remove the top-ranked words and measure what the model loses (AOPC, τ-LOO, ...)",
        description="Comprehensiveness, sufficiency, AOPC, τ-LOO and normalised AOPC of a method's word "
        "scores (or your own), for the predicted class; one row per (sentence, layer, metric, threshold). "
        "See docs/faithfulness.md.",
    )
    faith.add_argument("sentences", nargs="*", help="sentences (words separated by spaces)")
    faith.add_argument("--file", help="a text file with one sentence per line (instead of, or besides, SENTENCES)")
    faith.add_argument("--model", default="bert-sst2", help="a classifier: name or Hugging Face folder")
    faith.add_argument("--method", default="information", help="'information' or a baseline (default: information)")
    faith.add_argument(
        "--scores", help="a JSON file of your own scores: per sentence a list (or {layer: lists}); replaces --method"
    )
    faith.add_argument("--layers", default="all", help="'all' or names/indices separated by commas")
    faith.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help=f"comma-separated: {', '.join(METRICS)}")
    faith.add_argument("--mode", choices=MODES, default="ferret")
    faith.add_argument("--removal", choices=REMOVALS, default="delete")
    faith.add_argument("--level", choices=LEVELS, default="word")
    faith.add_argument("--thresholds", help="comma-separated fractions in (0, 1] (default: the mode's)")
    faith.add_argument("--beam-width", type=int, default=5, help="normalised AOPC: beam width beyond 10 words")
    faith.add_argument("--format", choices=["csv", "json"], help="default: from --out's suffix, else csv")
    faith.add_argument("--out", help="file to write (default: standard output)")

    export = commands.add_parser(
        "export", help="write a model as a Hugging Face folder (weights + tokenizer) for other tools"
    )
    export.add_argument("name", help="model name (e.g. bert-sst2) or folder")
    export.add_argument("folder", help="where to write it")


def run(args: argparse.Namespace) -> int:
    if args.command == "export":
        folder = export_model(args.name, args.folder)
        print(f"wrote {args.name} to {folder}: load it with transformers' AutoModelForSequenceClassification")
        return 0
    return _faithfulness(args)


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise ValueError(f"{name} must be numbers separated by commas, got {text!r}.") from None


def _faithfulness(args: argparse.Namespace) -> int:

    sentences = list(args.sentences)
    if args.file:
        sentences += [line.strip() for line in Path(args.file).read_text().splitlines() if line.strip()]
    if not sentences:
        raise ValueError("give sentences, or --file with one sentence per line.")
    source = {"method": args.method}
    if args.scores:
        try:
            source = {"scores": json.loads(Path(args.scores).read_text())}
        except json.JSONDecodeError as error:
            raise ValueError(f"--scores {args.scores} is not JSON ({error}).") from None
    table = faithfulness(
        args.model,
        sentences,
        **source,
        layers=parse_layers(args.layers),
        metrics=[m.strip() for m in args.metrics.split(",") if m.strip()],
        mode=args.mode,
        removal=args.removal,
        level=args.level,
        thresholds=_floats(args.thresholds, "--thresholds") if args.thresholds else None,
        beam_width=args.beam_width,
    )
    kind = args.format or ("json" if args.out and args.out.endswith(".json") else "csv")
    text = table.to_json(orient="records", indent=1) if kind == "json" else table.to_csv(index=False)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        print(f"wrote {len(table)} rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0

"""Command line: `python -m infolib explain "a sentence" --model minilm --layers all`."""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from .core.names import parse_layers
from .core.precision import PRECISIONS
from .api import explain, explain_corpus, load_model
from .core.extras import MissingExtra
from .distributed import RayNotInstalled, WorkerError
from .models import registry as zoo
from .reproduce import reproduce
from .cli_faithfulness import add_commands as add_faithfulness_commands
from .course.build import build
from .cli_faithfulness import run as run_faithfulness_command

EXPLAIN_HELP = """\
Explain which words each layer keeps.

For every word i and hidden state s, infolib finds σ_i, the largest Gaussian noise (std) the
word's embedding can take without changing s, and the entropy H(X̃_i) of the perturbed word in
nats. Larger σ / higher entropy = the layer has FORGOTTEN more of that word; small σ = the layer
keeps the word's information. σ is at most `scale` (10 × the word-embedding std by default).
The table shows first the information kept, −log(σ/scale) in nats per dimension: 0 = the word is
entirely forgotten, larger = kept; then σ and the entropy.
"""

PRECISION_HELP = (
    "float32 (default), or bfloat16: the model runs under bf16 autocast, about twice as fast where the CPU or GPU "
    "has bf16 arithmetic (slower where it has not); σ stays float32"
)
CORPUS_HELP = (
    "text file, one sentence per line, to measure σ_S (each hidden state's spread) on your domain "
    "(default: the 297 sentences shipped with infolib)"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infolib", description="How much of each word's information does each layer keep?"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    explain = commands.add_parser(
        "explain",
        help="per-word σ and entropy for each layer",
        description=EXPLAIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("sentences", nargs="+", help="one or more sentences (words separated by spaces)")
    explain.add_argument("--model", default="minilm", help="model name or Hugging Face folder (default: minilm)")
    explain.add_argument(
        "--layers",
        default="all",
        help="'all' (layer.1 … layer.L) or names/indices separated by commas, e.g. 3,6,pooled",
    )
    explain.add_argument("--format", choices=["table", "json", "csv"], default="table")
    explain.add_argument(
        "--level", choices=["word", "token"], default="word", help="one σ per word (default) or per word piece"
    )
    explain.add_argument("--rate", type=float, default=0.1, help="weight of the entropy term (default 0.1)")
    explain.add_argument("--samples", type=int, default=None, help="noise draws per step (default: automatic)")
    explain.add_argument("--max-steps", type=int, default=200, help="cap on optimisation steps")
    explain.add_argument("--seed", type=int, default=0, help="random_state: same seed, same σ")
    explain.add_argument("--precision", choices=PRECISIONS, default="float32", help=PRECISION_HELP)
    explain.add_argument("--truncate", action="store_true", help="cut over-long sentences instead of failing")
    explain.add_argument("--data-dir", help="data folder (for models trained on SST-2 or CoLA)")
    explain.add_argument("--corpus", metavar="FILE", help=CORPUS_HELP)

    _add_train_arguments(commands.add_parser("train", help="train and cache infolib's models (SST-2, CoLA, reversal)"))

    corpus = commands.add_parser("explain-corpus", help="explain a whole data set, resumably (Ctrl-C and run again)")
    corpus.add_argument("--dataset", default="sst2-dev", help="sst2-dev (default), sst2-train, sst2-test")
    corpus.add_argument("--model", default="minilm")
    corpus.add_argument("--layers", default="all")
    corpus.add_argument("--limit", type=int, help="only the first N sentences")
    corpus.add_argument("--batch-size", type=int, default=8)
    corpus.add_argument("--level", choices=["word", "token"], default="word")
    corpus.add_argument("--seed", type=int, default=0)
    corpus.add_argument("--precision", choices=PRECISIONS, default="float32", help=PRECISION_HELP)
    corpus.add_argument("--out", default="reports/corpus.csv", help="CSV of every (sentence, layer, word)")
    corpus.add_argument("--data-dir")
    corpus.add_argument("--corpus", dest="sigma_s_corpus", metavar="FILE", help=CORPUS_HELP)
    corpus.add_argument(
        "--engine",
        choices=["serial", "ray"],
        default="serial",
        help="serial (default: this process) or ray (worker actors; needs infolib[distributed])",
    )
    corpus.add_argument(
        "--address",
        help="with --engine ray: 'auto' or 'ray://host:port' joins a running cluster "
        "(default: start a local Ray sized to this machine)",
    )
    corpus.add_argument("--workers", type=int, help="with --engine ray: number of workers (default: as many as fit)")
    corpus.add_argument(
        "--gpus-per-worker", type=float, default=0, help="with --engine ray: GPUs per worker (default 0: CPU workers)"
    )

    add_faithfulness_commands(commands)

    reproduce = commands.add_parser(
        "reproduce", help="train/load the models, run notebooks 00-07 and 09, write reports/"
    )
    reproduce.add_argument("--out", default="reports")
    reproduce.add_argument("--smoke", action="store_true", help="tiny models and few steps, for a quick check")
    reproduce.add_argument("--data-dir")
    reproduce.add_argument(
        "--deep",
        action="store_true",
        help="also the 12-layer mpnet-sst2 in notebooks 06 and 07 (needs `make deep-model`)",
    )
    reproduce.add_argument("--jobs", type=int, help="notebooks run side by side, sharing the cores (default 2)")
    reproduce.add_argument(
        "--timeout",
        type=int,
        help="seconds a notebook cell may take before it counts as failed (default 600; 5400 with --deep)",
    )
    _add_course_arguments(commands)
    return parser


def _add_course_arguments(commands) -> None:
    """`course build OUT`: the student and instructor notebooks of the course (infolib.course.build)."""
    course = commands.add_parser("course", help="the course's notebooks: build the student and instructor versions")
    actions = course.add_subparsers(dest="course_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="write OUT/student (solutions stubbed, no outputs) and OUT/instructor (solutions, no outputs)"
    )
    build.add_argument("out", help="folder to write into, e.g. build/course")


def _course(args) -> int:

    written = build(args.out)
    for kind, paths in written.items():
        print(f"{kind}: {len(paths)} notebooks in {paths[0].parent}")
    return 0


def _add_train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The `train` command's options."""
    parser.add_argument("names", nargs="*", help="model names, e.g. lstm-sst2 bert-cola (see --list)")
    parser.add_argument("--all", action="store_true", help="every SST-2 and reversal model (add --cola for CoLA)")
    parser.add_argument("--cola", action="store_true", help="with --all: also the CoLA models")
    parser.add_argument("--smoke", action="store_true", help="the tiny SMOKE variants")
    parser.add_argument("--retrain", action="store_true", help="train again even if a valid cache entry exists")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--list", action="store_true", help="list the trainable model names and exit")
    parser.add_argument("--data-dir", help="data folder (default: the data search path)")
    return parser


def _train(args: argparse.Namespace) -> int:
    """`train`: train (or verify the cache of) the models `args` names; print one JSON line of metrics each."""

    if args.list:
        deep = [n for n in zoo.trainable_models(deep=True) if n not in zoo.trainable_models()]
        print("\n".join(zoo.trainable_models() + [f"{n}  (12 layers: needs `make deep-model`)" for n in deep]))
        return 0
    names = list(args.names)
    if args.all:
        names += [
            n for n in zoo.trainable_models() if not n.endswith("-smoke") and (args.cola or not n.endswith("-cola"))
        ]
    if not names:
        raise ValueError("give model names or --all (see --list).")
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in dict.fromkeys(names):
        model = zoo.load_model(name, smoke=args.smoke, retrain=args.retrain, data_dir=getattr(args, "data_dir", None))
        metrics = zoo.model_metrics(model.name)
        keys = ("name", "dev", "dev_ood", "train_seconds", "steps", "train_examples", "threads")
        print(json.dumps({k: metrics[k] for k in keys if k in metrics}), flush=True)
    return 0


def _table(explanation) -> str:
    lines = [
        f"{explanation.model}: σ per word and hidden state (larger σ = more forgotten; at most scale = "
        f"{explanation.scale:.3g})",
    ]
    for i, sentence in enumerate(explanation.sentences):
        sigma, entropy = explanation.sigma_matrix(i), explanation.entropy_nats(i)
        kept = explanation.display_matrix(i)
        width = max(8, *(len(w) for w in explanation.words[i])) + 2
        header = f"{'word':<{width}}" + "".join(f"{layer:>10}" for layer in explanation.layers)
        lines += ["", f"sentence {i}: {sentence}", f"{explanation.display_label} ({explanation.display_meaning})"]
        lines += [header]
        lines += [
            f"{w:<{width}}" + "".join(f"{v:10.3f}" for v in kept[:, j]) for j, w in enumerate(explanation.words[i])
        ]
        lines += ["σ", header]
        lines += [
            f"{w:<{width}}" + "".join(f"{v:10.4f}" for v in sigma[:, j]) for j, w in enumerate(explanation.words[i])
        ]
        lines += ["entropy H(X̃ᵢ) in nats (higher = more forgotten)", header]
        lines += [
            f"{w:<{width}}" + "".join(f"{v:10.1f}" for v in entropy[:, j]) for j, w in enumerate(explanation.words[i])
        ]
    unconverged = [f"{i}:{layer}" for (i, layer), d in explanation.diagnostics.items() if not d["converged"]]
    if unconverged:
        lines.append(f"\nnot converged within --max-steps: {', '.join(unconverged)}")
    return "\n".join(lines)


def _explain(args) -> int:
    if args.data_dir:
        os.environ["INFOLIB_DATA"] = args.data_dir
    model = load_model(args.model)
    explanation = explain(
        model,
        args.sentences,
        parse_layers(args.layers),
        level=args.level,
        rate=args.rate,
        samples=args.samples,
        max_steps=args.max_steps,
        random_state=args.seed,
        precision=args.precision,
        truncate=args.truncate,
        corpus=args.corpus,
        progress=sys.stderr.isatty(),
    )
    if args.format == "table":
        print(_table(explanation))
    elif args.format == "json":
        frame = explanation.to_frame()
        print(
            json.dumps(
                {
                    "model": explanation.model,
                    "scale": explanation.scale,
                    "settings": explanation.settings,
                    "rows": frame.to_dict(orient="records"),
                },
                indent=1,
            )
        )
    else:
        explanation.to_frame().to_csv(sys.stdout, index=False)
    return 0


def _explain_corpus(args) -> int:
    if args.data_dir:
        os.environ["INFOLIB_DATA"] = args.data_dir
    engine = {}
    if args.engine == "ray":
        engine = dict(engine="ray", address=args.address, workers=args.workers, gpus_per_worker=args.gpus_per_worker)
    elif args.address or args.workers or args.gpus_per_worker:
        raise ValueError("--address, --workers and --gpus-per-worker need --engine ray.")
    try:
        result = explain_corpus(
            args.model,
            args.dataset,
            parse_layers(args.layers),
            limit=args.limit,
            batch_size=args.batch_size,
            level=args.level,
            random_state=args.seed,
            precision=args.precision,
            out=args.out,
            corpus=args.sigma_s_corpus,
            progress=sys.stderr.isatty(),
            **engine,
        )
    except (RayNotInstalled, ConnectionError, WorkerError) as error:
        # Ray not installed, no cluster at --address, a worker that cannot load the model: one clear line
        raise ValueError(str(error)) from error
    unconverged = sum(not d["converged"] for d in result.diagnostics.values())
    print(
        f"explained {len(result.sentences)} sentences × {len(result.layers)} hidden states; "
        f"{unconverged} pairs not converged; table: {args.out}"
    )
    return 0


def main(argv=None) -> int:
    """Entry point; bad input prints one clear line and exits with status 2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    try:
        if args.command == "explain":
            return _explain(args)
        if args.command == "train":
            return _train(args)
        if args.command == "explain-corpus":
            return _explain_corpus(args)
        if args.command in ("faithfulness", "export"):
            return run_faithfulness_command(args)
        if args.command == "course":
            return _course(args)
        if args.command == "reproduce":
            if args.data_dir:
                os.environ["INFOLIB_DATA"] = args.data_dir
            try:
                reproduce(out=args.out, smoke=args.smoke, timeout=args.timeout, jobs=args.jobs, deep=args.deep)
            except RuntimeError as error:  # failed notebooks: the report is written, each failure listed
                print(f"infolib reproduce: {error}", file=sys.stderr)
                return 1
            return 0
    except (ValueError, TypeError, FileNotFoundError, FloatingPointError, IndexError, MissingExtra) as error:
        print(f"infolib: error: {error}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())

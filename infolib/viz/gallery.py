"""One caption per figure, and the gallery page that shows them: the same words in docs/gallery.md and REPORT.md.

`CAPTIONS` maps a figure's file stem (as the notebooks save it under reports/figures/) to one sentence
on what to see and the claim (docs/method.md §5, the claims table) it bears on. `caption(stem)` is what
`reproduce.write_report` writes under each figure; `write_gallery` copies a run's PNGs, shrunk, into
docs/figures/gallery/ and writes docs/gallery.md with the same captions:

    python -m infolib.viz.gallery reports docs     # after `make reproduce`
"""

from __future__ import annotations

import argparse
import fnmatch
from pathlib import Path

# stem (or fnmatch pattern) -> (what to see, the claim it bears on)
CAPTIONS: dict[str, tuple[str, str]] = {
    "00_quickstart": (
        "Dark cells are words the layer keeps (information kept −log(σ/scale), 0 = forgotten): sentiment words "
        "should stay dark into the last layers while function words and [SEP] fade.",
        "the method on one sentence (no claim)",
    ),
    "01_linear_toy": (
        "The estimate (dots) sits on the closed form (bars): σᵢ ∝ 1/|wᵢ|, so the word Φ weighs most has the "
        "smallest σ.",
        "docs/method.md §4: the estimator meets the closed form",
    ),
    "01_rate": (
        "σ grows like √rate (parallel lines of slope ½ on log-log axes) until it reaches `scale`.",
        "docs/method.md §4: what `rate` does",
    ),
    "01_scale": (
        "A smaller `scale` caps every σ: below the closed form's σ all words look equally forgotten.",
        "docs/method.md §4: what `scale` does",
    ),
    "01_convergence": (
        "infolib's damped Newton step reaches the optimum's objective in far fewer steps than the authors' Adam.",
        "docs/method.md §4: the optimiser",
    ),
    "02_coherence": (
        "Top, one panel per model: the information measure's total stays near 1 across depth while gradient "
        "scores drift; bottom: its adjacent-layer rank correlation should be higher and its scale spread lower, "
        "each mean with its 95 % interval (the claims table's numbers).",
        "claim 1 (coherence across layers)",
    ),
    "02_maps": (
        "One sentence, rows = layers: the information maps keep the same words dark from layer to layer, the "
        "gradient maps change which words are dark.",
        "claim 1 (coherence across layers)",
    ),
    "03_reverse_maps": (
        "Output step t of the reversal models should hold input word n − t + 1: look for the dark anti-diagonal, "
        "clearest in the information column.",
        "claim 2 (reverse-sequence task)",
    ),
    "04_sentiment_maps": (
        "On an SST-2 sentence the information maps should put their dark cells on the sentiment words, the other "
        "methods more diffusely.",
        "claim 3 (methods on sentiment models)",
    ),
    "05_model_comparison": (
        "Per model (one colour each) the mean over sentences with its 95 % interval: BERT and the Transformer "
        "should be lower in spread and neighbour share, BERT highest on sentiment words and lowest on function "
        "words, and accuracy should follow.",
        "claims 4, 5 and 8 (model comparison)",
    ),
    "06_forgetting": (
        "Information kept per kind of word against relative depth, one panel per model with 95 % bands; on the "
        "BERT-like panels the shaded band is the paper's '[SEP] forgotten at layers 3-4 of 12' and the marks at "
        "the top are each kind's half depth with its interval.",
        "claim 6 (layer-wise forgetting)",
    ),
    "07_retention": (
        "Share of each word's first-layer information the last layer still keeps, per model and per kind of "
        "word, with 95 % intervals: BERT should be highest.",
        "claim 7 (fine-grained information)",
    ),
    "07_words_*": (
        "Each word of one sentence followed across layers, coloured by kind: sentiment words should stay high, "
        "function words and [SEP] fall.",
        "claim 7 (fine-grained information), one sentence",
    ),
    "09_faithfulness": (
        "Per layer, how much the prediction (top) and the layer's own state (bottom) lose when the words that "
        "layer ranks highest are removed, per method with 95 % bands; the dashed grey line is a random ranking.",
        "claims 9 and 10 (infolib's extension: faithfulness per layer, not a claim of the paper)",
    ),
}
GALLERY_WIDTH = 1200  # pixels: the gallery's PNGs are shrunk to at most this width (and to 256 colours)


def caption_parts(stem: str) -> tuple[str, str]:
    """(what to see, the claim it bears on) of the figure `stem`; a clear error for a figure without a caption."""
    if stem in CAPTIONS:
        return CAPTIONS[stem]
    for pattern, parts in CAPTIONS.items():
        if fnmatch.fnmatch(stem, pattern):
            return parts
    raise KeyError(f"figure {stem!r} has no caption: add one to infolib.viz.gallery.CAPTIONS.")


def caption(stem: str) -> str:
    """The one-line caption of a figure: what to see, then the claim, e.g. '… (bears on claim 6 …).'"""
    see, claim = caption_parts(stem)
    return f"{see} *Bears on: {claim}.*"


def figure_stems(figures: Path) -> list[str]:
    """The PNG figures of a run's figures/ folder, by name."""
    return sorted(p.stem for p in Path(figures).glob("*.png"))


def shrink_png(source: Path, target: Path, width: int = GALLERY_WIDTH) -> Path:
    """Copy a PNG, scaled down to at most `width` pixels wide and to 256 colours (optimised), for the docs."""
    from PIL import Image  # lazy: start-up cost (PIL, with matplotlib)

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)  # keeps hues
    return target


def write_gallery(reports: str | Path, docs: str | Path, note: str = "") -> Path:
    """docs/gallery.md showing every PNG of reports/figures/ (copied, shrunk, to docs/figures/gallery/).

    Args:
        reports: the report folder of a `make reproduce` run.
        docs: the docs folder.
        note: a line saying which run the figures come from.
    Returns:
        the gallery page's path.
    """
    reports, docs = Path(reports), Path(docs)
    stems = figure_stems(reports / "figures")
    if not stems:
        raise FileNotFoundError(f"no PNG figures in {reports / 'figures'}: run `make reproduce` first.")
    lines = [
        "# Gallery",
        "",
        "Every figure of the last `make reproduce` run, with what to see in it and the claim of the claims table it "
        "bears on. The same captions are under the figures of reports/REPORT.md and REPORT.html "
        "(`infolib.viz.gallery.CAPTIONS`). Regenerate this page with `python -m infolib.viz.gallery reports docs`.",
        "",
        "Reading the figures: maps are darker where the layer holds more of the word (information kept "
        "−log(σ/scale), 0 = forgotten; or importance divided by the layer's largest); a mean over sentences "
        "carries its 95 % bootstrap interval, the same as the claims table's.",
        "",
    ]
    if note:
        lines += [note, ""]
    for stem in stems:
        shrink_png(reports / "figures" / f"{stem}.png", docs / "figures" / "gallery" / f"{stem}.png")
        lines += [f"## {stem}", "", f"![{stem}](figures/gallery/{stem}.png)", "", caption(stem), ""]
    page = docs / "gallery.md"
    page.write_text("\n".join(lines))
    return page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infolib.viz.gallery", description=write_gallery.__doc__)
    parser.add_argument("reports", help="the report folder of a `make reproduce` run (holds figures/)")
    parser.add_argument("docs", nargs="?", default="docs", help="the docs folder (default: docs)")
    parser.add_argument("--note", default="", help="a line saying which run the figures come from")
    args = parser.parse_args(argv)
    print(write_gallery(args.reports, args.docs, args.note))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["CAPTIONS", "caption", "caption_parts", "figure_stems", "shrink_png", "write_gallery"]

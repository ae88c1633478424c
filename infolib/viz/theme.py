"""One look for every figure: the theme, one colour per model, per method and per kind of word.

Colours come from the Okabe-Ito palette (colour-blind safe, seaborn's 'colorblind' is the same
family), assigned by name, so a model or a method has the same colour in every figure:

    models (by family)   bert · mpnet · transformer · lstm · cnn · tiny
    methods              information · gradient_saliency · input_x_gradient · integrated_gradients · occlusion · lrp
    word kinds           [CLS] · [SEP] · function · punctuation · sentiment · neutral

`theme()` applies seaborn's "ticks" style with font sizes readable on a 1280×720 slide and at a
paper's column width (`COLUMN`, `SLIDE` are those widths in inches); the figure functions of
`infolib.viz.figures` draw inside it.
"""

from __future__ import annotations

import contextlib

from ..methods import method_label  # labels live on the registered methods

# Okabe & Ito (2008), "Color universal design": eight colours told apart with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
GREY = "#7F7F7F"

# One colour per model family ('bert-sst2', 'bert-sst2-smoke' → bert).
MODEL_COLOURS = {
    "bert": OKABE_ITO["blue"],
    "mpnet": OKABE_ITO["sky blue"],
    "transformer": OKABE_ITO["bluish green"],
    "lstm": OKABE_ITO["vermillion"],
    "cnn": OKABE_ITO["orange"],
    "tiny": OKABE_ITO["black"],
}
# One colour, marker and line style (solid for the information measure, dashed for the baselines) per
# method. Methods take the colours the SST-2 models leave free (and seaborn 'colorblind''s brown and
# grey), so a figure with both never uses one colour for a model and a method.
METHOD_COLOURS = {
    "information": OKABE_ITO["black"],
    "gradient_saliency": OKABE_ITO["reddish purple"],
    "input_x_gradient": "#CA9161",  # seaborn 'colorblind' brown
    "integrated_gradients": OKABE_ITO["sky blue"],
    "occlusion": "#949494",  # seaborn 'colorblind' grey
    "lrp": OKABE_ITO["yellow"],
}
METHOD_MARKERS = {
    "information": "o",
    "gradient_saliency": "s",
    "input_x_gradient": "^",
    "integrated_gradients": "D",
    "occlusion": "v",
    "lrp": "P",
}
METHOD_LINESTYLES = {"information": "-"}
KIND_ORDER = ("[CLS]", "[SEP]", "function", "punctuation", "sentiment", "neutral")
KIND_COLOURS = {
    "[CLS]": GREY,
    "[SEP]": OKABE_ITO["reddish purple"],
    "function": OKABE_ITO["orange"],
    "punctuation": OKABE_ITO["black"],
    "sentiment": OKABE_ITO["blue"],
    "neutral": OKABE_ITO["bluish green"],
}
KIND_MARKERS = {"[CLS]": "s", "[SEP]": "X", "function": "v", "punctuation": ".", "sentiment": "o", "neutral": "D"}

COLUMN = 3.4  # inches: one column of a two-column paper
SLIDE = (12.8, 7.2)  # inches at 100 dpi: a 1280×720 slide
DPI = 300  # PNG resolution of saved figures
BASE_FONT = 9  # points: legible at column width, and at slide size when the figure fills the slide

RC = {
    "font.size": BASE_FONT,
    "axes.titlesize": BASE_FONT + 1,
    "axes.labelsize": BASE_FONT,
    "xtick.labelsize": BASE_FONT - 1,
    "ytick.labelsize": BASE_FONT - 1,
    "legend.fontsize": BASE_FONT - 1,
    "legend.title_fontsize": BASE_FONT,
    "figure.titlesize": BASE_FONT + 2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "savefig.dpi": DPI,
    "svg.fonttype": "none",  # text stays text in the SVG (searchable, titles attach to it)
    "pdf.fonttype": 42,
}


def family(model: str) -> str:
    """The model's family: its name before the first '-' ('bert-sst2-smoke' → 'bert')."""
    return str(model).split("-")[0]


def model_colour(model: str) -> str:
    """The colour of a model (by family; grey for an unknown family)."""
    return MODEL_COLOURS.get(family(model), GREY)


def model_order(models) -> list[str]:
    """The models, each once, in the order of `MODEL_COLOURS`' families (unknown families last, as given)."""
    families = list(MODEL_COLOURS)
    unique = list(dict.fromkeys(models))
    return sorted(unique, key=lambda m: families.index(family(m)) if family(m) in families else len(families))


def method_marker(method: str) -> str:
    return METHOD_MARKERS.get(method, "o")


def method_colour(method: str) -> str:
    """The colour of a method (grey for an unknown one)."""
    return METHOD_COLOURS.get(method, GREY)


def method_style(method: str) -> str:
    """'-' for the information measure (the method under test), '--' for every baseline."""
    return METHOD_LINESTYLES.get(method, "--")


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, GREY)


@contextlib.contextmanager
def theme():
    """Context in which a figure is drawn in infolib's theme (seaborn 'ticks' + `RC`); restores the old one."""
    import matplotlib as mpl  # lazy: start-up cost (matplotlib, ~3 s to import)
    import seaborn as sns  # lazy: start-up cost (seaborn and matplotlib)

    with mpl.rc_context():
        sns.set_theme(context="paper", style="ticks", rc=RC)
        yield


__all__ = [
    "COLUMN",
    "DPI",
    "KIND_COLOURS",
    "KIND_ORDER",
    "METHOD_COLOURS",
    "MODEL_COLOURS",
    "OKABE_ITO",
    "SLIDE",
    "family",
    "kind_colour",
    "method_colour",
    "method_label",
    "method_style",
    "model_colour",
    "theme",
]

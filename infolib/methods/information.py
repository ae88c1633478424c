"""The paper's own method as a registered `Method`: σ per word by the σ-optimisation (`core.explain`)."""

from __future__ import annotations

from dataclasses import asdict

from ..core.estimator import Settings, resolve_settings
from ..core.explain import effective_scale, explain
from ..core.hooks import HookedModel, frozen
from ..core.results import Explanation
from ..core.sigma_s import sigma_s as estimate_sigma_s
from .registry import OPTIONS, Method, add_method


class Information(Method):
    """σ_i of each word (Guan et al., 2019): how much noise the hidden state tolerates on word i.

    Options: level, sigma_s (None: estimated once from `corpus`), corpus, truncate, and the estimator's
    `Settings` (as `settings=` and/or keywords). The cache key holds every setting and the scale.
    """

    name = "information"
    label = "information −log(σ/scale)"
    computes = "H(X_i|s) through σ_i: the noise on word i the hidden state tolerates (larger σ = forgotten)"
    sign = "larger −log(σ/scale) = more of the word kept = more important"
    result_type = Explanation
    baseline = False
    takes_estimator_settings = True

    def options(self, settings, options: dict) -> dict:
        # warm_start: σ to start from per pair (`core.explain.explain`), used by the what-if tool after an edit
        own = {key: options.pop(key) for key in (*OPTIONS, "corpus", "warm_start") if key in options}
        config = resolve_settings(settings, **options)
        config.check()
        return {**own, "settings": config}

    def prepare(self, model: HookedModel, names: list[str], options: dict) -> dict:
        options = dict(options)
        corpus = options.pop("corpus", None)
        if options.get("sigma_s") is None:
            with frozen(model.module):
                options["sigma_s"] = estimate_sigma_s(model, names, corpus)
        return options

    def key_settings(self, model: HookedModel, options: dict) -> dict:
        config: Settings = options["settings"]
        return {**asdict(config), "scale": effective_scale(model, config)}

    def run(self, model, sentences, names, *, store=None, progress=False, callback=None, **options) -> Explanation:
        return explain(
            model, sentences, names, cache=store if store is not None else False, progress=progress,
            callback=callback, **options,
        )  # fmt: skip

    def steps(self, options: dict) -> int:
        return options["settings"].max_steps


add_method(Information())

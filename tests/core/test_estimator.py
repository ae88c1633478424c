"""Analytic oracles of docs/method.md §4 for the estimator on plain tensors (`explain_phi`)."""

import math

import pytest
import torch

import infolib

TOY_W = torch.tensor([10.0, 20.0, 5.0, -20.0, -10.0])  # the authors' toy weights


def linear_phi(w):
    return lambda x: (w[:, None] * x).sum(0)


def closed_form(w, rate, sigma_s):
    c = float((1.0 / torch.as_tensor(sigma_s) ** 2).mean())
    return math.sqrt(rate / (2 * len(w) * c)) / w.abs()


# A linear Φ's closed form: with orthogonal noise (the default) a draw has no cross terms between words and no
# spread in length, so σ is exact up to float32 rounding (measured ≤ 4e-7 relative; bound 1e-5 ≫ rounding on
# another CPU); with independent Gaussian draws it is exact up to the draws' noise (measured 3.6 %; bound 5 %).
LINEAR_RTOL = {"orthogonal": 1e-5, "gaussian": 0.05}


@pytest.mark.parametrize("noise", ["orthogonal", "gaussian"])
def test_authors_toy_matches_closed_form(noise):
    x = 0.01 * torch.randn(5, 16, generator=torch.Generator().manual_seed(0))
    sigma_s = 0.01 * TOY_W.norm()  # the spread of Φ over data like x
    result = infolib.explain_phi(x, linear_phi(TOY_W), sigma_s, rate=0.1, scale=1.0, noise=noise)
    expected = closed_form(TOY_W, 0.1, sigma_s)
    assert torch.allclose(expected, torch.tensor([0.0032, 0.0016, 0.0064, 0.0016, 0.0032]), atol=1e-4)
    assert (result.sigma / expected - 1).abs().max() < LINEAR_RTOL[noise]
    assert result.converged


def test_authors_toy_ranking_exact():
    x = 0.01 * torch.randn(5, 16, generator=torch.Generator().manual_seed(1))
    result = infolib.explain_phi(x, linear_phi(TOY_W), 0.01 * TOY_W.norm(), rate=0.1, scale=1.0)
    order = torch.argsort(result.sigma)
    expected = torch.argsort(closed_form(TOY_W, 0.1, 1.0))
    # ties (|w| = 20, 20 and 10, 10) may come in either order; compare the sorted |w|
    assert torch.equal(TOY_W.abs()[order], TOY_W.abs()[expected])


@pytest.mark.parametrize("noise", ["orthogonal", "gaussian"])
def test_hard_case_where_adam_lags_is_solved(noise):
    """docs/method.md §4: six words, K=64; the authors' Adam is 4.4× off for the strongest word."""
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, -2.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(64), rate=0.1, scale=1.0, noise=noise)
    assert (result.sigma / closed_form(w, 0.1, torch.ones(64)) - 1).abs().max() < LINEAR_RTOL[noise]
    assert result.steps < 60


def test_one_draw_of_orthogonal_noise_gives_the_closed_form_in_one_step():
    """A word's cross terms with the others and the spread of its draw's length are what make a linear Φ's
    gradient noisy; orthogonal draws of length √K have neither, so one draw, one step is exact."""
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, -2.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    one = dict(max_steps=1, warmup=1, damping=1.0, samples=1)
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(64), rate=0.1, scale=1.0, **one)
    assert (result.sigma / closed_form(w, 0.1, torch.ones(64)) - 1).abs().max() < LINEAR_RTOL["orthogonal"]
    assert result.passes == 1


def test_orthogonal_noise_has_identity_covariance_and_orthogonal_tokens():
    """Each token's vector keeps the Gaussian's mean 0 and covariance I (so E[R] of a linear Φ is unchanged);
    within a draw the tokens are orthogonal, of length √K, in blocks of K tokens when there are more."""
    from infolib.core.estimator import orthogonal_frame

    draws = orthogonal_frame(torch.randn(20000, 3, 4, generator=torch.Generator().manual_seed(0)))
    flat = draws.reshape(-1, 4).double()
    # 60,000 vectors: the sample covariance's standard error is about 1/sqrt(60000) ≈ 0.004 per entry
    torch.testing.assert_close(flat.T @ flat / len(flat), torch.eye(4, dtype=torch.float64), atol=0.02, rtol=0)
    assert flat.mean(0).abs().max() < 0.02
    one = orthogonal_frame(torch.randn(2, 10, 4, generator=torch.Generator().manual_seed(1)))[0]
    gram = one @ one.T
    for block in (slice(0, 4), slice(4, 8), slice(8, 10)):
        n = block.stop - block.start
        torch.testing.assert_close(gram[block, block], 4 * torch.eye(n), atol=1e-5, rtol=0)


def test_ignored_word_reaches_scale():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, 0.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(64), rate=0.1, scale=2.0)
    assert result.sigma[-1] >= 0.95 * 2.0
    assert (result.sigma[:-1] < 0.5).all()


def test_scaling_phi_leaves_sigma_unchanged():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0])
    x = torch.randn(4, 32, generator=torch.Generator().manual_seed(0))
    base = infolib.explain_phi(x, linear_phi(w), torch.ones(32), scale=1.0)
    scaled = infolib.explain_phi(x, lambda x: 100 * linear_phi(w)(x), 100 * torch.ones(32), scale=1.0)
    assert torch.allclose(base.sigma, scaled.sigma, rtol=1e-4)


def test_default_sigma_s_is_scale_invariant():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0])
    x = torch.randn(4, 32, generator=torch.Generator().manual_seed(0))
    base = infolib.explain_phi(x, linear_phi(w), scale=1.0)
    scaled = infolib.explain_phi(x, lambda x: 100 * linear_phi(w)(x), scale=1.0)
    assert torch.allclose(base.sigma, scaled.sigma, rtol=1e-4)


def test_same_random_state_same_sigma_and_different_seed_close():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0])
    x = torch.randn(4, 32, generator=torch.Generator().manual_seed(0))
    a = infolib.explain_phi(x, linear_phi(w), torch.ones(32), random_state=7)
    b = infolib.explain_phi(x, linear_phi(w), torch.ones(32), random_state=7)
    c = infolib.explain_phi(x, linear_phi(w), torch.ones(32), random_state=8)
    assert torch.equal(a.sigma, b.sigma)
    assert not torch.equal(a.sigma, c.sigma)
    assert torch.allclose(a.sigma, c.sigma, rtol=0.05)


def test_entropy_in_nats_follows_sigma():
    w = torch.tensor([3.0, -7.0])
    x = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(8))
    expected = 8 * (0.5 * math.log(2 * math.pi * math.e) + torch.log(result.sigma))
    assert torch.allclose(result.entropy_nats, expected)
    assert torch.allclose(result.entropy_bits, expected / math.log(2))


def test_whole_layer_is_explained_not_one_token(scaled_tokens):
    """Regression for docs/method.md §3: every token of the layer counts, so each gets its own closed form."""
    explanation = infolib.explain(
        scaled_tokens, "a b c d e f", "layer.1", sigma_s={"layer.1": torch.ones(32)}, progress=False, scale=1.0
    )
    sigma = explanation.sigma[0, "layer.1"]
    w = scaled_tokens.weights
    # Whole layer: R = mean_t w_t² σ_t² c over T tokens, entropy mean_t log σ_t → σ_t = sqrt(rate/2c)/|w_t|.
    expected = math.sqrt(0.1 / 2) / w[:5].abs()
    assert (sigma[:5] / expected - 1).abs().max() < 0.05
    assert sigma[5] >= 0.95  # weight 0: forgotten


def test_rate_for_lambda_conventions():
    assert infolib.rate_for_lambda(0.1, n_tokens=12, whole_layer=True) == 0.1
    assert infolib.rate_for_lambda(0.1, n_tokens=12, whole_layer=False) == pytest.approx(1.2)


# -- cancellation through the optimiser ---------------------------------------------------------
def test_callback_runs_once_per_step_and_can_cancel(tmp_path):
    from infolib.core.estimator import Cancelled
    from infolib.core.store import ResultCache
    from infolib.testing import LinearToyModel

    toy, spread = LinearToyModel(), {"layer.1": torch.ones(6)}
    steps = []
    result = infolib.explain(
        toy, "a b c", "layer.1", sigma_s=spread, progress=False, max_steps=12, callback=steps.append
    )
    assert steps == list(range(1, result.diagnostics[0, "layer.1"]["steps"] + 1))

    def cancel_at_3(step):
        if step == 3:
            raise Cancelled()
        steps.append(step)

    steps.clear()
    store = ResultCache(tmp_path)
    with pytest.raises(Cancelled):
        infolib.explain(
            toy, "a b c", "layer.1", sigma_s=spread, progress=False, max_steps=12, cache=store, callback=cancel_at_3
        )
    assert steps == [1, 2] and len(store) == 0  # stopped at step 3; nothing half-done was stored


# -- a Settings object as well as keywords --------------------------------------------------------
def test_settings_object_equals_keywords_and_conflicts_are_named(tmp_path):
    from infolib.api import explain_corpus
    from infolib.core.store import ResultCache
    from infolib.testing import LinearToyModel

    toy, spread = LinearToyModel(), {"layer.1": torch.ones(6)}
    settings = infolib.Settings(max_steps=6, random_state=4, rate=0.2)
    by_keywords = infolib.explain(
        toy, "a b c", "layer.1", sigma_s=spread, progress=False, max_steps=6, random_state=4, rate=0.2
    )
    by_object = infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, progress=False, settings=settings)
    both = infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, progress=False, settings=settings, max_steps=6)
    assert torch.equal(by_object.sigma[0, "layer.1"], by_keywords.sigma[0, "layer.1"])
    assert torch.equal(both.sigma[0, "layer.1"], by_keywords.sigma[0, "layer.1"])
    assert by_object.settings == by_keywords.settings
    with pytest.raises(ValueError, match=r"disagree: max_steps=9 \(settings has 6\)"):
        infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, settings=settings, max_steps=9)
    with pytest.raises(TypeError, match="max_stesp"):
        infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, settings=settings, max_stesp=9)
    with pytest.raises(TypeError, match="infolib.Settings"):
        infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, settings={"max_steps": 6})
    corpus = explain_corpus(
        toy, ["a b c", "d e"], "layer.1", sigma_s=spread, progress=False, settings=settings, cache=ResultCache(tmp_path)
    )
    assert torch.equal(corpus.sigma[0, "layer.1"], by_keywords.sigma[0, "layer.1"])
    with pytest.raises(ValueError, match="disagree"):
        explain_corpus(
            toy,
            ["a b c"],
            "layer.1",
            sigma_s=spread,
            progress=False,
            settings=settings,
            rate=0.1,
            cache=ResultCache(tmp_path),
        )


def test_explain_phi_takes_a_settings_object():
    w = torch.tensor([3.0, -7.0])
    x = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    a = infolib.explain_phi(x, linear_phi(w), torch.ones(8), rate=0.2, random_state=5)
    b = infolib.explain_phi(x, linear_phi(w), torch.ones(8), settings=infolib.Settings(rate=0.2, random_state=5))
    assert torch.equal(a.sigma, b.sigma) and a.scale == b.scale == 1.0
    with pytest.raises(ValueError, match="rate=0.1"):
        infolib.explain_phi(x, linear_phi(w), settings=infolib.Settings(rate=0.2), rate=0.1)


# -- the normalised change, shared by the estimator and the baselines ------------------------------
def test_normalised_change_is_the_mean_over_real_elements():
    from infolib.core.inputs import normalised_change

    clean = torch.zeros(2, 3, 2)
    state = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])  # sentence 0 has 2 real tokens: its third is padding
    inv_var = torch.tensor([1.0, 0.25])  # σ_S = (1, 2)
    expected = torch.tensor([(1 + 1 + 9 + 4) / 4, (1 + 0.25) / 2])
    torch.testing.assert_close(normalised_change(state, clean, inv_var, mask), expected)
    vector = normalised_change(state[:, 0], clean[:, 0], inv_var)
    torch.testing.assert_close(vector, torch.tensor([(1 + 1) / 2, 1.25 / 2]))
    # σ_S = inf (a dimension that never varies) adds nothing
    never_varies = normalised_change(state[:, 0], clean[:, 0], torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(never_varies, torch.tensor([0.5, 0.5]))


# -- the linearised start (issue 24) ---------------------------------------------------------------
def _scaled_tokens_problem(model, sentence="a b c d e f", settings=None):
    from infolib.core.estimator import _Packed
    from infolib.core.explain import _model_problem
    from infolib.core.inputs import encode_batch

    settings = settings or infolib.Settings()
    batch = encode_batch(model, [sentence], ["layer.1"], "token", {"layer.1": torch.ones(32)})
    problem = _model_problem(batch, [(0, "layer.1")], settings.random_state)
    return problem, _Packed(problem, settings.rate)


def test_curvature_probes_estimate_the_jacobian_norm(scaled_tokens):
    """â_t = ‖∂(s/σ_S)/∂x_t‖²_F / M: for layer.1 = w_t x_t (M = T·K), â_t = w_t² / T, unbiased."""
    from infolib.core.estimator import curvature

    problem, packed = _scaled_tokens_problem(scaled_tokens)
    w, T, K, probes = scaled_tokens.weights, 6, 32, 400
    a = curvature(problem, packed, probes, [torch.Generator().manual_seed(0)], chunk_rows=64)[0]
    expected = w[:T] ** 2 / T
    # Each probe's ‖(vᵀJ)_t‖² = w_t²·χ²_K: relative standard error sqrt(2 / (K · probes)) = 1.25 %.
    se = math.sqrt(2 / (K * probes))
    assert ((a[:5] / expected[:5] - 1).abs() < 4 * se).all()
    assert a[5] == 0  # weight 0: Φ ignores the word


def test_linearised_start_is_the_closed_form_up_to_probe_noise(scaled_tokens):
    from infolib.core.estimator import curvature, linearised_start

    problem, packed = _scaled_tokens_problem(scaled_tokens)
    probes, K = 400, 32
    a = curvature(problem, packed, probes, [torch.Generator().manual_seed(1)], chunk_rows=64)
    sigma = linearised_start(packed, a, math.log(1.0)).exp()[0]
    closed = math.sqrt(0.1 / 2) / scaled_tokens.weights[:5].abs()
    se = 0.5 * math.sqrt(2 / (K * probes))  # σ ∝ â^(-1/2): half the relative error of â
    assert ((sigma[:5] / closed - 1).abs() < 4 * se).all()
    assert sigma[5] == 1.0  # an ignored word starts at scale


def test_one_newton_step_is_exact_for_a_linear_phi(scaled_tokens):
    """From the far fixed start (σ = 0.1·scale), one full Newton step lands on the closed form: R = Σ a σ²."""
    spread = {"layer.1": torch.ones(32)}
    result = infolib.explain(
        scaled_tokens,
        "a b c d e f",
        "layer.1",
        sigma_s=spread,
        progress=False,
        scale=1.0,
        level="token",
        start="fixed",
        max_steps=1,
        warmup=1,
        damping=1.0,
        samples=256,
        noise="gaussian",
    )
    closed = math.sqrt(0.1 / 2) / scaled_tokens.weights[:5].abs()
    # g from 256 Gaussian draws of a χ²_32 own term (the tokens' Jacobians are orthogonal): σ within ~0.8 %
    # (1 s.e.); with the default orthogonal noise one draw is exact (the test above)
    assert (result.sigma[0, "layer.1"][:5] / closed - 1).abs().max() < 0.035
    assert result.diagnostics[0, "layer.1"]["passes"] == 256


def test_passes_count_the_probes_and_the_steps(scaled_tokens):
    spread = {"layer.1": torch.ones(32)}
    result = infolib.explain(
        scaled_tokens,
        "a b c",
        "layer.1",
        sigma_s=spread,
        progress=False,
        scale=1.0,
        samples=4,
        probes=3,
        start="linearised",
    )
    diagnostics = result.diagnostics[0, "layer.1"]
    assert diagnostics["passes"] == 3 + 4 * diagnostics["steps"]
    fixed = infolib.explain(
        scaled_tokens, "a b c", "layer.1", sigma_s=spread, progress=False, scale=1.0, samples=4, start="fixed"
    )
    assert fixed.diagnostics[0, "layer.1"]["passes"] == 4 * fixed.diagnostics[0, "layer.1"]["steps"]


def test_the_start_is_part_of_the_cache_key(scaled_tokens, tmp_path):
    """An entry computed with the old (fixed) start is never returned for the linearised one, nor back."""
    from infolib.core.store import ResultCache

    store, spread = ResultCache(tmp_path), {"layer.1": torch.ones(32)}
    kwargs = dict(sigma_s=spread, progress=False, scale=1.0, cache=store)
    fixed = infolib.explain(scaled_tokens, "a b c", "layer.1", start="fixed", **kwargs)
    linearised = infolib.explain(scaled_tokens, "a b c", "layer.1", start="linearised", **kwargs)
    assert not linearised.diagnostics[0, "layer.1"]["cached"]
    assert len(store) == 2
    again = infolib.explain(scaled_tokens, "a b c", "layer.1", start="fixed", **kwargs)
    assert again.diagnostics[0, "layer.1"]["cached"]
    assert torch.equal(again.sigma[0, "layer.1"], fixed.sigma[0, "layer.1"])


def test_bad_start_and_probes_are_named():
    x = torch.randn(2, 4)
    with pytest.raises(ValueError, match="start must be one of 'linearised', 'fixed'"):
        infolib.explain_phi(x, lambda x: x.sum(0), start="zero")
    with pytest.raises(ValueError, match="probes must be > 0"):
        infolib.explain_phi(x, lambda x: x.sum(0), probes=0)


def test_linearised_start_solves_the_hard_case_in_fewer_passes():
    """docs/method.md §4's six words from the linearised start: the closed form, in fewer passes."""
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, -2.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    closed = closed_form(w, 0.1, torch.ones(64))
    fixed = infolib.explain_phi(x, linear_phi(w), torch.ones(64), rate=0.1, scale=1.0)
    linearised = infolib.explain_phi(
        x, linear_phi(w), torch.ones(64), rate=0.1, scale=1.0, start="linearised", warmup=1
    )
    assert (linearised.sigma / closed - 1).abs().max() < LINEAR_RTOL["orthogonal"]
    assert linearised.passes < fixed.passes


def test_linearised_start_gives_a_batch_the_answer_of_separate_runs():
    """Each pair draws its probes from its own stream at its own size: batching changes nothing."""
    from infolib.testing import LinearToyModel

    toy, names = LinearToyModel(), ["layer.1", "layer.2", "pooled", "logits"]
    spread = {"layer.1": torch.ones(6), "layer.2": torch.ones(6), "pooled": torch.ones(6), "logits": torch.ones(2)}
    kwargs = dict(sigma_s=spread, progress=False, start="linearised", level="word")
    both = infolib.explain(toy, ["a b+c d e", "f g"], names, **kwargs)
    alone = infolib.explain(toy, ["f g"], names, **kwargs)
    for name in names:
        torch.testing.assert_close(both.sigma[1, name], alone.sigma[0, name], rtol=1e-5, atol=0)


def test_bad_precision_is_named():
    x = torch.randn(2, 4)
    with pytest.raises(ValueError, match="precision must be one of 'float32', 'bfloat16'"):
        infolib.explain_phi(x, lambda x: x.sum(0), precision="float16")


def test_bfloat16_phi_keeps_the_closed_form_and_float32_sigma():
    """A linear Φ (a bf16 matmul under autocast) still gives the closed form, to bf16's rounding."""
    w = TOY_W
    mix = torch.linalg.qr(torch.randn(8, 8, generator=torch.Generator().manual_seed(0)))[0]  # orthogonal: σ_S-free

    def phi(x):
        return (w[:, None] * x).sum(0) @ mix

    x = 0.01 * torch.randn(len(w), 8, generator=torch.Generator().manual_seed(1))
    result = infolib.explain_phi(x, phi, 1.0, rate=0.1, scale=1.0, precision="bfloat16")
    assert result.sigma.dtype == torch.float32
    # bf16 keeps 8 bits of mantissa (relative step 2**-8 ≈ 0.4 %): measured 0.05 % off the closed form
    assert torch.allclose(result.sigma, closed_form(w, 0.1, 1.0), rtol=0.01)


def test_fast_bfloat16_reads_the_cpu_flags(monkeypatch, tmp_path):
    from infolib.core import precision

    for flags, expected in (("fpu sse avx512f", False), ("fpu avx512f avx512_bf16", True), ("amx_bf16", True)):
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
        monkeypatch.setattr(precision, "Path", lambda _, cpuinfo=cpuinfo: cpuinfo)
        precision.fast_bfloat16.cache_clear()
        assert precision.fast_bfloat16("cpu") is expected
    monkeypatch.setattr(precision, "Path", lambda _: tmp_path / "missing")
    precision.fast_bfloat16.cache_clear()
    assert precision.fast_bfloat16("cpu") is False  # unreadable: never assume bf16 is fast
    precision.fast_bfloat16.cache_clear()


def test_chunks_cover_every_row_once_padded_only_to_their_longest_row():
    """Rows of similar lengths go through Φ together, each chunk padded to its own longest row, within budget."""
    from infolib.core.estimator import _chunks

    lengths = torch.tensor([3, 40, 7, 7, 12, 40, 3, 25, 8, 12] * 8)
    chunk_rows, T = 16, 40
    seen = []
    for rows, width in _chunks(lengths, chunk_rows, T):
        assert width == int(lengths[rows].max())
        assert len(rows) * width <= chunk_rows * T  # the memory budget at full width
        seen += rows.tolist()
    assert sorted(seen) == list(range(len(lengths)))
    padded = sum(len(rows) * width for rows, width in _chunks(lengths, chunk_rows, T))
    assert padded < 0.6 * len(lengths) * T  # against every row padded to 40 tokens


@pytest.mark.parametrize("noise", ["uniform", "", None, 3])
def test_bad_noise_is_named(noise):
    with pytest.raises(ValueError, match="noise must be one of 'gaussian', 'orthogonal'"):
        infolib.explain_phi(torch.randn(2, 4), lambda x: x.sum(0), noise=noise)

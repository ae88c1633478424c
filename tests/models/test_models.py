"""Every architecture passes the HookedModel protocol checks, untrained and tiny."""

import pytest
import torch

import infolib
from infolib.models import registry as zoo
from infolib.core.data import make_reverse
from infolib.models import BUILDERS

CLASSIFIERS = ["bert-sst2-smoke", "transformer-sst2-smoke", "lstm-sst2-smoke", "cnn-sst2-smoke"]
REVERSERS = ["lstm-reverse-smoke", "transformer-reverse-smoke"]
LAYERS = {"bert-sst2-smoke": 6, "transformer-sst2-smoke": 2, "lstm-sst2-smoke": 2, "cnn-sst2-smoke": 2}
CORPUS = ["a fine film .", "dull , dull , dull", "it 's not bad at all", "the cast is great"]
SENTENCES = ["a short sentence", "an unexpectedly moving film ."]


@pytest.fixture(scope="module", params=CLASSIFIERS + REVERSERS)
def model(request):
    return zoo.build(request.param)  # untrained: the protocol does not depend on training


def _inputs(model):
    return ["a b c d", "e f a"] if "reverse" in model.name else SENTENCES


def test_names(model):
    if "reverse" in model.name:
        layers = model.module.num_encoder_layers
        steps = [f"step.{t}" for t in range(1, model.max_tokens + 1)]
        assert model.hidden_states == tuple(f"layer.{i}" for i in range(layers + 1)) + tuple(steps)
        assert not model.is_token_level("step.1") and model.is_token_level("layer.1")
    else:
        L = LAYERS[model.name]
        assert model.hidden_states == tuple(f"layer.{i}" for i in range(L + 1)) + ("pooled", "logits")
    with pytest.raises(ValueError, match="Choose from"):
        model.check_name("layer.99")


def test_shapes_and_batch_independence(model):
    """Each state has its documented shape, and a sentence's states do not depend on its batch."""
    sentences = _inputs(model)
    encoding = model.encode(sentences)
    assert encoding.input_ids.shape == encoding.attention_mask.shape
    names = list(model.hidden_states[:3]) + (["step.1", "step.3"] if "reverse" in model.name else ["pooled", "logits"])
    with torch.no_grad():
        embed = model.embed(encoding)
        together = model.states(embed, encoding.attention_mask, names)
        alone = model.encode(sentences[1:])
        single = model.states(model.embed(alone), alone.attention_mask, names)
    B, T, K = embed.shape
    assert (B, T) == tuple(encoding.input_ids.shape)
    for name in names:
        state = together[name]
        if model.is_token_level(name):
            assert state.shape[:2] == (B, T)
            n = single[name].shape[1]
            torch.testing.assert_close(state[1, :n], single[name][0], atol=1e-5, rtol=1e-4)
        else:
            assert state.ndim == 2 and state.shape[0] == B
            torch.testing.assert_close(state[1], single[name][0], atol=1e-5, rtol=1e-4)
    if "reverse" not in model.name:
        assert together["logits"].shape == (B, 2)
        assert encoding.words[0] == ["[CLS]", "a", "short", "sentence", "[SEP]"]


def test_explain_leaves_model_unchanged(model):
    """infolib.core.explain runs on the model and leaves its weights and train/eval flags as they were."""
    before = {k: v.clone() for k, v in model.module.state_dict().items()}
    flags = [m.training for m in model.module.modules()]
    grads = [p.requires_grad for p in model.module.parameters()]
    if "reverse" in model.name:
        layers, sentence, corpus = ["layer.1", "step.2"], "a b c d", make_reverse("dev", 16, max_len=8).sentences
    else:
        layers, sentence, corpus = ["layer.1", "pooled"], "a short sentence", CORPUS
    result = infolib.explain(model, sentence, layers=layers, max_steps=5, progress=False, corpus=corpus)
    assert result.layers == layers
    after = model.module.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert [m.training for m in model.module.modules()] == flags
    assert [p.requires_grad for p in model.module.parameters()] == grads


def _grad_of_input(model, sentence, name, token):
    """|∂ state[token] / ∂ embed| summed over dims: [tokens]."""
    encoding = model.encode([sentence])
    embed = model.embed(encoding).detach().requires_grad_(True)
    state = model.states(embed, encoding.attention_mask, [name])[name]
    state[0, token].sum().backward()
    return embed.grad[0].abs().sum(-1)


def test_unidirectional_lstm_cannot_see_ahead():
    config = dict(zoo.SMOKE_MODEL["lstm"], bidirectional=False)
    lstm = BUILDERS["lstm"](config, "lstm-uni", pretrained=False)
    grad = _grad_of_input(lstm, "one two three four five", "layer.2", 2)
    assert (grad[:3] > 0).all() and (grad[3:] == 0).all()
    both = BUILDERS["lstm"](zoo.SMOKE_MODEL["lstm"], "lstm-bi", pretrained=False)
    assert (_grad_of_input(both, "one two three four five", "layer.2", 2) > 0).all()


def test_cnn_receptive_field():
    cnn = zoo.build("cnn-sst2-smoke", pretrained=False)
    grad = _grad_of_input(cnn, "one two three four five six seven eight nine", "layer.1", 5)
    # widths 3, 4, 5 with 'same' padding: token 5 reads tokens 3 … 7
    assert (grad[3:8] > 0).all() and (grad[:3] == 0).all() and (grad[8:] == 0).all()


@pytest.mark.parametrize("name", REVERSERS)
def test_step_states_are_the_decoder_states_the_output_reads(name):
    model = zoo.build(name)
    encoding = model.encode(["a b c d e", "f a b"])
    embed, mask = model.embed(encoding), encoding.attention_mask
    with torch.no_grad():
        steps = model.states(embed, mask, ["step.2"])["step.2"]
        full = model.module.decoder_states(model.module.encoder_states(embed, mask)[-1], mask, embed.shape[1])
        torch.testing.assert_close(steps, full[:, 1])
        torch.testing.assert_close(model.module.output(steps), model.step_logits(embed, mask)[:, 1])


def test_reverse_input_errors():
    model = zoo.build("transformer-reverse-smoke")
    with pytest.raises(ValueError, match="vocabulary is"):
        model.encode(["a b zebra"])
    encoding = model.encode(["a b c"])
    with pytest.raises(ValueError, match="t ≤ n"):
        model.states(model.embed(encoding), encoding.attention_mask, ["step.5"])
    assert len(model.reverse(["a b c"])[0].split()) == 3


def test_unknown_model_lists_names():
    with pytest.raises(ValueError, match="lstm-sst2"):
        infolib.load_model("lstm-sst3")

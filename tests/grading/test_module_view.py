"""The torch-module stand-in (autograder/module_view.py) reads like the real module, and the values that cross
between the grader and the student's process (autograder/grading/wire.py) are plain values only."""
import numpy as np
import pytest
import torch

from autograder.grading import wire
from autograder.module_view import ModuleView, TensorView, describe_module, rebuild, stand_in


def roundtrip(value, describe=None, rebuild_hook=None):
    tree, blob = wire.encode(value, describe)
    return wire.decode(tree, blob, rebuild_hook)


@pytest.mark.parametrize("module", [
    torch.nn.RNN(3, 2), torch.nn.RNN(4, 3, num_layers=2, bias=False, nonlinearity="relu"),
    torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True), torch.nn.GRU(2, 4, batch_first=True).double(),
], ids=["rnn", "rnn-relu-2-nobias", "lstm-2-bi", "gru-f64"])
def test_view_matches_the_module(module):
    view = roundtrip(module, lambda m: describe_module(m), rebuild)
    assert isinstance(view, ModuleView) and type(view).__name__ == type(module).__name__
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional"):
        assert getattr(view, attr) == getattr(module, attr)
    assert [n for n, _ in view.named_parameters()] == [n for n, _ in module.named_parameters()]
    assert list(view.state_dict()) == list(module.state_dict())
    for (name, p), q in zip(module.named_parameters(), view.parameters()):
        w = getattr(view, name)
        assert w.shape == tuple(p.shape) and w.dtype == p.detach().numpy().dtype
        np.testing.assert_array_equal(w.detach().numpy(), p.detach().numpy())
        np.testing.assert_array_equal(w.T.cpu().numpy(), p.detach().numpy().T)
        np.testing.assert_array_equal(w.data.clone().double().numpy(), p.detach().double().numpy())
        assert w.float().dtype == np.float32 and w.tolist() == p.tolist()
        np.testing.assert_array_equal(np.asarray(q), p.detach().numpy())
    assert len(view.all_weights) == len(module.all_weights)


def test_plain_values_cross_with_their_types():
    value = {"a": [1, 2.5, None, True, "s"], (1, 2): (np.arange(6).reshape(2, 3), np.float64(0.5)),
             "big": 2**70, "nan": float("nan"), "bool": np.array([True, False])}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "s"] and back["big"] == 2**70 and np.isnan(back["nan"])
    np.testing.assert_array_equal(back[(1, 2)][0], value[(1, 2)][0])
    assert type(back[(1, 2)][1]) is np.float64 and back["bool"].dtype == bool


class Sub(np.ndarray):
    pass


class Str(str):
    def __eq__(self, other):
        return True


class WithArray:
    def __array__(self, dtype=None, copy=None):
        return np.zeros(1)


@pytest.mark.parametrize("value, reason", [
    (np.zeros(2).view(Sub), "Sub"), (Str("memory"), "Str"), (WithArray(), "WithArray"),
    (np.array([object()], dtype=object), "dtype object"), (TensorView(np.zeros(2)), "TensorView"),
    (lambda: 0, "function"),
])
def test_everything_else_is_refused_with_a_reason(value, reason):
    with pytest.raises(wire.WireError, match=reason):
        wire.encode([value])


def test_size_is_bounded():
    with pytest.raises(wire.WireError, match="output too large"):
        wire.encode(np.zeros(2**20), limit=2**20)
    with pytest.raises(wire.WireError, match="output too large"):
        wire.parse_header(wire.pack({"x": 1}, b"0" * 100)[:wire.HEAD_SIZE], limit=50)
    tree, blob = wire.encode(np.zeros(4))
    tree["nbytes"] = 10**9                    # a reply that claims more bytes than it carries
    with pytest.raises(wire.WireError, match="wrong size"):
        wire.decode(tree, blob)
    with pytest.raises(wire.WireError, match="refused"):
        wire.decode({**tree, "dtype": "|O8"}, blob)


@pytest.mark.parametrize("cls, sizes", [("RNN", (3, 2)), ("LSTM", (1, 1)), ("GRU", (4, 3))])
def test_stand_in_is_what_the_grader_sends_for_a_torch_module(cls, sizes):
    """The learners' visible tests build a stand-in (no torch); it must read exactly like the grader's description of
    the torch module with the same tensors: names, shapes, float32, hyper-parameters, values."""
    module = getattr(torch.nn, cls)(*sizes)
    weights = {name: p.detach().numpy().copy() for name, p in module.named_parameters()}
    view, real = stand_in(cls, *sizes, weights=weights), describe_module(module)
    assert type(view).__name__ == cls and describe_module(view)["hyper"] == real["hyper"]
    for (name, a), (name_real, b) in zip(describe_module(view)["params"], real["params"]):
        assert name == name_real and a.dtype == b.dtype == np.float32 and np.array_equal(a, b)
    drawn = stand_in(cls, *sizes)
    bound = 1 / np.sqrt(sizes[1])
    assert all(np.abs(p.numpy()).max() <= bound for p in drawn.parameters()), "torch's initialisation range"
    with pytest.raises(ValueError, match="has shape"):
        stand_in(cls, sizes[0] + 1, sizes[1], weights=weights)

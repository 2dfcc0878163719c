"""A stand-in for a torch recurrent module, for a process that has no torch (the student's process when graded).

Exercises such as `rnn_params_from_torch(rnn)` read a `torch.nn.RNN`/`LSTM`/`GRU`'s weights. At grading the
student's process has no torch, so the grader sends a description of the module (`describe_module`: class name,
hyper-parameters, every named parameter as an array) and the student's process rebuilds a `ModuleView` offering
what a learner reasonably uses: parameters by name (`rnn.weight_ih_l0`), each a `TensorView` with `.detach()`,
`.numpy()`, `.cpu()`, `.double()`, `.float()`, `.T`, `.shape`, `.dtype`, `.data`, `.clone()`, `.tolist()`;
`named_parameters()`, `parameters()`, `state_dict()`; and the hyper-parameters (`input_size`, `hidden_size`,
`num_layers`, `bias`, `batch_first`, `bidirectional`, `nonlinearity`, ...). NumPy only.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

HYPER_PARAMETERS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional",
                    "nonlinearity", "dropout", "proj_size", "mode")


def describe_module(module) -> dict:
    """A plain description of a torch module (class, hyper-parameters, parameters as arrays). Needs no torch import:
    it reads the module through its own methods."""
    hyper = {}
    for name in HYPER_PARAMETERS:
        value = getattr(module, name, None)
        if type(value) in (bool, int, float, str):
            hyper[name] = value
    params = [[name, p.detach().cpu().numpy().copy()] for name, p in module.named_parameters()]
    return {"kind": "torch_module", "class": type(module).__name__, "hyper": hyper, "params": params,
            "training": bool(getattr(module, "training", True))}


def describe_tensor(tensor) -> dict:
    return {"kind": "torch_tensor", "value": tensor.detach().cpu().numpy().copy()}


class TensorView:
    """A parameter as a learner reads it from a torch module; backed by a NumPy array."""

    def __init__(self, array):
        self._a = np.asarray(array)

    # conversions a learner writes on the way to NumPy
    def detach(self):
        return self

    def cpu(self):
        return self

    def clone(self):
        return TensorView(self._a.copy())

    def numpy(self, force: bool = False):
        return self._a

    def double(self):
        return TensorView(self._a.astype(np.float64))

    def float(self):
        return TensorView(self._a.astype(np.float32))

    def to(self, *args, **kwargs):
        return self

    def contiguous(self):
        return self

    def requires_grad_(self, flag: bool = True):
        return self

    def tolist(self):
        return self._a.tolist()

    def item(self):
        return self._a.item()

    # shape and dtype
    @property
    def data(self):
        return self

    @property
    def T(self):
        return TensorView(self._a.T)

    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def requires_grad(self):
        return True

    def size(self, dim: int | None = None):
        return self._a.shape if dim is None else self._a.shape[dim]

    def dim(self):
        return self._a.ndim

    def numel(self):
        return self._a.size

    def t(self):
        return self.T

    def __len__(self):
        return len(self._a)

    def __getitem__(self, index):
        return TensorView(self._a[index])

    def __iter__(self):
        return (TensorView(row) for row in self._a)

    # arithmetic as NumPy does it, so `w + b` or `np.asarray(w)` work
    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def _wrap(self, value):
        return TensorView(value) if isinstance(value, np.ndarray) else value

    def __add__(self, other):
        return self._wrap(self._a + np.asarray(other))

    __radd__ = __add__

    def __sub__(self, other):
        return self._wrap(self._a - np.asarray(other))

    def __rsub__(self, other):
        return self._wrap(np.asarray(other) - self._a)

    def __mul__(self, other):
        return self._wrap(self._a * np.asarray(other))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._wrap(self._a / np.asarray(other))

    def __neg__(self):
        return TensorView(-self._a)

    def __matmul__(self, other):
        return self._wrap(self._a @ np.asarray(other))

    def __rmatmul__(self, other):
        return self._wrap(np.asarray(other) @ self._a)

    def __repr__(self):
        return f"TensorView({self._a!r})"


class ModuleView:
    """A torch recurrent module's hyper-parameters and parameters, without torch."""

    def __init__(self, description: dict):
        object.__setattr__(self, "_params", OrderedDict((n, TensorView(a)) for n, a in description["params"]))
        object.__setattr__(self, "_class", description["class"])
        object.__setattr__(self, "training", description.get("training", True))
        for name, value in description["hyper"].items():
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        params = object.__getattribute__(self, "_params")
        if name in params:
            return params[name]
        raise AttributeError(f"this {object.__getattribute__(self, '_class')} (a stand-in for the torch module while "
                             f"grading, without torch) has no attribute {name!r}; parameters: {', '.join(params)}")

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        return iter([(prefix + ("." if prefix else "") + n, p) for n, p in self._params.items()])

    def parameters(self, recurse: bool = True):
        return iter(list(self._params.values()))

    def state_dict(self, *args, **kwargs):
        return OrderedDict(self._params)

    @property
    def _flat_weights_names(self):
        return list(self._params)

    @property
    def _flat_weights(self):
        return list(self._params.values())

    @property
    def all_weights(self):
        """Per layer (and direction), its parameters in torch's order, as torch's `all_weights`."""
        groups: OrderedDict[str, list] = OrderedDict()
        for name, p in self._params.items():
            groups.setdefault(name.split("_", 2)[-1], []).append(p)
        return list(groups.values())

    def eval(self):
        object.__setattr__(self, "training", False)
        return self

    def train(self, mode: bool = True):
        object.__setattr__(self, "training", mode)
        return self

    def __repr__(self):
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in HYPER_PARAMETERS if k in self.__dict__)
        return f"{self._class}({hyper}) [grading stand-in]"


def rebuild(description: dict):
    """A ModuleView or TensorView from `describe_module`'s or `describe_tensor`'s description."""
    if description.get("kind") == "torch_module":
        cls = type(str(description["class"]), (ModuleView,), {})
        return cls(description)
    if description.get("kind") == "torch_tensor":
        return TensorView(description["value"])
    raise ValueError(f"cannot rebuild {description.get('kind')!r}")


# Gate blocks per recurrent module: PyTorch stacks them in weight_ih_l0 / weight_hh_l0 (autograder.notation).
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def stand_in(cls: str, input_size: int, hidden_size: int, weights: dict | None = None, bias: bool = True,
             seed: int = 0):
    """A one-layer torch.nn.RNN/LSTM/GRU as a learner's visible tests use it, without torch: the same stand-in the
    grader hands a student's function. Its parameters are float32, as a torch module's are, and named as torch names
    them; `weights` ({"weight_ih_l0": ..., ...}) sets them, the rest is drawn as torch initialises it
    (uniform in ±1/sqrt(hidden_size)), from `seed`."""
    rows, bound = _GATES[cls] * hidden_size, 1.0 / np.sqrt(hidden_size)
    shapes = {"weight_ih_l0": (rows, input_size), "weight_hh_l0": (rows, hidden_size)}
    if bias:
        shapes.update(bias_ih_l0=(rows,), bias_hh_l0=(rows,))
    rng, weights = np.random.default_rng(seed), dict(weights or {})
    params = []
    for name, shape in shapes.items():
        value = weights.pop(name) if name in weights else rng.uniform(-bound, bound, size=shape)
        value = np.asarray(value, dtype=np.float32)
        if value.shape != shape:
            raise ValueError(f"{name} of a {cls}({input_size}, {hidden_size}) has shape {shape}, not {value.shape}")
        params.append([name, value])
    if weights:
        raise ValueError(f"a {cls} has no parameters {sorted(weights)}")
    hyper = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": 1, "bias": bias,
             "batch_first": False, "bidirectional": False, "dropout": 0.0, "proj_size": 0,
             "mode": {"RNN": "RNN_TANH"}.get(cls, cls)}
    if cls == "RNN":
        hyper["nonlinearity"] = "tanh"
    return rebuild({"kind": "torch_module", "class": cls, "hyper": hyper, "params": params, "training": True})

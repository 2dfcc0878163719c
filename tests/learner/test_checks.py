"""The check helpers say what is wrong: which output, time step, element, error, shapes, and a hint."""
import numpy as np
import pytest
import torch

from autograder.checks import CheckFailure, check_close, check_keys, check_numpy, check_shape

rng = np.random.default_rng(0)
EXPECTED = rng.normal(size=(4, 2, 3))


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_passes_when_close():
    check_close(EXPECTED + 1e-12, EXPECTED, "H", time_axis=0)


def test_names_output_step_element_error_and_shapes():
    got = EXPECTED.copy()
    got[2, 1, 0] += 0.5
    got[3, 0, 2] -= 2.0
    msg = message(check_close, got, EXPECTED, "H", time_axis=0, context="T=4, B=2")
    assert "H is wrong from time step 2 on (steps 0..1 match)" in msg
    assert "H[2, 1, 0] (time step 2, batch 1, unit 0)" in msg
    assert "Max abs error 2 at H[3, 0, 2]" in msg
    assert "2 of 24 elements differ" in msg
    assert "got (4, 2, 3), expected (4, 2, 3)" in msg and "T=4, B=2" in msg


def test_off_by_one_in_time_hint():
    lagging = np.concatenate([np.zeros((1, 2, 3)), EXPECTED[:-1]])
    assert "off by one in time" in message(check_close, lagging, EXPECTED, "H", time_axis=0)
    assert "one step ahead" in message(check_close, np.concatenate([EXPECTED[1:], EXPECTED[:1]]), EXPECTED,
                                       "H", time_axis=0)


def test_shape_hints():
    assert "transpose" in message(check_close, np.ones((3, 2)), np.ones((2, 3)), "W")
    assert "single step" in message(check_close, EXPECTED[0], EXPECTED, "H", time_axis=0)
    assert "off by one" in message(check_close, np.ones((5, 2, 3)), EXPECTED, "H", time_axis=0)
    assert "wrong shape: got (2,), expected (3,)" in message(check_shape, np.ones(2), (3,), "b")


def test_value_hints():
    square = rng.normal(size=(3, 3))
    assert "transpose of the expected" in message(check_close, square.T, square, "W")
    assert "wrong sign" in message(check_close, -EXPECTED, EXPECTED, "H")


def test_bad_values_and_types():
    assert "returned None" in message(check_close, None, EXPECTED, "H")
    nan = EXPECTED.copy()
    nan[1, 0, 0] = np.nan
    assert "NaN or inf" in message(check_close, nan, EXPECTED, "H", time_axis=0)
    assert "tuple of 2 arrays" in message(check_close, (EXPECTED, EXPECTED), EXPECTED, "H")
    assert "expected a NumPy array" in message(check_numpy, torch.zeros(2), "H")
    assert "missing ['b_h']" in message(check_keys, {"W_xh": 1, "W_hh": 2}, {"W_xh", "W_hh", "b_h"})


def test_check_failure_is_an_assertion_error():
    assert issubclass(CheckFailure, AssertionError)


def test_a_float32_answer_is_told_that_the_tests_compare_in_float64():
    """Issue 28: a float32 answer used to lose points with no hint. The values are right to float32's precision."""
    want = rng.normal(size=(3, 2, 4)) * 10
    computed = want * (1 + 3e-7)          # a few float32 roundings accumulated over a computation
    for got in (computed.astype(np.float32), torch.tensor(computed, dtype=torch.float32)):
        msg = message(check_close, got, want, "H", time_axis=0)
        assert "your answer is float32, and the tests compare in float64" in msg, msg
    # a float64 answer with the same error gets no such hint
    msg = message(check_close, computed, want, "H", time_axis=0)
    assert "float32" not in msg
    # and a float32 answer that is right within the tolerance passes
    check_close(np.float32(0.5) * np.ones(3, dtype=np.float32), 0.5 * np.ones(3), "x")

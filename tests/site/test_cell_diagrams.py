"""The cell diagrams the LSTM, GRU and BPTT pages draw at build time: each draws, with the labels the pages cite."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from autograder.book.cell_diagrams import draw_bptt_graph, draw_gru_cell, draw_lstm_cell  # noqa: E402


@pytest.mark.parametrize("draw, must_show", [
    (draw_lstm_cell, ["$C_{t-1}$", "$H_t$", "$W_{xf}, W_{hf}, b_{f}$", "$W_{xo}, W_{ho}, b_{o}$"]),
    (lambda: draw_gru_cell("after"), ["$H_{t-1} W_{hn} + b_{hn}$", "$+\\ X_t W_{xn} + b_{xn}$"]),
    (lambda: draw_gru_cell("before"), ["$(R_t \\odot H_{t-1}) W_{hn}$", "$+\\ X_t W_{xn} + b_n$"]),
    (lambda: draw_bptt_graph(steps=3), ["$H_{3}$", "$\\delta_{3} W_{hh}^\\top$", "$\\ell_{1}$"]),
])
def test_diagram_draws_its_labels(draw, must_show):
    fig, ax = draw()
    texts = {t.get_text() for t in ax.texts}
    assert set(must_show) <= texts, set(must_show) - texts
    fig.canvas.draw()          # mathtext parses
    plt.close(fig)


def test_gru_cell_rejects_an_unknown_convention():
    with pytest.raises(ValueError):
        draw_gru_cell("sideways")


def test_lstm_tanh_of_the_cell_is_drawn_as_an_operation_not_a_layer():
    """tanh(C_t) has no weights: it is drawn as a circle, like the other element-wise operations (issue 28)."""
    from matplotlib.patches import Circle, FancyBboxPatch
    fig, ax = draw_lstm_cell()
    (label,) = [t for t in ax.texts if t.get_text() == "tanh"]
    x, y = label.get_position()
    circles = [p for p in ax.patches if isinstance(p, Circle) and p.center == (x, y)]
    point = ax.transData.transform((x, y))
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch) and p.contains_point(point)]
    assert circles and not boxes
    plt.close(fig)


@pytest.mark.parametrize("reset", ["after", "before"])
def test_gru_candidate_reads_h_alone_on_its_own_wire(reset):
    """The candidate's recurrent path is not drawn off the [X_t, H_{t-1}] bus (issue 28): a wire labelled H_{t-1}
    runs under X_t's box."""
    fig, ax = draw_gru_cell(reset)
    assert "$H_{t-1}$" in [t.get_text() for t in ax.texts if t.get_position()[1] < -1.0]
    plt.close(fig)

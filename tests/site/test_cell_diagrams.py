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

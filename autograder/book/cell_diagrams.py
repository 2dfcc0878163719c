"""Diagrams of the gated cells and of backpropagation through time, drawn with matplotlib at build time.

    from autograder.book.cell_diagrams import draw_bptt_graph, draw_gru_cell, draw_lstm_cell
    fig, ax = draw_lstm_cell()                    # the LSTM cell, eq-lstm-gates / eq-lstm-state
    fig, ax = draw_gru_cell(reset="after")        # the GRU cell, PyTorch's candidate (eq-gru-candidate-after)
    fig, ax = draw_gru_cell(reset="before")       # Cho et al.'s candidate (eq-gru-candidate-before)
    fig, ax = draw_bptt_graph(steps=3)            # the unrolled Elman network with its gradient paths

They use the course's notation (row vectors, weights on the right, H_t the state after reading X_t) and the colours
of `autograder.book.diagrams`, so that a reader learns one visual language. They only draw; display with `show(fig)`.
"""
from __future__ import annotations

from matplotlib.patches import Circle

from autograder.book.diagrams import BOX_H, BOX_W, COLORS, arrow, box, new_axes

GRADIENT = "#c2410c"   # orange: gradients flowing backward (forward arrows keep COLORS["edge"])
GATE = "#fee2e2"       # light red: sigmoid gates
CANDIDATE = "#e0f2fe"  # light blue: tanh layers


def op(ax, x: float, y: float, symbol: str, r: float = 0.17, fontsize: float = 12):
    """An element-wise operation (⊙, +, 1−) drawn as a small circle centred at (x, y)."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=COLORS["edge"], linewidth=1.2, zorder=2))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=fontsize, zorder=3)


def layer(ax, x: float, y: float, text: str, kind: str, w: float = 0.72, h: float = 0.46, fontsize: float = 11):
    """A learned layer: a sigmoid gate (kind='gate') or a tanh layer (kind='tanh'), with its output's name."""
    from matplotlib.patches import FancyBboxPatch

    face = GATE if kind == "gate" else CANDIDATE
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
                                facecolor=face, edgecolor=COLORS["edge"], linewidth=1.2, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)


def line(ax, points, color=None, dashed=False, lw=1.3):
    """A polyline without an arrow head (a wire that an arrow continues)."""
    xs, ys = zip(*points)
    ax.plot(xs, ys, color=color or COLORS["edge"], linewidth=lw, linestyle="--" if dashed else "-", zorder=1,
            solid_capstyle="round")


def weights(ax, x, y, text, fontsize=9):
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=COLORS["weight"], zorder=3)


def draw_lstm_cell(ax=None, fontsize: float = 12):
    """One LSTM step: the four layers read [X_t, H_{t-1}], the cell path on top changes only element-wise.

    Each gate box is labelled with its output and its weight blocks (W_x*, W_h*, b_*); the one (d_in + h, 4h)
    product that computes all four pre-activations is the shared bus under them. Returns (fig, ax).
    """
    fig, ax = new_axes(8.6, 4.8, ax)
    y_c, y_ops, y_gate, y_bus, y_h = 3.4, 2.3, 1.0, 0.1, -0.6
    x_out, x_show = 7.9, 6.7
    box(ax, 0.0, y_c, "$C_{t-1}$", role="memory", fontsize=fontsize)
    box(ax, 0.0, y_h, "$H_{t-1}$", role="memory", fontsize=fontsize)
    box(ax, 1.6, -1.45, "$X_t$", role="input", fontsize=fontsize)
    box(ax, x_out, y_c, "$C_t$", role="hidden", fontsize=fontsize)
    box(ax, x_out, y_h, "$H_t$", role="hidden", fontsize=fontsize)
    # the bus [X_t, H_{t-1}] that every layer reads
    line(ax, [(BOX_W / 2, y_h), (1.6, y_h)])
    line(ax, [(1.6, -1.45 + BOX_H / 2), (1.6, y_bus), (5.5, y_bus)])
    # the bus's label sits beside X_t's box, where no wire crosses it
    ax.text(2.2, -1.45, "$[X_t,\\ H_{t-1}]$: one product with the stacked $(d_{in}+h,\\ 4h)$ weights",
            ha="left", va="center", fontsize=8.5)
    gates = [(1.6, "$F_t$", "gate", "f"), (2.9, "$I_t$", "gate", "i"), (4.2, "$G_t$", "tanh", "g"),
             (5.5, "$O_t$", "gate", "o")]
    for x, name, kind, g in gates:
        arrow(ax, (x, y_bus), (x, y_gate - 0.23))
        layer(ax, x, y_gate, ("$\\sigma$ → " if kind == "gate" else "tanh → ") + name, kind, w=1.05,
              fontsize=fontsize - 2)
        weights(ax, x, y_gate + 0.4, f"$W_{{x{g}}}, W_{{h{g}}}, b_{{{g}}}$",
                fontsize=8)
    # cell path: C_{t-1} -> (x) F -> (+) I*G -> C_t
    x_add = 3.55
    op(ax, 1.6, y_c, "×")
    op(ax, x_add, y_c, "+")
    op(ax, x_add, y_ops, "×")
    arrow(ax, (BOX_W / 2, y_c), (1.6 - 0.17, y_c))
    arrow(ax, (1.6, y_gate + 0.23), (1.6, y_c - 0.17))
    arrow(ax, (1.6 + 0.17, y_c), (x_add - 0.17, y_c))
    line(ax, [(2.9, y_gate + 0.23), (2.9, y_ops), (x_add - 0.17, y_ops)])
    line(ax, [(4.2, y_gate + 0.23), (4.2, y_ops), (x_add + 0.17, y_ops)])
    arrow(ax, (x_add, y_ops + 0.17), (x_add, y_c - 0.17))
    arrow(ax, (x_add + 0.17, y_c), (x_out - BOX_W / 2, y_c))
    ax.text(2.6, y_c + 0.32, "cell path: element-wise only", ha="center", fontsize=8.5, style="italic")
    # output: H_t = O_t * tanh(C_t)
    # tanh(C_t) has no weights: an element-wise function, drawn as the operations are (a circle), not as a layer
    op(ax, x_show, y_ops, "tanh", r=0.3, fontsize=fontsize - 3)
    op(ax, x_show, y_gate, "×")
    arrow(ax, (x_show, y_c), (x_show, y_ops + 0.3))
    arrow(ax, (x_show, y_ops - 0.3), (x_show, y_gate + 0.17))
    arrow(ax, (5.5 + 0.53, y_gate), (x_show - 0.17, y_gate))
    line(ax, [(x_show, y_gate - 0.17), (x_show, y_h)])
    arrow(ax, (x_show, y_h), (x_out - BOX_W / 2, y_h))
    ax.set_xlim(-0.6, 8.5)
    ax.set_ylim(-1.85, 3.9)
    return fig, ax


def draw_gru_cell(reset: str = "after", ax=None, fontsize: float = 12):
    """One GRU step in either candidate convention.

    reset="after" (PyTorch, cuDNN, Keras reset_after=True): R_t scales the recurrent product H_{t-1} W_hn + b_hn;
    reset="before" (Cho et al. 2014): R_t scales H_{t-1} before its product with W_hn.
    The update is H_t = (1 - Z_t) ⊙ N_t + Z_t ⊙ H_{t-1} in both. Returns (fig, ax).
    """
    if reset not in {"after", "before"}:
        raise ValueError("reset must be 'after' or 'before'")
    fig, ax = new_axes(8.2, 4.6, ax)
    y_top, y_mix, y_n, y_gate, y_bus = 3.2, 2.55, 1.75, 0.9, 0.0
    x_r, x_z, x_one, x_n, x_add, x_out = 1.3, 2.6, 3.4, 4.5, 6.0, 7.3
    box(ax, 0.0, y_top, "$H_{t-1}$", role="memory", fontsize=fontsize)
    box(ax, 1.2, -1.2, "$X_t$", role="input", fontsize=fontsize)
    box(ax, x_out, y_top, "$H_t$", role="hidden", fontsize=fontsize)
    # H_{t-1} runs along the top (the share Z_t keeps) and down to the layers
    line(ax, [(0.45, y_top), (0.6, y_top), (0.6, y_bus), (x_z, y_bus)])
    line(ax, [(1.2, -1.2 + BOX_H / 2), (1.2, y_bus)])
    ax.text(1.95, y_bus - 0.3, "$[X_t,\\ H_{t-1}]$", ha="center", fontsize=9)
    for x, name, g in ((x_r, "$R_t$", "r"), (x_z, "$Z_t$", "z")):
        arrow(ax, (x, y_bus), (x, y_gate - 0.23))
        layer(ax, x, y_gate, "$\\sigma$ → " + name, "gate", w=0.95, fontsize=fontsize - 2)
        weights(ax, x - 0.05, y_gate + 0.38, f"$W_{{x{g}}}, W_{{h{g}}}, b_{{{g}}}$", fontsize=7.5)
    layer(ax, x_n, y_n, "tanh → $N_t$", "tanh", w=1.2, fontsize=fontsize - 2)
    if reset == "after":
        layer(ax, x_n + 0.2, y_bus, "$H_{t-1} W_{hn} + b_{hn}$", "tanh", w=1.65, h=0.4, fontsize=9)
        # the candidate's recurrent product reads H_{t-1} alone: its own wire, under X_t's box
        line(ax, [(0.6, y_bus), (0.6, -1.75), (x_n + 0.2, -1.75)])
        arrow(ax, (x_n + 0.2, -1.75), (x_n + 0.2, y_bus - 0.2))
        ax.text(2.45, -1.6, "$H_{t-1}$", ha="center", fontsize=9)
        op(ax, x_n + 0.2, y_gate, "×")
        arrow(ax, (x_n + 0.2, y_bus + 0.2), (x_n + 0.2, y_gate - 0.17))
        line(ax, [(x_r, y_gate + 0.23), (x_r, 1.45), (3.7, 1.45), (3.7, y_gate), (x_n + 0.2 - 0.17, y_gate)])
        arrow(ax, (x_n + 0.2, y_gate + 0.17), (x_n + 0.2, y_n - 0.23))
        weights(ax, x_n + 0.7, y_n - 0.02, "$+\\ X_t W_{xn} + b_{xn}$", fontsize=9)
        ax.texts[-1].set_ha("left")
        title = "reset after the product (PyTorch, cuDNN, Keras reset_after=True)"
    else:
        # R_t multiplies H_{t-1} alone: its own wire from H_{t-1}, under X_t's box, not the [X_t, H_{t-1}] bus
        op(ax, 3.7, y_bus, "×")
        line(ax, [(0.6, y_bus), (0.6, -1.75), (3.7, -1.75)])
        arrow(ax, (3.7, -1.75), (3.7, y_bus - 0.17))
        ax.text(2.45, -1.6, "$H_{t-1}$", ha="center", fontsize=9)
        line(ax, [(x_r, y_gate + 0.23), (x_r, 1.45), (3.7, 1.45), (3.7, y_bus + 0.17)])
        layer(ax, x_n + 0.55, y_bus, "$(R_t \\odot H_{t-1}) W_{hn}$", "tanh", w=1.5, h=0.4, fontsize=9)
        arrow(ax, (3.7 + 0.17, y_bus), (x_n + 0.55 - 0.75, y_bus))
        arrow(ax, (x_n + 0.55, y_bus + 0.2), (x_n + 0.2, y_n - 0.23))
        weights(ax, x_n + 0.7, y_n - 0.02, "$+\\ X_t W_{xn} + b_n$", fontsize=9)
        ax.texts[-1].set_ha("left")
        title = "reset before the product (Cho et al. 2014)"
    # update: H_t = (1 - Z) * N + Z * H_{t-1}
    op(ax, x_z, y_top, "×")
    op(ax, x_add, y_top, "+")
    op(ax, x_n, y_mix, "×")
    op(ax, x_one, y_mix, "1−", fontsize=9)
    arrow(ax, (0.45, y_top), (x_z - 0.17, y_top))
    arrow(ax, (x_z, y_gate + 0.23), (x_z, y_top - 0.17))
    line(ax, [(x_z, y_mix - 0.45), (x_one, y_mix - 0.45)])
    arrow(ax, (x_one, y_mix - 0.45), (x_one, y_mix - 0.17))
    arrow(ax, (x_one + 0.17, y_mix), (x_n - 0.17, y_mix))
    arrow(ax, (x_n, y_n + 0.23), (x_n, y_mix - 0.17))
    line(ax, [(x_n + 0.17, y_mix), (x_add, y_mix)])
    arrow(ax, (x_add, y_mix), (x_add, y_top - 0.17))
    arrow(ax, (x_z + 0.17, y_top), (x_add - 0.17, y_top))
    arrow(ax, (x_add + 0.17, y_top), (x_out - BOX_W / 2, y_top))
    ax.text(3.6, y_top + 0.5, title, ha="center", fontsize=9.5)
    ax.set_xlim(-0.6, 7.9)
    ax.set_ylim(-1.95, 3.9)
    return fig, ax


def draw_bptt_graph(steps: int = 3, ax=None, fontsize: float = 12):
    """The unrolled Elman network (solid, forward) with the gradient's paths back through it (dashed, orange).

    Each H_t receives (O_t - Y_t) W_hq^T from its own output and δ_{t+1} W_hh^T from the next state
    (eq-bptt-recursion); the weight gradients add one term per step (eq-bptt-params). Returns (fig, ax).
    """
    dx = 2.3
    y_in, y_h, y_out, y_loss = 0.0, 1.5, 3.0, 4.3
    fig, ax = new_axes(2.3 * (steps + 1) + 0.6, 6.0, ax)
    box(ax, 0.0, y_h, "$H_0$", role="memory", dashed=True, fontsize=fontsize)
    for t in range(1, steps + 1):
        x = dx * t
        box(ax, x, y_in, f"$X_{{{t}}}$", role="input", fontsize=fontsize)
        box(ax, x, y_h, f"$H_{{{t}}}$", role="hidden", fontsize=fontsize)
        box(ax, x, y_out, f"$O_{{{t}}}$", role="output", fontsize=fontsize)
        box(ax, x, y_loss, f"$\\ell_{{{t}}}$", role="output", w=0.6, fontsize=fontsize)
        # forward
        arrow(ax, (x - 0.12, y_in + BOX_H / 2), (x - 0.12, y_h - BOX_H / 2), "$W_{xh}$", label_offset=(-0.45, 0))
        arrow(ax, (x - 0.12, y_h + BOX_H / 2), (x - 0.12, y_out - BOX_H / 2), "$W_{hq}$", label_offset=(-0.45, 0))
        arrow(ax, (x - 0.12, y_out + BOX_H / 2), (x - 0.12, y_loss - BOX_H / 2))
        arrow(ax, (x - dx + BOX_W / 2, y_h + 0.1), (x - BOX_W / 2, y_h + 0.1), "$W_{hh}$", label_offset=(0, 0.25))
        # backward
        arrow(ax, (x + 0.12, y_loss - BOX_H / 2), (x + 0.12, y_out + BOX_H / 2), dashed=True, color=GRADIENT)
        ax.text(x + 0.2, (y_out + y_loss) / 2, f"$O_{{{t}}} - Y_{{{t}}}$", fontsize=8.5, color=GRADIENT, va="center")
        arrow(ax, (x + 0.12, y_out - BOX_H / 2), (x + 0.12, y_h + BOX_H / 2), dashed=True, color=GRADIENT)
        ax.text(x + 0.2, (y_h + y_out) / 2, "$\\cdot W_{hq}^\\top$", fontsize=8.5, color=GRADIENT, va="center")
        arrow(ax, (x + 0.12, y_h - BOX_H / 2), (x + 0.12, y_in + BOX_H / 2), dashed=True, color=GRADIENT)
        ax.text(x + 0.2, (y_in + y_h) / 2, f"$\\delta_{{{t}}} W_{{xh}}^\\top$", fontsize=8.5, color=GRADIENT,
                va="center")
        arrow(ax, (x - BOX_W / 2, y_h - 0.12), (x - dx + BOX_W / 2, y_h - 0.12), dashed=True, color=GRADIENT)
        ax.text(x - dx / 2, y_h - 0.38, f"$\\delta_{{{t}}} W_{{hh}}^\\top$", fontsize=8.5, color=GRADIENT,
                ha="center")
    ax.text(dx * (steps + 1) / 2, -0.75,
            "$\\delta_t = \\partial L/\\partial H_t \\odot (1 - H_t^2)$;   "
            "$\\partial L/\\partial W_{hh} = \\sum_t H_{t-1}^\\top \\delta_t$,   "
            "$\\partial L/\\partial W_{xh} = \\sum_t X_t^\\top \\delta_t$",
            ha="center", fontsize=9, color=GRADIENT)
    ax.text(dx * (steps + 1) / 2, y_loss + 0.55, "solid: forward pass; dashed: the gradient, from $t = T$ back to 1",
            ha="center", fontsize=9)
    ax.set_xlim(-0.6, dx * steps + 1.0)
    ax.set_ylim(-1.05, y_loss + 0.8)
    return fig, ax


__all__ = ["draw_lstm_cell", "draw_gru_cell", "draw_bptt_graph"]

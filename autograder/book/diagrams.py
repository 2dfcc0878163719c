"""Small matplotlib helpers that draw the course's network diagrams at build time (no pasted images).

    from autograder.book.diagrams import draw_folded, draw_unrolled, show
    fig, ax = draw_unrolled(steps=3)                 # an Elman network unrolled over 3 steps
    fig, ax = draw_unrolled(steps=3, memory="output") # a Jordan network: the memory is the previous output
    fig, ax = draw_folded("elman")                   # the compact picture with its context (memory) units
    show(fig)                                        # display it in a notebook (any backend) and close it

Labels are matplotlib mathtext. In a label *template* the token ``{t}`` is replaced by the step number, and the
braces are kept, so ``"$H_{t}$"`` is both a readable template and valid mathtext (``"$H_{2}$"``). A callable
``t -> str`` works too. The helpers only draw; they never call ``plt.show()``, so they are safe under the Agg
backend that the book is built with.
"""
from __future__ import annotations

from typing import Callable, Union

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

Label = Union[str, Callable[[int], str], None]

# One colour per role, shared by every chapter so that a reader learns them once.
COLORS = {
    "input": "#dbeafe",    # blue: inputs X_t
    "hidden": "#dcfce7",   # green: hidden states / cells
    "output": "#fde68a",   # amber: outputs O_t
    "memory": "#f3e8ff",   # violet: context units, initial states
    "edge": "#334155",     # arrows and box outlines
    "weight": "#b91c1c",   # labels of (shared) weights
}
BOX_W, BOX_H = 0.9, 0.5

# Type sizes for the pages' plots (pages import this module before they draw): with figures about 5 inches wide,
# they stay readable once a phone scales the figure to its column (see `show`, which checks it).
TYPE_SIZES = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10.5,
              "ytick.labelsize": 10.5, "legend.fontsize": 10}
plt.rcParams.update(TYPE_SIZES)


def label_for(template: Label, t: int) -> str:
    """The label of step `t` from a template string (``{t}`` -> ``{t's value}``) or a callable."""
    if template is None:
        return ""
    if callable(template):
        return template(t)
    return template.replace("{t}", "{%d}" % t)


def new_axes(width: float, height: float, ax=None):
    """A figure without axes decorations, sized in inches; returns (fig, ax)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(width, height))
    else:
        fig = ax.figure
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def box(ax, x: float, y: float, text: str, role: str = "hidden", w: float = BOX_W, h: float = BOX_H,
        fontsize: float = 12, dashed: bool = False):
    """A rounded box centred at (x, y) with `text` in it, coloured by `role` (a key of COLORS)."""
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                           facecolor=COLORS[role], edgecolor=COLORS["edge"], linewidth=1.2,
                           linestyle="--" if dashed else "-", zorder=2)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return patch


def arrow(ax, start, end, label: str = "", *, label_offset=(0.0, 0.0), dashed: bool = False,
          rad: float = 0.0, color: str | None = None, fontsize: float = 12, shrink: float = 0.0):
    """An arrow from `start` to `end` (points), with an optional weight label near its middle."""
    (x0, y0), (x1, y1) = start, end
    if shrink:
        dx, dy = x1 - x0, y1 - y0
        norm = (dx * dx + dy * dy) ** 0.5 or 1.0
        x0, y0 = x0 + shrink * dx / norm, y0 + shrink * dy / norm
        x1, y1 = x1 - shrink * dx / norm, y1 - shrink * dy / norm
    patch = FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12, linewidth=1.3,
                            color=color or COLORS["edge"], linestyle="--" if dashed else "-",
                            connectionstyle=f"arc3,rad={rad}", zorder=1)
    ax.add_patch(patch)
    if label:
        mx, my = (x0 + x1) / 2 + label_offset[0], (y0 + y1) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=fontsize, color=COLORS["weight"],
                zorder=3, bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85))
    return patch


def draw_unrolled(steps: int = 3, *, memory: str = "hidden", ax=None,
                  cell: Label = "$H_{t}$", inputs: Label = "$X_{t}$", outputs: Label = "$O_{t}$",
                  input_weight: str = "$W_{xh}$", recurrent_weight: str | None = None,
                  output_weight: str = "$W_{hq}$", initial: str | None = None,
                  carried: Label = None, title: str | None = None, fontsize: float = 12):
    """Draw a recurrent network unrolled over `steps` time steps, with the shared weights written on the arrows.

    memory="hidden" (Elman, and every later chapter): the state H_{t-1} flows right into the next cell;
    memory="output" (Jordan): the previous output O_{t-1} flows diagonally down into the next cell.
    `cell`, `inputs`, `outputs` and `carried` (a label on each horizontal state arrow, e.g. "$H_{t}$" when the
    cell box shows a name such as "LSTM" instead) are templates or callables of the step; `outputs=None` draws
    no output row. `recurrent_weight` defaults to $W_{hh}$ (Elman) or $W_{qh}$ (Jordan); `initial` to $H_0$ or
    $O_0$. Returns (fig, ax).
    """
    if memory not in {"hidden", "output"}:
        raise ValueError("memory must be 'hidden' (Elman) or 'output' (Jordan)")
    jordan = memory == "output"
    if recurrent_weight is None:
        recurrent_weight = "$W_{qh}$" if jordan else "$W_{hh}$"
    if initial is None:
        initial = "$O_{0}$" if jordan else "$H_{0}$"
    dx = 1.9
    y_in, y_h, y_out = 0.0, 1.3, 2.6
    top = y_out if outputs is not None else y_h
    fig, ax = new_axes(1.9 * (steps + 1) + 0.3, 1.15 * (top + 1.2), ax)

    # The initial state: H_0 beside the first cell (Elman) or O_0 beside the first output (Jordan).
    y_init = y_out if jordan else y_h
    box(ax, 0.0, y_init, initial, role="memory", dashed=True, fontsize=fontsize)
    for t in range(1, steps + 1):
        x = dx * t
        box(ax, x, y_in, label_for(inputs, t), role="input", fontsize=fontsize)
        box(ax, x, y_h, label_for(cell, t), role="hidden", fontsize=fontsize)
        arrow(ax, (x, y_in + BOX_H / 2), (x, y_h - BOX_H / 2), input_weight, label_offset=(0.38, 0.0))
        if outputs is not None:
            box(ax, x, y_out, label_for(outputs, t), role="output", fontsize=fontsize)
            arrow(ax, (x, y_h + BOX_H / 2), (x, y_out - BOX_H / 2), output_weight, label_offset=(0.38, 0.0))
        if jordan:
            # O_{t-1} (or O_0) feeds the hidden layer of step t.
            arrow(ax, (x - dx + BOX_W / 2, y_out - BOX_H / 4), (x - BOX_W / 2, y_h + BOX_H / 4),
                  recurrent_weight, label_offset=(0.0, 0.0))
        else:
            arrow(ax, (x - dx + BOX_W / 2, y_h), (x - BOX_W / 2, y_h), recurrent_weight,
                  label_offset=(0.0, 0.22))
            if carried is not None:
                ax.text(x - dx / 2, y_h - 0.22, label_for(carried, t - 1), ha="center", va="center",
                        fontsize=fontsize - 2)
    # The state leaves the last step (to step T+1, or to whatever reads the final state).
    if not jordan:
        x = dx * steps
        arrow(ax, (x + BOX_W / 2, y_h), (x + BOX_W / 2 + 0.55, y_h), dashed=True)
    else:
        x = dx * steps
        arrow(ax, (x + BOX_W / 2, y_out - BOX_H / 4), (x + BOX_W / 2 + 0.55, y_h + BOX_H / 2), dashed=True)
    ax.set_xlim(-0.6, dx * steps + 1.1)
    ax.set_ylim(y_in - 0.45, top + 0.5 + (0.35 if title else 0.0))
    if title:
        ax.text((dx * steps) / 2, top + 0.6, title, ha="center", va="center", fontsize=fontsize)
    return fig, ax


def draw_folded(kind: str = "elman", *, ax=None, title: str | None = None, fontsize: float = 12):
    """The compact ("folded") picture of a Jordan or Elman network with its context units.

    The dashed arrow is a copy with weight 1 made after each step; the solid arrows are learned weights.
    Returns (fig, ax).
    """
    if kind not in {"elman", "jordan"}:
        raise ValueError("kind must be 'elman' or 'jordan'")
    fig, ax = new_axes(3.6, 3.6, ax)
    x, y_in, y_h, y_out, x_mem = 0.6, 0.0, 1.3, 2.6, -1.2
    box(ax, x, y_in, "$X_t$", role="input", fontsize=fontsize)
    box(ax, x, y_h, "$H_t$", role="hidden", fontsize=fontsize)
    box(ax, x, y_out, "$O_t$", role="output", fontsize=fontsize)
    arrow(ax, (x, y_in + BOX_H / 2), (x, y_h - BOX_H / 2), "$W_{xh}$", label_offset=(0.4, 0.0))
    arrow(ax, (x, y_h + BOX_H / 2), (x, y_out - BOX_H / 2), "$W_{hq}$", label_offset=(0.4, 0.0))
    if kind == "elman":
        box(ax, x_mem, y_h, "$H_{t-1}$", role="memory", fontsize=fontsize, w=1.0)
        # copy H_t into the context units (above), read them back into the hidden layer (straight arrow)
        arrow(ax, (x - 0.15, y_h + BOX_H / 2), (x_mem, y_h + BOX_H / 2),
              "copy", dashed=True, rad=0.55, label_offset=(0.0, 0.62), fontsize=11)
        arrow(ax, (x_mem + 0.5, y_h - 0.1), (x - BOX_W / 2, y_h - 0.1), "$W_{hh}$", label_offset=(0.0, -0.22))
    else:
        box(ax, x_mem, y_h, "$O_{t-1}$", role="memory", fontsize=fontsize, w=1.0)
        arrow(ax, (x - BOX_W / 2, y_out), (x_mem, y_h + BOX_H / 2), "copy", dashed=True, rad=0.25,
              label_offset=(-0.35, 0.25), fontsize=11)
        arrow(ax, (x_mem + 0.5, y_h), (x - BOX_W / 2, y_h), "$W_{qh}$", label_offset=(0.0, -0.22))
    ax.set_xlim(-1.95, 1.45)
    ax.set_ylim(y_in - 0.45, y_out + (0.85 if title else 0.45))
    if title:
        ax.text(-0.25, y_out + 0.6, title, ha="center", va="center", fontsize=fontsize)
    return fig, ax


# A figure is an image scaled down to the text column: on a 390 px phone the column is 342 CSS px wide (measured
# by tests/site/test_browser.py). Its smallest text must stay readable there.
PHONE_COLUMN_PX = 342
MIN_PHONE_TEXT_PX = 8.0
# A dense diagram may instead keep a legible size and scroll sideways in its box on a phone: the page gives its
# image the class below (`mystnb: image: classes:`), which course.css shows at least this wide.
SCROLL_CLASS = "course-scroll-figure"
SCROLL_MIN_WIDTH_PX = 460
CSS_PX_PER_INCH = 96          # matplotlib's SVG is sized in points (72 per inch); a CSS px is 3/4 of a point
PAD_INCHES = 0.1              # savefig's default padding around the tight bounding box


class IllegibleFigure(ValueError):
    """A figure whose smallest text would be below MIN_PHONE_TEXT_PX on a phone."""


def phone_text_px(fig, shown_px: float = PHONE_COLUMN_PX) -> tuple[float, str]:
    """The smallest visible text of `fig` in CSS px once the figure is scaled to `shown_px` (a phone's column),
    and that text.

    The figure is saved with a tight bounding box, so its displayed width is that box's; a figure narrower than
    `shown_px` is not enlarged.
    """
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width_px = (fig.get_tightbbox(renderer).width + 2 * PAD_INCHES) * CSS_PX_PER_INCH
    scale = min(1.0, shown_px / width_px)
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
             and t.get_window_extent(renderer).width > 0]
    if not texts:
        return float("inf"), ""
    smallest = min(texts, key=lambda t: t.get_fontsize())
    return smallest.get_fontsize() * CSS_PX_PER_INCH / 72 * scale, smallest.get_text()


def show(fig, fmt: str = "svg", dpi: int = 120, phone: str = "fit"):
    """Display `fig` in a notebook as an image and close it.

    Works whatever matplotlib backend the kernel uses (the book is built with MPLBACKEND=Agg, under which
    `plt.show()` displays nothing), and closing the figure prevents a second copy from the inline backend.
    Raises IllegibleFigure when the figure's smallest text would be unreadable on a phone: with phone="fit" (plots)
    once the figure is scaled to the column (draw fewer panels per row, or larger type); with phone="scroll" (dense
    diagrams, whose image has the class SCROLL_CLASS) at SCROLL_MIN_WIDTH_PX.
    """
    import io

    from IPython.display import SVG, Image, display

    if phone not in {"fit", "scroll"}:
        raise ValueError("phone must be 'fit' or 'scroll'")
    shown_px = PHONE_COLUMN_PX if phone == "fit" else SCROLL_MIN_WIDTH_PX
    size, text = phone_text_px(fig, shown_px)
    if size < MIN_PHONE_TEXT_PX:
        plt.close(fig)
        raise IllegibleFigure(
            f"the text {text!r} would be {size:.1f} CSS px on a phone (figure shown {shown_px} px wide; at least "
            f"{MIN_PHONE_TEXT_PX} needed): make the figure narrower (panels in a column) or its type larger")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=PAD_INCHES)
    plt.close(fig)
    data = buffer.getvalue()
    display(SVG(data) if fmt == "svg" else Image(data))

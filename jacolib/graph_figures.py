"""Chapter 4's figures: computation graphs drawn with matplotlib (no
graphviz), the live panel of the backward sweep, Jacobians as matrices.

``draw(output, ax)`` lays the graph out left to right by depth (an
input has depth 0, a node one more than its deepest parent) and labels
each node with its trace name, op and value, and optionally its
adjoint. ``BackwardSweepScene`` steps through the reverse sweep.
"""

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from jacolib import graph
from jacolib.plotting import PALETTE

__all__ = ["draw", "layout", "GraphPicture", "BackwardSweepScene",
           "draw_matrix"]

BLUE, ORANGE, GREY = PALETTE[0], PALETTE[1], "0.55"
_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−",
            "matmul": "@", "log": "ln", "exp": "exp", "sin": "sin",
            "cos": "cos", "tanh": "tanh", "sigmoid": "σ", "relu": "relu",
            "sum": "Σ", "max": "max", "maximum": "max"}


def layout(output):
    """{node id: (x, y)}: x the depth, and within a layer the nodes
    ordered by the mean height of their parents (fewer crossing edges),
    spread evenly around 0."""
    order = [n for n in graph.topological_order(output) if n.op != "const"]
    depth = {}
    for node in order:
        depths = [depth[p.id] for p in node.parents if p.id in depth]
        depth[node.id] = 1 + max(depths) if depths else 0
    positions = {}
    for x in sorted(set(depth.values())):
        column = [n for n in order if depth[n.id] == x]
        column.sort(key=lambda n: -np.mean(
            [positions[p.id][1] for p in n.parents if p.id in positions]
            or [0.0]))
        for row, node in enumerate(column):
            positions[node.id] = (x, (len(column) - 1) / 2 - row)
    return positions


def _label(node, names):
    if node.op == "input":
        formula = f"{names[node.id]} = {node.name or 'input'}"
    else:
        arguments = [names[p.id] for p in node.parents]
        symbol = _SYMBOLS.get(node.op.split()[0], node.op)
        if node.op.startswith("pow"):
            formula = f"{arguments[0]}^{node.op.split()[1]}"
        elif len(arguments) == 2 and node.op not in ("maximum",):
            formula = f"{arguments[0]} {symbol} {arguments[1]}"
        else:
            formula = f"{symbol}({', '.join(arguments)})"
        formula = f"{names[node.id]} = {formula}"
    return f"{formula}\n{graph._short(node.data)}"


class GraphPicture:
    """The drawing of one graph, whose labels and styles can change.

    Built once: nodes as boxes of one size (in data units), edges as
    arrows between their borders. ``show`` then restyles them for a set
    of adjoints and a current node, which is much cheaper than drawing
    a new figure (a live panel's budget).
    """

    box_height = 0.66  # layers are 1 apart, rows too

    def __init__(self, output, ax, fontsize=10, box_width=0.84):
        self.box_width, self.fontsize = box_width, fontsize
        self.output, self.ax = output, ax
        self.names = graph.node_names(output)
        self.positions = layout(output)
        self.nodes = [n for n in graph.topological_order(output)
                      if n.op != "const"]
        self.boxes, self.labels = {}, {}
        for node in self.nodes:
            x, y = self.positions[node.id]
            self.boxes[node.id] = ax.add_patch(FancyBboxPatch(
                (x - self.box_width / 2, y - self.box_height / 2),
                self.box_width, self.box_height, zorder=3,
                boxstyle="round,pad=0,rounding_size=0.06"))
            self.labels[node.id] = ax.text(x, y, "", ha="center",
                                           va="center", zorder=4,
                                           fontsize=self.fontsize)
        self.arrows = {}
        for node in self.nodes:
            for copy, parent in enumerate(node.parents):
                if parent.id in self.boxes:
                    start, end = self._border_points(parent.id, node.id)
                    # A parent used twice (x * x) gets two curved edges.
                    bend = 0.25 * (copy - 0.5) * (
                        node.parents.count(parent) > 1)
                    self.arrows[parent.id, node.id, copy] = ax.add_patch(
                        FancyArrowPatch(start, end, zorder=2,
                                        mutation_scale=12,
                                        connectionstyle=f"arc3,rad={bend}"))
        xs, ys = zip(*self.positions.values())
        ax.set_xlim(min(xs) - 0.55, max(xs) + 0.55)
        ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
        ax.set_axis_off()
        self.show()

    def _border_points(self, start_id, end_id):
        """Where the line between two boxes' centres leaves each box."""
        start = np.array(self.positions[start_id], dtype=float)
        end = np.array(self.positions[end_id], dtype=float)
        direction = end - start
        half = np.array([self.box_width, self.box_height]) / 2
        with np.errstate(divide="ignore"):
            t = np.min(half / np.abs(direction))  # to the nearest side
        return start + t * direction, end - t * direction

    def show(self, adjoints=None, current=None, done=()):
        """Label every node, with its adjoint where ``adjoints`` (node id
        -> array) holds one; draw ``current`` (a node id) with a thick
        orange border and its edges to its parents in orange, against
        the arrows (the adjoint flowing back); nodes in ``done`` (ids)
        have their final adjoint: solid border. Others are dashed, so no
        meaning rests on colour alone. Returns the changed artists."""
        for node in self.nodes:
            text = _label(node, self.names)
            if adjoints is not None and (np.any(adjoints[node.id] != 0)
                                         or node.id in done):
                text += f"\nā = {graph._short(adjoints[node.id])}"
            self.labels[node.id].set_text(text)
            is_current, is_done = node.id == current, node.id in done
            self.boxes[node.id].set(
                facecolor="#FFF1E0" if is_current else "white",
                edgecolor=ORANGE if is_current else
                (BLUE if is_done else GREY),
                linewidth=2.6 if is_current else 1.2,
                linestyle="-" if is_current or is_done else "--")
        for (_, child, _), arrow in self.arrows.items():
            flowing = child == current
            arrow.set(arrowstyle="<|-" if flowing else "-|>",
                      color=ORANGE if flowing else GREY,
                      linewidth=2.2 if flowing else 1.0)
        return [*self.arrows.values(), *self.boxes.values(),
                *self.labels.values()]


def draw(output, ax, adjoints=None, current=None, done=(), fontsize=10,
         box_width=0.84):
    """Draw the graph of ``output`` on ``ax`` (see ``GraphPicture.show``
    for the meaning of the arguments; a wide graph needs a smaller
    ``fontsize`` or a wider ``box_width``, at most 0.95). Returns the
    GraphPicture."""
    picture = GraphPicture(output, ax, fontsize, box_width)
    picture.show(adjoints, current, done)
    return picture


class BackwardSweepScene:
    """The live panel: the reverse sweep of a graph, one node per step.

    Step 0 shows the forward pass done and the seed ā = 1 at the
    output; step k has sent the adjoints of the last k nodes (in reverse
    topological order) back to their parents: those k are processed
    (solid border), and their adjoints final. Use it as a LivePanel
    scene: ``LivePanel(BackwardSweepScene.of(output, title), step=...)``.
    """

    output, title = None, ""

    @classmethod
    def of(cls, output, title):
        """A scene class for this graph, ready for LivePanel."""
        return type(cls.__name__, (cls,), {"output": output,
                                           "title": title})

    def __init__(self, fig):
        ax = fig.add_axes([0.01, 0.01, 0.98, 0.86])
        self.picture = GraphPicture(self.output, ax)
        self.steps = list(graph.backward_steps(self.output))
        self.caption = fig.suptitle(" ", fontsize=10)

    def update(self, step):
        nodes = [node for node, _ in self.steps]
        if step == 0:
            adjoints = {n.id: np.zeros_like(n.data)
                        for n in graph.topological_order(self.output)}
            adjoints[self.output.id] = np.ones_like(self.output.data)
            changed = self.picture.show(adjoints)
            caption = "forward pass done; seed ā = 1 at the output"
        else:
            node, adjoints = self.steps[step - 1]
            changed = self.picture.show(
                adjoints, current=node.id,
                done={n.id for n in nodes[:step]})
            name = self.picture.names[node.id]
            caption = (f"step {step}: {name} sends its adjoint back to its "
                       "inputs" if node.parents else
                       f"step {step}: {name} is an input, its adjoint final")
        self.caption.set_text(f"{self.title}: {caption}")
        return [*changed, self.caption]

    def describe(self, step):
        """The figure in words at ``step``, for its text alternative:
        the node being processed, the adjoints so far, which are final.
        A dictionary look-up per node; any step, even out of range,
        is described as the nearest one."""
        names = self.picture.names
        last = len(self.steps)
        step = int(min(max(step, 0), last))
        if step == 0:
            seed = names[self.output.id].replace("a", "ā", 1)
            return (f"The computation graph of {self.title}, forward pass "
                    f"done (step 0 of {last}): the seed {seed} = 1 at "
                    "the output, every other adjoint 0.")
        node, adjoints = self.steps[step - 1]
        done = [n for n, _ in self.steps[:step]]
        formula = _label(node, names).split("\n")[0]
        action = ("sends its adjoint back to "
                  + ", ".join(names[p.id] for p in node.parents
                              if p.id in self.picture.boxes)
                  if node.parents else "is an input: its adjoint is final")
        so_far = ", ".join(
            f"{names[n.id].replace('a', 'ā', 1)} = "
            f"{graph._short(adjoints[n.id]).replace('-', '−')}"
            for n in self.picture.nodes
            if np.any(adjoints[n.id] != 0) or n in done)
        return (f"The computation graph of {self.title}, step {step} of "
                f"{last} of the reverse sweep: {formula} {action}. "
                f"Adjoints so far: {so_far}; final at "
                f"{', '.join(names[n.id] for n in done)}.")


def draw_matrix(ax, matrix, title, row_label, column_label,
                colorbar=True):
    """A matrix as a grid of coloured cells, zeros white, values shown
    when it is small enough to read them, and a colour bar whose ends
    are labelled with the largest |entry|, so that the sign is not told
    by colour alone."""
    matrix = np.asarray(matrix, dtype=np.float64)
    limit = max(np.abs(matrix).max(), 1e-12)
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.8,
                                 ticks=[-limit, 0, limit])
        bar.ax.set_yticklabels([f"−{limit:.2g} (negative)", "0",
                                f"+{limit:.2g} (positive)"])
        bar.ax.tick_params(labelsize=8)
    if matrix.size <= 64:
        for (i, j), value in np.ndenumerate(matrix):
            dark = abs(value) > 0.6 * limit  # white text on dark cells
            ax.text(j, i, f"{value:.2g}" if value else "0", ha="center",
                    va="center", fontsize=8,
                    color="white" if dark else "black")
    ax.set(title=title, xlabel=column_label, ylabel=row_label)
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    ax.grid(False)
    return ax

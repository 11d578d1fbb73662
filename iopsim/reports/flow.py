"""Patient flow: what happened to patients in the observation window, per year, and its Sankey drawing.

Every step counts events inside the window, exactly as the KPIs do: 'Admitted' is
`admissions_per_year`, 'Graduated' the graduations the length-of-stay chart and the completion
rate count, each referred-out band its `referred_out_*_per_year`. So the flow, the charts and the
tables show one number for one thing.

Events in a window do not split exactly into the next step's events: some patients assessed in
the window are admitted after it, and some admitted in it were assessed before it. What is left
over is shown as it is: a grey 'still waiting' band when more entered a step than left it (the
queue or census rose over the window), or a grey part of a bar, 'carried over from before the
window', when more left a step than entered it. Counts are per year and per replication.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .rundir import RunDir
from .style import BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILLION
from .tables import format_value


@dataclass
class Node:
    label: str
    count: float  # patients a year
    color: str = BLUE
    children: list[Node] = field(default_factory=list)
    carried_in: float = 0.0  # a year: left this step in the window after entering it before the window

    def add(self, label: str, count: float, color: str) -> Node:
        child = Node(label, count, color)
        self.children.append(child)
        return child

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def height(self) -> float:
        """What the node's bar holds: its own count and what was carried over from before the window."""
        return self.count + self.carried_in


def patient_flow(run: RunDir) -> Node:
    """The flow tree of a run; each node counts its step's events in the window (as its KPI)."""
    p = run.patients
    scale = 1.0 / (run.replications * run.window_years) if run.window_years > 0 else 0.0
    out, after = p["outcome"], p["aftercare_status"]
    referred, assessed = run.within_window("referred"), run.within_window("assessment_start")
    admitted, ended = run.within_window("admitted"), run.within_window("ended")
    treatment_ended = run.within_window("treatment_end")

    def n(mask) -> float:
        return float(mask.sum()) * scale

    root = Node("Referred", n(referred))
    a = root.add("Assessed", n(assessed), BLUE)
    adm = a.add("Admitted", n(admitted), BLUE)
    graduated = treatment_ended & (out == "graduated")
    grad = adm.add("Graduated", n(graduated), GREEN)
    for status, label, color in (
        ("completed", "Completed aftercare", GREEN),
        ("dropped_out", "Left aftercare early", ORANGE),
        ("relapsed_returned", "Relapsed in aftercare, referred again", VERMILLION),
        ("attending", "In aftercare at end of run", GREY),
        ("declined", "Declined aftercare", PURPLE),
        ("no_seat", "No aftercare seat in time", VERMILLION),
        ("waiting", "Waiting for aftercare seat at end of run", GREY),
        ("not_offered", "Aftercare not offered", GREY),
    ):
        grad.add(label, n(graduated & (after == status)), color)
    adm.add("Dropped out", n(treatment_ended & (out == "dropped_out")), ORANGE)
    adm.add("Discharged after relapse", n(treatment_ended & (out == "relapse_discharge")), VERMILLION)
    for outcome, label, color in (("stepped_up", "Stepped up to a higher level of care", VERMILLION),
                                  ("transferred", "Transferred early / stepped down", BLUE),
                                  ("non_starter", "Never started", ORANGE)):
        if (out == outcome).any():  # only scenarios with these mechanisms
            adm.add(label, n(treatment_ended & (out == outcome)), color)
    for outcome, label in (
        ("referred_out_mild", "Referred out: mild (standard outpatient)"),
        ("referred_out_home", "Referred out: home unsupportive"),
        ("referred_out_detox", "Referred out: detox, did not return"),
        ("referred_out_waitlist_full", "Referred out: waitlist full"),
    ):
        a.add(label, n(ended & (out == outcome)), PURPLE)
    a.add("Gave up on the waitlist", n(ended & (out == "reneged_waitlist")), VERMILLION)
    root.add("Closed after intake no-shows", n(ended & (out == "intake_no_show")), ORANGE)
    root.add("Gave up before intake", n(ended & (out == "reneged_intake")), VERMILLION)
    for node, rest in ((root, "Still waiting for intake (rise over the window)"),
                       (a, "Still waiting for admission (rise over the window)"),
                       (adm, "Still in treatment (rise over the window)")):
        _balance(node, rest)
    _drop_empty(root)
    return root


def _balance(node: Node, leftover: str) -> None:
    """Make the children add up to the bar: a leftover leaf, or what was carried over from before."""
    rest = node.count - sum(c.count for c in node.children)
    tolerance = 1e-9 * max(node.count, 1)
    if rest > tolerance:
        node.children.append(Node(leftover, rest, GREY))
    elif rest < -tolerance:
        node.carried_in = -rest


def _drop_empty(node: Node) -> None:
    for child in node.children:
        _drop_empty(child)
    node.children = [c for c in node.children if c.count > 0]


# --- drawing ----------------------------------------------------------------------------------------
BAR = 0.06  # node width, in column widths


def _layout(root: Node, gap: float, min_slot: float) -> dict[int, tuple[int, float]]:
    """id(node) -> (column, top y), y growing downwards, as a staircase that no band or label crosses.

    Nodes that continue sit at the top of their column; the leaves (where patients stop) of a
    column sit below everything further right, so the labels written to their right are clear.
    """
    columns: list[list[Node]] = [[root]]
    while True:
        nxt = [child for node in columns[-1] for child in node.children]
        if not nxt:
            break
        columns.append(nxt)
    pos: dict[int, tuple[int, float]] = {}
    floor = 0.0  # lowest point used by the columns to the right
    for col in range(len(columns) - 1, -1, -1):
        cursor = 0.0
        for node in (n for n in columns[col] if n.children):
            pos[id(node)] = (col, cursor)
            cursor += node.height + gap
        cursor = max(cursor, floor + gap if floor else 0.0)
        for node in (n for n in columns[col] if not n.children):
            pos[id(node)] = (col, cursor)
            cursor += max(node.height, min_slot) + gap
        floor = max(floor, cursor - gap)
    return pos


def _band(ax, x0: float, y0: tuple[float, float], x1: float, y1: tuple[float, float], color: str) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    mid = (x0 + x1) / 2
    verts = [(x0, y0[0]), (mid, y0[0]), (mid, y1[0]), (x1, y1[0]), (x1, y1[1]), (mid, y1[1]), (mid, y0[1]),
             (x0, y0[1]), (x0, y0[0])]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO, Path.CURVE4, Path.CURVE4, Path.CURVE4,
             Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(verts, codes), fc=color, ec="none", alpha=0.4, zorder=1))


def draw_flow(ax, root: Node, unit: str = "a year") -> None:
    """Columns of nodes (bar height = count) joined by bands; each node labelled with count and share of referrals.

    A part carried over from before the window is drawn grey and hatched under the node's own count.
    """
    from matplotlib.patches import Rectangle

    total = root.count
    gap, min_slot = 0.02 * total, 0.034 * total
    pos = _layout(root, gap, min_slot)
    columns = max(c for c, _ in pos.values())

    def share(node: Node, sep: str = " ") -> str:
        if node is root:
            return f"{format_value(node.count)} {unit}"
        pct = 100 * node.count / total
        text = f"{format_value(node.count)} {unit}{sep}({'<1' if 0 < pct < 0.5 else f'{pct:.0f}'}% of referrals)"
        if node.carried_in >= 0.005 * total:  # a sliver is drawn, not worded
            text += f"{sep}+ {format_value(node.carried_in)} {unit} from before the window"
        return text

    for node in root.walk():
        col, top = pos[id(node)]
        ax.add_patch(Rectangle((col, top), BAR, node.count, fc=node.color, ec="none", zorder=2))
        if node.carried_in:
            ax.add_patch(Rectangle((col, top + node.count), BAR, node.carried_in, fc="white", ec=GREY, hatch="///",
                                   lw=0.6, zorder=2))
        if node.children:
            ax.text(col, top - 0.012 * total, f"{node.label}\n{share(node, sep=chr(10))}", ha="left", va="bottom",
                    fontsize=10, fontweight="bold", zorder=3)
            offset = top
            for child in node.children:
                ccol, ctop = pos[id(child)]
                _band(ax, col + BAR, (offset, offset + child.count), ccol, (ctop, ctop + child.count),
                      SKY if child.children else child.color)
                offset += child.count
        else:
            ax.text(col + BAR + 0.03, top + max(node.height, min_slot) / 2, f"{node.label}: {share(node)}",
                    ha="left", va="center", fontsize=9.5, zorder=3)
    bottom = max(top + max(n.height, min_slot) for n in root.walk() for _, top in [pos[id(n)]])
    ax.set_xlim(-0.05, columns + 1.3)
    ax.set_ylim(bottom + gap, -0.2 * total)
    ax.axis("off")

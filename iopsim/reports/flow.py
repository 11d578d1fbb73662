"""Patient flow: the referrals of the observation window followed to their end, and its Sankey drawing.

The flow is a cohort: each referral received after the warm-up is counted once, at the step where
it ended (or 'at end of run' if it was still waiting or in care), so every band splits exactly
into its children. Counts are per year and per replication.
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

    def add(self, label: str, count: float, color: str) -> Node:
        child = Node(label, count, color)
        self.children.append(child)
        return child

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def patient_flow(run: RunDir) -> Node:
    """The flow tree of a run; leaves partition the referrals (a remainder, if any, is 'Other')."""
    p = run.patients
    c = p[run.within_window("referred")]
    scale = 1.0 / (run.replications * run.window_years) if run.window_years > 0 else 0.0
    out, after = c["outcome"], c["aftercare_status"]
    assessed, admitted = c["assessment_start"].notna(), c["admitted"].notna()
    still = out == "in_system"

    def n(mask) -> float:
        return float(mask.sum()) * scale

    root = Node("Referred", n(out.notna()))
    a = root.add("Assessed", n(assessed), BLUE)
    adm = a.add("Admitted", n(admitted), BLUE)
    grad = adm.add("Graduated", n(admitted & (out == "graduated")), GREEN)
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
        grad.add(label, n(admitted & (out == "graduated") & (after == status)), color)
    adm.add("Dropped out", n(admitted & (out == "dropped_out")), ORANGE)
    adm.add("Discharged after relapse", n(admitted & (out == "relapse_discharge")), VERMILLION)
    for outcome, label, color in (("stepped_up", "Stepped up to a higher level of care", VERMILLION),
                                  ("transferred", "Transferred early / stepped down", BLUE),
                                  ("non_starter", "Never started", ORANGE)):
        if (out == outcome).any():  # only scenarios with these mechanisms
            adm.add(label, n(admitted & (out == outcome)), color)
    adm.add("In treatment at end of run", n(admitted & still), GREY)
    for outcome, label in (
        ("referred_out_mild", "Referred out: mild (standard outpatient)"),
        ("referred_out_home", "Referred out: home unsupportive"),
        ("referred_out_detox", "Referred out: detox, did not return"),
        ("referred_out_waitlist_full", "Referred out: waitlist full"),
    ):
        a.add(label, n(assessed & ~admitted & (out == outcome)), PURPLE)
    a.add("Gave up on the waitlist", n(assessed & ~admitted & (out == "reneged_waitlist")), VERMILLION)
    a.add("On the waitlist at end of run", n(assessed & ~admitted & still), GREY)
    root.add("Closed after intake no-shows", n(~assessed & (out == "intake_no_show")), ORANGE)
    root.add("Gave up before intake", n(~assessed & (out == "reneged_intake")), VERMILLION)
    root.add("Waiting for intake at end of run", n(~assessed & still), GREY)
    _close(root)
    return root


def _close(node: Node) -> None:
    """Drop empty children and account for any remainder, so children always add up to the parent."""
    for child in node.children:
        _close(child)
    if not node.children:
        return
    rest = node.count - sum(c.count for c in node.children)
    if rest > 1e-9 * max(node.count, 1):
        node.children.append(Node("Other", rest, GREY))
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
            cursor += node.count + gap
        cursor = max(cursor, floor + gap if floor else 0.0)
        for node in (n for n in columns[col] if not n.children):
            pos[id(node)] = (col, cursor)
            cursor += max(node.count, min_slot) + gap
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
    """Columns of nodes (bar height = count) joined by bands; each node labelled with count and share."""
    from matplotlib.patches import Rectangle

    total = root.count
    gap, min_slot = 0.02 * total, 0.034 * total
    pos = _layout(root, gap, min_slot)
    columns = max(c for c, _ in pos.values())

    def share(node: Node) -> str:
        pct = 100 * node.count / total
        return f"{format_value(node.count)} {unit} ({'<1' if 0 < pct < 0.5 else f'{pct:.0f}'}%)"

    for node in root.walk():
        col, top = pos[id(node)]
        ax.add_patch(Rectangle((col, top), BAR, node.count, fc=node.color, ec="none", zorder=2))
        if node.children:
            ax.text(col, top - 0.012 * total, f"{node.label}\n{share(node)}", ha="left", va="bottom", fontsize=10.5,
                    fontweight="bold", zorder=3)
            offset = top
            for child in node.children:
                ccol, ctop = pos[id(child)]
                _band(ax, col + BAR, (offset, offset + child.count), ccol, (ctop, ctop + child.count),
                      SKY if child.children else child.color)
                offset += child.count
        else:
            ax.text(col + BAR + 0.03, top + max(node.count, min_slot) / 2, f"{node.label}: {share(node)}",
                    ha="left", va="center", fontsize=9.5, zorder=3)
    bottom = max(top + max(n.count, min_slot) for n in root.walk() for _, top in [pos[id(n)]])
    ax.set_xlim(-0.05, columns + 1.3)
    ax.set_ylim(bottom + gap, -0.13 * total)
    ax.axis("off")

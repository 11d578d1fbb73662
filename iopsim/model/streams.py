"""One random stream per stochastic purpose (common random numbers across scenarios).

Each stream is seeded from (base seed, replication, purpose), never from the worker or the
order of runs, so a replication gives the same result wherever and whenever it runs, and two
scenarios run with the same seed see the same referrals, durations and coin flips for every
purpose they share.

Draws come in numpy blocks (see `scenario/distributions.py`), handed out one at a time by a
C-level iterator (under half the cost per draw of a Python buffer-and-index callable), which
matters because a run makes tens of draws per referral.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np

from ..scenario.distributions import BLOCK, sampler

Draw = Callable[[], float]


def draws_of(draw: Draw) -> Iterator[float]:
    """The same draws as an iterator: `next(draws)` costs about a quarter fewer instructions a draw
    than calling `draw` when that is an iterator's bound `__next__`, as the streams below hand them
    out (the hot draws of the pathway and the sessions use it); any other draw is wrapped, so it is
    only slower."""
    it = getattr(draw, "__self__", None)
    if it is not None and getattr(it, "__next__", None) == draw:
        return it
    return iter(draw, object())


def _flat(draw_block: Callable[[], np.ndarray]) -> Draw:
    """One value per call from an endless sequence of blocks."""
    return chain.from_iterable(iter(lambda: draw_block().tolist(), None)).__next__


class RandomStreams:
    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication

    def generator(self, purpose: str) -> np.random.Generator:
        key = zlib.crc32(purpose.encode("utf-8"))
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.replication, key)))

    def uniforms(self, purpose: str) -> Draw:
        """U(0,1) draws: the cheap way to decide 'does this happen?' many times."""
        rng = self.generator(purpose)
        return _flat(lambda: rng.random(BLOCK))

    def exponentials(self, purpose: str) -> Draw:
        """Standard exponential draws; divide by a rate to get a waiting time."""
        rng = self.generator(purpose)
        return _flat(lambda: rng.standard_exponential(BLOCK))

    def poissons(self, purpose: str, mean: float) -> Draw:
        """Poisson counts (as floats). A block of numpy Poisson draws is the same sequence as
        one-at-a-time draws from the same generator, so this only saves numpy calls."""
        rng = self.generator(purpose)
        return _flat(lambda: rng.poisson(mean, BLOCK).astype(np.float64))

    def sampler(self, purpose: str, spec, scale: float = 1.0) -> Draw:
        """Draws of a distribution spec, times `scale` (e.g. weeks to days): multiplied a block at a
        time by numpy, which rounds each product exactly as Python's float multiplication does."""
        draw_block = sampler(spec, self.generator(purpose))
        if scale == 1.0:
            return _flat(draw_block)
        return _flat(lambda: draw_block() * scale)

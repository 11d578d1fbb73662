"""One random stream per stochastic purpose (common random numbers across scenarios).

Each stream is seeded from (base seed, replication, purpose), never from the worker or the
order of runs, so a replication gives the same result wherever and whenever it runs, and two
scenarios run with the same seed see the same referrals, durations and coin flips for every
purpose they share.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..scenario.distributions import BufferedDraws, exponentials, sampler, uniforms


class RandomStreams:
    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication

    def generator(self, purpose: str) -> np.random.Generator:
        key = zlib.crc32(purpose.encode("utf-8"))
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.replication, key)))

    def uniforms(self, purpose: str) -> BufferedDraws:
        return uniforms(self.generator(purpose))

    def exponentials(self, purpose: str) -> BufferedDraws:
        return exponentials(self.generator(purpose))

    def sampler(self, purpose: str, spec) -> BufferedDraws:
        return sampler(spec, self.generator(purpose))

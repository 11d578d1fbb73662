"""RandomStreams: one reproducible stream per purpose, handed out one value at a time."""

from __future__ import annotations

import zlib

import numpy as np

from iopsim.model.streams import RandomStreams
from iopsim.scenario.distributions import BLOCK, Fixed


def reference(seed: int, replication: int, purpose: str) -> np.random.Generator:
    key = zlib.crc32(purpose.encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, key)))


def test_uniforms_are_the_purposes_own_numpy_stream_across_block_boundaries():
    draw = RandomStreams(11, 2).uniforms("attendance")
    values = [draw() for _ in range(BLOCK + 3)]
    rng = reference(11, 2, "attendance")
    expected = np.concatenate([rng.random(BLOCK), rng.random(BLOCK)])[: BLOCK + 3]
    assert values == expected.tolist()


def test_streams_differ_by_purpose_and_replication_but_not_by_order_of_creation():
    a = RandomStreams(11, 0)
    first = a.exponentials("dropout_clock")
    a.exponentials("relapse_clock")()  # another purpose, drawn in between
    b = RandomStreams(11, 0).exponentials("dropout_clock")
    assert [first() for _ in range(5)] == [b() for _ in range(5)]
    assert RandomStreams(11, 1).uniforms("x")() != RandomStreams(11, 0).uniforms("x")()
    assert RandomStreams(11, 0).uniforms("x")() != RandomStreams(11, 0).uniforms("y")()


def test_poissons_are_floats_of_numpy_poisson_draws():
    draw = RandomStreams(3, 0).poissons("self_help:0", 2.5)
    got = [draw() for _ in range(4)]
    assert got == reference(3, 0, "self_help:0").poisson(2.5, BLOCK)[:4].astype(float).tolist()
    assert all(isinstance(v, float) for v in got)


def test_sampler_of_a_fixed_value_always_gives_it():
    draw = RandomStreams(3, 0).sampler("phase_duration:0", Fixed(value=4.0))
    assert {draw() for _ in range(BLOCK + 1)} == {4.0}


def test_draws_of_hands_out_the_same_draws_as_the_stream():
    from iopsim.model.streams import RandomStreams, draws_of

    stream, same = RandomStreams(1, 0).uniforms("attendance"), RandomStreams(1, 0).uniforms("attendance")
    draws = draws_of(stream)
    assert draws is stream.__self__  # type: ignore[attr-defined]  # the stream's own iterator, not a wrapper
    assert [next(draws) for _ in range(5)] + [stream()] == [same() for _ in range(6)]
    values = iter([0.25, 0.5])
    assert [next(draws_of(lambda: next(values))) for _ in range(2)] == [0.25, 0.5]  # any other draw: wrapped

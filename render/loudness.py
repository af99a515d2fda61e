"""EBU R128 / ITU-R BS.1770-4 loudness in numpy (no scipy, no Qt).

Integrated loudness: K-weighting (a high-shelf and a high-pass biquad), mean square per
channel over 400 ms blocks with 75 % overlap, an absolute gate at -70 LUFS and a relative
gate 10 LU under the mean of the blocks that passed the absolute gate.

A biquad is a recursion, which numpy cannot vectorise directly. :class:`Biquad` cuts the
signal into short blocks: inside a block the zero-state response is a small matrix product
(the truncated impulse response as a Toeplitz matrix); the state carried from block to block
is a 2-vector obeying a linear recurrence, solved for all blocks at once with a log-depth
prefix scan. Everything runs in float64, so the result matches a sample-by-sample filter to
rounding error.

All channels are weighted 1.0 (mono and stereo, which is all the mixer produces).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Biquad", "LoudnessMeter", "integrated_loudness", "k_weighting"]

ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU under the absolute-gated mean
_OFFSET = -0.691  # BS.1770 constant: 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS
_SUB_BLOCKS = 4  # a 400 ms gating block is four 100 ms steps (75 % overlap)
_IIR_BLOCK = 32  # samples per block of the blocked IIR (matrix product size)
_CHUNK = 480_000  # samples per pass in integrated_loudness (bounds temporary memory)


def k_weighting(rate: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The two K-weighting biquads ``((b, a), (b, a))`` for ``rate``.

    Designed from the analogue prototypes (as libebur128 does), so any rate works; at
    48 kHz this reproduces the coefficients printed in BS.1770-4.
    """
    # Stage 1: high shelf, +4 dB above ~1.7 kHz (head acoustics).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = (
        np.array([(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0,
                  (vh - vb * k / q + k * k) / a0]),
        np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]),
    )
    # Stage 2: RLB high-pass at ~38 Hz.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    highpass = (
        np.array([1.0, -2.0, 1.0]),
        np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]),
    )
    return shelf, highpass


class Biquad:
    """A stateful biquad over ``(n, channels)`` float64 arrays, vectorised in blocks.

    Successive calls continue the signal (the state carries over), so a long file can be
    filtered chunk by chunk with the same result as in one go.
    """

    def __init__(self, b: np.ndarray, a: np.ndarray, channels: int,
                 block: int = _IIR_BLOCK) -> None:
        b = np.asarray(b, dtype=np.float64) / a[0]
        a = np.asarray(a, dtype=np.float64) / a[0]
        self._b = b
        self._a1, self._a2 = float(a[1]), float(a[2])
        self._block = block
        h, cu, cv = self._responses(block)
        # Zero-state response of one block: w (rows) @ toeplitz.
        idx = np.arange(block)
        lag = idx[None, :] - idx[:, None]
        self._toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)
        self._cu, self._cv = cu, cv  # responses to y[-1] = 1 and to y[-2] = 1
        # Block-to-block state transition: (y[L-1], y[L-2]) from (y[-1], y[-2]).
        self._m = np.array([[cu[-1], cv[-1]], [cu[-2], cv[-2]]])
        self._x = np.zeros((channels, 2))  # x[-1], x[-2]
        self._y = np.zeros((channels, 2))  # y[-1], y[-2]

    def _responses(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Impulse response of the all-pole part and its responses to the two states."""
        a1, a2 = self._a1, self._a2
        out = np.zeros((3, n))
        for col, (w0, y1, y2) in enumerate(((1.0, 0.0, 0.0), (0.0, 1.0, 0.0),
                                            (0.0, 0.0, 1.0))):
            for i in range(n):
                y = (w0 if i == 0 else 0.0) - a1 * y1 - a2 * y2
                out[col, i] = y
                y1, y2 = y, y1
        return out[0], out[1], out[2]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` (n, channels) and return float64 (n, channels)."""
        x = np.asarray(x, dtype=np.float64).T  # (C, n)
        n = x.shape[1]
        if n == 0:
            return np.zeros((0, x.shape[0]))
        w = self._fir(x)
        L = self._block
        nb = -(-n // L)
        pad = nb * L - n
        if pad:
            w = np.concatenate([w, np.zeros((w.shape[0], pad))], axis=1)
        w = w.reshape(w.shape[0], nb, L)
        y0 = w @ self._toeplitz  # (C, nb, L) zero-state responses
        states = self._block_states(y0)  # (C, nb, 2): (y[-1], y[-2]) entering each block
        y = y0 + states[..., :1] * self._cu + states[..., 1:] * self._cv
        y = y.reshape(y.shape[0], -1)[:, :n]
        self._y[:, 1] = y[:, -2] if n > 1 else self._y[:, 0]
        self._y[:, 0] = y[:, -1]
        return y.T

    def _fir(self, x: np.ndarray) -> np.ndarray:
        """Numerator part b0·x[n] + b1·x[n-1] + b2·x[n-2], continuing the previous call."""
        ext = np.concatenate([self._x[:, ::-1], x], axis=1)  # x[-2], x[-1], x[0], ...
        b0, b1, b2 = self._b
        w = b0 * ext[:, 2:] + b1 * ext[:, 1:-1] + b2 * ext[:, :-2]
        self._x[:, 0] = ext[:, -1]
        self._x[:, 1] = ext[:, -2]
        return w

    def _block_states(self, y0: np.ndarray) -> np.ndarray:
        """States entering each block: S[b+1] = M·S[b] + E[b], as a prefix scan."""
        ends = np.stack([y0[..., -1], y0[..., -2]], axis=-1)  # E: (C, nb, 2)
        s0 = self._y.copy()  # (C, 2)
        m = self._m
        ends[:, 0] += s0 @ m.T
        z = ends  # z[b] = state after block b
        p = m
        d = 1
        nb = z.shape[1]
        # Stop early once M^d is negligible: farther blocks no longer contribute.
        while d < nb and np.abs(p).max() > 1e-17:
            z[:, d:] = z[:, d:] + z[:, :-d] @ p.T
            p = p @ p
            d *= 2
        return np.concatenate([s0[:, None, :], z[:, :-1]], axis=1)


class LoudnessMeter:
    """Streaming integrated loudness: :meth:`add` audio in any block sizes, then read
    :meth:`integrated`. Keeps one float per 100 ms (about 280 kB for an hour)."""

    def __init__(self, rate: int = 48_000) -> None:
        self.rate = rate
        self._step = max(1, int(round(rate / 10)))  # 100 ms
        self._filters: list[Biquad] | None = None
        self._acc = 0.0  # sum of squares of the current, incomplete 100 ms step
        self._fill = 0  # samples in it
        self._steps: list[float] = []  # summed channel mean squares per complete step
        self.peak = 0.0  # highest absolute sample seen (before weighting)

    def add(self, block: np.ndarray) -> None:
        """Feed the next samples: ``(n,)`` mono or ``(n, channels)``."""
        x = np.asarray(block, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[0] == 0:
            return
        if self._filters is None:
            self._filters = [Biquad(b, a, x.shape[1]) for b, a in k_weighting(self.rate)]
        self.peak = max(self.peak, float(np.abs(x).max()))
        for f in self._filters:
            x = f(x)
        power = np.einsum("ij,ij->i", x, x)  # summed over channels, weight 1.0
        self._accumulate(power)

    def _accumulate(self, power: np.ndarray) -> None:
        step = self._step
        head = min(len(power), step - self._fill)
        self._acc += float(power[:head].sum())
        self._fill += head
        if self._fill < step:
            return
        self._steps.append(self._acc / step)
        rest = power[head:]
        full = len(rest) // step
        if full:
            self._steps.extend((rest[: full * step].reshape(full, step).sum(axis=1)
                                / step).tolist())
        tail = rest[full * step:]
        self._acc = float(tail.sum())
        self._fill = len(tail)

    def block_powers(self) -> np.ndarray:
        """Mean square (channel-summed) of every complete 400 ms block, 100 ms apart."""
        steps = np.asarray(self._steps)
        if len(steps) < _SUB_BLOCKS:
            return np.zeros(0)
        c = np.concatenate([[0.0], np.cumsum(steps)])
        return (c[_SUB_BLOCKS:] - c[:-_SUB_BLOCKS]) / _SUB_BLOCKS

    def recent(self, seconds: float = 3.0) -> float:
        """Ungated loudness (LUFS) of the last ``seconds`` of complete 100 ms steps: 3 s is
        EBU R128's short-term loudness, 0.4 s its momentary loudness; ``-inf`` before the
        first step or in silence."""
        n = max(1, int(round(seconds * 10)))
        steps = self._steps[-n:]
        return _loudness(sum(steps) / len(steps)) if steps else float("-inf")

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS; ``-inf`` for silence or < 400 ms of audio."""
        z = self.block_powers()
        z = z[z > _power(ABSOLUTE_GATE)]
        if len(z) == 0:
            return float("-inf")
        relative = _loudness(float(z.mean())) + RELATIVE_GATE
        z = z[z > _power(relative)]
        return _loudness(float(z.mean())) if len(z) else float("-inf")


def integrated_loudness(samples: np.ndarray, rate: int = 48_000) -> float:
    """Integrated loudness (LUFS) of ``samples`` ``(n,)`` or ``(n, channels)``; ``-inf`` for
    silence."""
    meter = LoudnessMeter(rate)
    for i in range(0, max(1, len(samples)), _CHUNK):
        meter.add(samples[i:i + _CHUNK])
    return meter.integrated()


def _loudness(power: float) -> float:
    return _OFFSET + 10.0 * math.log10(power) if power > 0 else float("-inf")


def _power(lufs: float) -> float:
    return 10.0 ** ((lufs - _OFFSET) / 10.0)

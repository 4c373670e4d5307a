"""Fits the rational tanh of ``numkeras_numba._loops`` (``_tanh32``, which says why there is one) and
measures it on every float32.

``tanh(x) = x P(x^2) / Q(x^2)``, ``P`` of degree 6 and ``Q`` of degree 3, both 1 at 0, fitted for
the smallest largest relative error on ``[0, 9.02]`` (from 9.02 on float32's tanh is 1) by Loeb's
linearisation of the rational fit, with Lawson's reweighting toward the minimax. Evaluated in
float32, the fit overshoots 1 past 8.22, so ``_tanh32`` returns 1 from 8.2 on. Run::

    python contrib/numkeras-numba/fit_tanh.py           # the fit, then the check of the coefficients in use
    python contrib/numkeras-numba/fit_tanh.py --check   # only the check (about 20 s)

The check runs the compiled ``_tanh32`` (``tanh_float32``) on every float32 from the smallest positive
one to 9.02 (the function is odd: the negatives are the same numbers; past 9.02 both are 1) and compares
it with libm's float64 ``tanh`` (not rounded to float32), in units of float32's spacing at the exact
value; and it checks that no result is beyond 1.
"""

import argparse
import math

import numpy as np

FIT_LIMIT = 9.02  # float32's tanh is 1 from 9.0109 on
NUMERATOR, DENOMINATOR = 6, 3


def fit(limit=FIT_LIMIT, numerator=NUMERATOR, denominator=DENOMINATOR, iterations=300):
    """``(p, q, error)``: the coefficients in ``s = x^2`` from the constant term up, and the float64 relative error."""
    x = np.unique(np.concatenate([np.linspace(0, limit, 300001)[1:], np.geomspace(1e-8, 1e-2, 2000)]))
    t = np.tanh(x)
    v = (x / limit) ** 2  # the fit in a scaled variable, for the conditioning of the least squares
    # x (1 + sum p_i v^i) - t (1 + sum q_j v^j) = 0, linear in the unknown p_i, q_j
    system = np.hstack([x[:, None] * v[:, None] ** np.arange(1, numerator + 1),
                        -t[:, None] * v[:, None] ** np.arange(1, denominator + 1)])
    right = t - x
    weights, q_values, best = np.ones_like(x), np.ones_like(x), (np.inf, None, None)
    for _ in range(iterations):
        scale = np.sqrt(weights) / (t * q_values)  # Loeb: the linear residual divided by the last Q, relative
        solution = np.linalg.lstsq(system * scale[:, None], right * scale, rcond=None)[0]
        p = np.concatenate([[1.0], solution[:numerator]])
        q = np.concatenate([[1.0], solution[numerator:]])
        q_values = np.polyval(q[::-1], v)
        error = x * np.polyval(p[::-1], v) / q_values / t - 1
        if np.abs(error).max() < best[0]:
            best = (np.abs(error).max(), p, q)
        weights = weights * np.abs(error)  # Lawson: more weight where the error is largest
        weights /= weights.sum()
    error, p, q = best
    return p / limit ** (2 * np.arange(numerator + 1)), q / limit ** (2 * np.arange(denominator + 1)), error


def worst_error_in_ulps(chunk=1 << 22):
    """``(largest error in ulps, where)`` of ``_loops._tanh32`` (as the cells compile it: ``tanh_float32``)
    over every positive float32 up to ``FIT_LIMIT``; ``inf`` for a result beyond 1."""
    from numba import njit

    from numkeras_numba._loops import tanh_float32

    @njit(error_model="numpy")
    def worst(x, y):
        largest, where = 0.0, 0.0
        for k in range(x.size):
            if abs(y[k]) > 1:
                return np.inf, x[k]
            exact = math.tanh(np.float64(x[k]))
            spacing = math.ldexp(1.0, max(math.frexp(exact)[1], -125) - 24)  # float32's, at the exact value
            error = abs(np.float64(y[k]) - exact) / spacing
            if error > largest:
                largest, where = error, x[k]
        return largest, where

    largest, where = 0.0, 0.0
    last = int(np.float32(FIT_LIMIT).view(np.int32))
    for first in range(1, last + 1, chunk):
        x = np.arange(first, min(first + chunk, last + 1), dtype=np.int32).view(np.float32)
        y = np.empty_like(x)
        tanh_float32(x, y)
        error, at = worst(x, y)
        if error > largest:
            largest, where = error, at
    return largest, where


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only measure the coefficients in use")
    if not parser.parse_args().check:
        p, q, error = fit()
        print(f"float64 relative error of the fit: {error:.3g}")
        for name, coefficients in (("P", p), ("Q", q)):  # as _loops writes them
            print(f"_TANH_{name} = (" + ", ".join(f"np.float32({np.float32(c)})" for c in coefficients) + ")")
    largest, where = worst_error_in_ulps()
    print(f"_tanh32 in use: at most {largest:.2f} ulp from tanh on every float32 (worst at {where!r})")


if __name__ == "__main__":
    main()

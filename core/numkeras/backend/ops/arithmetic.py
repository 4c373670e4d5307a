"""Broadcasting arithmetic: add, subtract, multiply, divide, negative, power."""

import numpy as np

from ..tensor import Function, unbroadcast
from ._util import binary_operands


class Add(Function):
    def forward(self, a, b):
        self.shapes = (np.shape(a), np.shape(b))
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)


class Subtract(Function):
    def forward(self, a, b):
        self.shapes = (np.shape(a), np.shape(b))
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), (unbroadcast(-g, sb) if self.needs_grad[1] else None)


class Multiply(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g * b, np.shape(a)) if self.needs_grad[0] else None
        gb = unbroadcast(g * a, np.shape(b)) if self.needs_grad[1] else None
        return ga, gb


class Divide(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g / b, np.shape(a)) if self.needs_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), np.shape(b)) if self.needs_grad[1] else None
        return ga, gb


class Negative(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Power(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = np.power(a, b)
        return self.y

    def backward(self, g):
        a, b, y = self.a, self.b, self.y
        ga = unbroadcast(g * b * np.power(a, b - 1), np.shape(a)) if self.needs_grad[0] else None
        gb = None
        if self.needs_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
            gb = unbroadcast(g * y * log_a, np.shape(b))
        return ga, gb


def add(a, b):
    """Elementwise ``a + b`` with broadcasting."""
    return Add().apply(*binary_operands(a, b))


def subtract(a, b):
    """Elementwise ``a - b`` with broadcasting."""
    return Subtract().apply(*binary_operands(a, b))


def multiply(a, b):
    """Elementwise ``a * b`` with broadcasting."""
    return Multiply().apply(*binary_operands(a, b))


def divide(a, b):
    """Elementwise ``a / b`` with broadcasting."""
    return Divide().apply(*binary_operands(a, b))


def negative(a):
    """Elementwise ``-a``."""
    return Negative().apply(*binary_operands(a, 0)[:1])


def power(a, b):
    """Elementwise ``a ** b``."""
    return Power().apply(*binary_operands(a, b))

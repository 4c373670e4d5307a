"""Whether the datasets a test needs are on this machine (the tests never download)."""

from numkeras.datasets import mnist


def mnist_available():
    """True when ``mnist.load_data()`` works here (Keras's mnist.npz, or the t10k files shipped)."""
    try:
        mnist.load_data()
    except (OSError, ValueError):
        return False
    return True

"""Ready-made brains. Each function returns a ``Brain`` (a description: change it, then build)."""

from .benchmarks import coba, cuba
from .sensorimotor import sensorimotor

__all__ = ["coba", "cuba", "sensorimotor"]

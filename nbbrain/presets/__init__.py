"""Ready-made brains. Each function returns a ``Brain`` (a description: change it, then build)."""

from .benchmarks import coba, cuba, many_populations
from .cue_action import cue_action
from .distal_reward import distal_reward
from .microcircuit import microcircuit
from .sensorimotor import MOTOR_POPULATIONS, SENSORY, sensorimotor

__all__ = [
    "MOTOR_POPULATIONS",
    "SENSORY",
    "coba",
    "cue_action",
    "cuba",
    "distal_reward",
    "many_populations",
    "microcircuit",
    "sensorimotor",
]

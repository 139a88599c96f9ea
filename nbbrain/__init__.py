"""nbbrain: multi-region spiking brains, clock-driven, compiled.

Describe a brain (populations, projections, monitors), build it into flat arrays, run it
with compiled kernels many timesteps per call::

    import nbbrain as nb
    brain = nb.Brain(dt_ms=0.1, seed=1)
    exc = brain.add_population("exc", 3200, nb.ConductanceLIF())
    ...
    sim = brain.build()
    result = sim.run(duration_ms=1000)
"""

from . import presets
from .model.brain import Brain, Population, Projection, Region
from .model.connectivity import (
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedProbability,
    FixedTotalNumber,
    FromArrays,
    OneToOne,
)
from .model.neurons import ConductanceLIF, CurrentLIF, PoissonSource, SpikeSource
from .model.values import LogNormal, Normal, Uniform

__version__ = "0.1.0"

__all__ = [
    "AllToAll",
    "Brain",
    "ConductanceLIF",
    "CurrentLIF",
    "FixedIndegree",
    "FixedOutdegree",
    "FixedProbability",
    "FixedTotalNumber",
    "FromArrays",
    "LogNormal",
    "Normal",
    "OneToOne",
    "PoissonSource",
    "Population",
    "Projection",
    "Region",
    "SpikeSource",
    "Uniform",
    "presets",
]

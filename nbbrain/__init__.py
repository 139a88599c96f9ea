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

from . import config, presets  # (config first: a bad NBBRAIN_* variable fails here)
from .engine.files import FileFormatError, load
from .engine.simulation import BlowUpError
from .interop.nir import from_nir, to_nir
from .memory import MemoryBudgetError, MemoryWarning
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
from .model.units import UnitWarning
from .model.values import LogNormal, Normal, TimedArray, Uniform
from .neurons import (
    AdEx,
    ConductanceLIF,
    CurrentAlphaLIF,
    CurrentLIF,
    DeltaIzhikevich,
    DeltaLIF,
    EulerIF,
    EulerLI,
    EulerLIF,
    Izhikevich,
    NeuronModel,
    Param,
    PoissonSource,
    Receptor,
    SpikeSource,
    State,
)
from .sweep import SweepError, SweepResult, sweep
from .synapses import (
    STDP,
    DopamineSTDP,
    Homeostasis,
    PlasticityRule,
    TsodyksMarkram,
    VogelsSprekeler,
)

__version__ = "0.1.0"

__all__ = [
    "load",
    "BlowUpError",
    "FileFormatError",
    "MemoryBudgetError",
    "MemoryWarning",
    "SweepError",
    "SweepResult",
    "sweep",
    "from_nir",
    "to_nir",
    "UnitWarning",
    "AdEx",
    "AllToAll",
    "Brain",
    "ConductanceLIF",
    "CurrentAlphaLIF",
    "CurrentLIF",
    "DeltaIzhikevich",
    "DeltaLIF",
    "DopamineSTDP",
    "EulerIF",
    "EulerLI",
    "EulerLIF",
    "FixedIndegree",
    "FixedOutdegree",
    "FixedProbability",
    "FixedTotalNumber",
    "FromArrays",
    "Homeostasis",
    "Izhikevich",
    "LogNormal",
    "NeuronModel",
    "Normal",
    "OneToOne",
    "Param",
    "PlasticityRule",
    "PoissonSource",
    "Population",
    "Projection",
    "Receptor",
    "Region",
    "STDP",
    "SpikeSource",
    "State",
    "TimedArray",
    "TsodyksMarkram",
    "Uniform",
    "VogelsSprekeler",
    "config",
    "presets",
]

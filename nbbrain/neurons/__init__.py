"""Neuron models, one file each (``base.py`` holds the contract), and spike sources."""

from .adex import AdEx
from .base import NeuronModel, Param, Receptor, State
from .conductance_lif import ConductanceLIF
from .current_alpha_lif import CurrentAlphaLIF
from .current_lif import CurrentLIF
from .delta_lif import DeltaLIF
from .euler_if import EulerIF
from .euler_li import EulerLI
from .euler_lif import EulerLIF
from .izhikevich import DeltaIzhikevich, Izhikevich
from .sources import PoissonSource, Source, SpikeSource

__all__ = ["AdEx", "ConductanceLIF", "CurrentAlphaLIF", "CurrentLIF", "DeltaIzhikevich",
           "DeltaLIF", "EulerIF", "EulerLI", "EulerLIF", "Izhikevich", "NeuronModel", "Param",
           "PoissonSource", "Receptor", "SpikeSource", "Source", "State"]  # fmt: skip

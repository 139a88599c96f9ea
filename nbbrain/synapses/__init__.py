"""Plasticity rules, one file each (see ``base.py`` for what a rule file declares), chosen
per projection with ``Brain.connect(..., plasticity=rule)``."""

from .base import KINDS, PlasticityRule
from .dopamine import DopamineSTDP
from .homeostasis import Homeostasis
from .stdp import STDP
from .tsodyks import TsodyksMarkram
from .vogels_sprekeler import VogelsSprekeler

__all__ = ["KINDS", "DopamineSTDP", "Homeostasis", "PlasticityRule", "STDP", "TsodyksMarkram",
           "VogelsSprekeler"]  # fmt: skip

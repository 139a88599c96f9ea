"""nbbrain as a PyNN 0.13 backend: ``import nbbrain.pynn as sim``.

PyNN's scripts run unchanged: ``setup``, ``run``, ``reset``, ``end``; ``Population``,
``PopulationView``, ``Assembly``; ``Projection`` with PyNN's connectors; recording to neo
Blocks. The network PyNN describes is built into an nbbrain brain at the first ``run``
(populations and projections made after it need a ``reset`` first). Cell types:
``IF_curr_exp`` (``CurrentLIF``), ``IF_curr_alpha`` (``CurrentAlphaLIF``), ``IF_cond_exp``
(``ConductanceLIF``), ``IF_curr_delta`` (``DeltaLIF``), ``EIF_cond_exp_isfa_ista``
(``AdEx``), ``Izhikevich`` (``DeltaIzhikevich``), ``SpikeSourcePoisson``,
``SpikeSourceArray``; synapses: ``StaticSynapse``,
``TsodyksMarkramSynapse``, ``STDPMechanism`` (``SpikePairRule`` with additive or
multiplicative weight dependence). ``setup(threads=...)`` sets nbbrain's CPU
threads, ``setup(rng_seed=...)`` its seed.
"""

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from .control import (  # noqa: F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .standardmodels import *  # noqa: F403


def list_standard_models():
    """The standard cell types this backend runs."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)]  # fmt: skip

"""PyNN's standard cell and synapse types on nbbrain's models: PyNN's names and units
(nF, nA, uS, ms, mV) translated to the parameters of the nbbrain model each one builds
(pF, pA, nS, ms, mV). ``nb_model`` names that model; ``receptors`` maps PyNN's receptor
types to its receptors and ``weight`` gives the weight keyword and factor."""

from pyNN.standardmodels import build_translations, cells, synapses

from ..neurons import AdEx, ConductanceLIF, CurrentAlphaLIF, CurrentLIF, DeltaIzhikevich, DeltaLIF
from ..synapses import STDP, TsodyksMarkram

_LIF = (
    ("cm", "c_m_pf", 1000.0),
    ("tau_m", "g_leak_ns", "1000.0 * cm / tau_m", "c_m_pf / g_leak_ns"),
    ("v_rest", "e_leak_mv"),
    ("v_thresh", "v_thresh_mv"),
    ("v_reset", "v_reset_mv"),
    ("tau_refrac", "t_ref_ms"),
    ("i_offset", "i_bias_pa", 1000.0),
)


class _CurrentBased:
    """Cell types on nbbrain's current-based models: receptors ``exc`` and ``inh``, weights
    in nA (the peak of the synaptic current), currents recordable."""

    receptors = {"excitatory": "exc", "inhibitory": "inh"}
    weight = ("weight_pa", 1000.0)
    variables = {"v": ("v", 1.0), "isyn_exc": ("i_exc", 1e-3), "isyn_inh": ("i_inh", 1e-3)}


_CURRENT = (*_LIF, ("tau_syn_E", "tau_exc_ms"), ("tau_syn_I", "tau_inh_ms"))


class IF_curr_exp(_CurrentBased, cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = build_translations(*_CURRENT)
    nb_model = CurrentLIF


class IF_curr_alpha(_CurrentBased, cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = build_translations(*_CURRENT)
    nb_model = CurrentAlphaLIF


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = build_translations(*_LIF, ("tau_syn_E", "tau_ampa_ms"),
                                      ("tau_syn_I", "tau_gaba_a_ms"), ("e_rev_E", "e_ampa_mv"),
                                      ("e_rev_I", "e_gaba_a_mv"))  # fmt: skip
    nb_model = ConductanceLIF
    receptors = {"excitatory": "ampa", "inhibitory": "gaba_a"}
    weight = ("weight_ns", 1000.0)  # (uS)
    variables = {"v": ("v", 1.0), "gsyn_exc": ("g_ampa", 1e-3), "gsyn_inh": ("g_gaba_a", 1e-3)}


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = build_translations(*_LIF)
    nb_model = DeltaLIF
    receptors = {"excitatory": "exc", "inhibitory": "inh"}
    weight = ("weight_mv", 1.0)  # (mV: the jump of v)
    variables = {"v": ("v", 1.0)}


class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = build_translations(
        ("cm", "c_m_pf", 1000.0),
        ("tau_m", "g_leak_ns", "1000.0 * cm / tau_m", "c_m_pf / g_leak_ns"),
        ("v_rest", "e_leak_mv"),
        ("v_thresh", "v_t_mv"),
        ("delta_T", "delta_t_mv"),
        ("v_spike", "v_peak_mv"),
        ("v_reset", "v_reset_mv"),
        ("tau_refrac", "t_ref_ms"),
        ("i_offset", "i_bias_pa", 1000.0),
        ("a", "a_ns"),
        ("b", "b_pa", 1000.0),
        ("tau_w", "tau_w_ms"),
        ("e_rev_E", "e_ampa_mv"),
        ("tau_syn_E", "tau_ampa_ms"),
        ("e_rev_I", "e_gaba_a_mv"),
        ("tau_syn_I", "tau_gaba_a_ms"),
    )
    nb_model = AdEx
    receptors = {"excitatory": "ampa", "inhibitory": "gaba_a"}
    weight = ("weight_ns", 1000.0)
    variables = {"v": ("v", 1.0), "w": ("w", 1e-3), "gsyn_exc": ("g_ampa", 1e-3),
                 "gsyn_inh": ("g_gaba_a", 1e-3)}  # fmt: skip


class Izhikevich(cells.Izhikevich):
    __doc__ = cells.Izhikevich.__doc__
    translations = build_translations(("a", "a"), ("b", "b"), ("c", "c_mv"), ("d", "d"),
                                      ("i_offset", "i_bias_pa", 1000.0))  # fmt: skip
    nb_model = DeltaIzhikevich  # (NEST's izhikevich, as PyNN's NEST backend runs it)
    receptors = {"excitatory": "exc", "inhibitory": "inh"}
    weight = ("weight_mv", 1.0)  # (mV: the jump of v, as in NEST)
    variables = {"v": ("v", 1.0), "u": ("u", 1.0)}


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = build_translations(("rate", "rate_hz"), ("start", "start_ms"),
                                      ("duration", "duration_ms"))  # fmt: skip
    variables = {}


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = build_translations(("spike_times", "times_ms"))
    variables = {}


class _Synapse:
    """Synapse types keep PyNN's names and units until the build; ``nb_rule(p, factor)`` is
    the nbbrain plasticity rule for the synapses that share the parameters ``p`` (the
    projection's weights are multiplied by ``factor`` into nbbrain's unit)."""

    def _get_minimum_delay(self):
        from .simulator import state

        return state.dt

    def nb_rule(self, p, factor):
        return None


class StaticSynapse(_Synapse, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))


class TsodyksMarkramSynapse(_Synapse, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"), ("U", "U"),
                                      ("tau_rec", "tau_rec"),
                                      ("tau_facil", "tau_facil"))  # fmt: skip

    def nb_rule(self, p, factor):
        return TsodyksMarkram(u=p["U"], tau_rec_ms=p["tau_rec"], tau_fac_ms=p["tau_facil"])


class STDPMechanism(_Synapse, synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction",
                                            "dendritic_delay_fraction"))  # fmt: skip

    def nb_rule(self, p, factor):
        """NEST's ``stdp_synapse``, as PyNN's NEST backend maps the rule onto it (``lambda``
        = ``A_plus``, ``alpha`` = ``A_minus / A_plus``)."""
        mu = self.weight_dependence.mu
        alpha = p["A_minus"] / p["A_plus"] if p["A_plus"] else p["A_minus"]
        return STDP(tau_plus_ms=p["tau_plus"], tau_minus_ms=p["tau_minus"], lambda_=p["A_plus"],
                    alpha=alpha, mu_plus=mu, mu_minus=mu, w_max=p["w_max"] * factor)  # fmt: skip


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(("tau_plus", "tau_plus"), ("tau_minus", "tau_minus"),
                                      ("A_plus", "A_plus"), ("A_minus", "A_minus"))  # fmt: skip
    possible_models = {"stdp"}


class _WeightDependence:
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))
    possible_models = {"stdp"}

    def __init__(self, w_min=0.0, w_max=1.0):
        if w_min != 0:
            raise ValueError("nbbrain.pynn: STDP weights lie in [0, w_max] (NEST's "
                             f"stdp_synapse): w_min must be 0, got {w_min}")  # fmt: skip
        super().__init__(w_min, w_max)


class AdditiveWeightDependence(_WeightDependence, synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    mu = 0.0


class MultiplicativeWeightDependence(_WeightDependence,
                                     synapses.MultiplicativeWeightDependence):  # fmt: skip
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    mu = 1.0

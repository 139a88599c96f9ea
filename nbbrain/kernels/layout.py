"""The layout the kernels read: model codes, columns of the per-population parameter table.

Plain constants, shared by the model description (which fills the table) and the kernels
(which read it), so that neither hard-codes the other's numbers.
"""

# Neuron model codes (column I_KIND of the integer table).
COND_LIF = 0
CUR_LIF = 1
POISSON = 2
SPIKE_SOURCE = 3

# Float parameter table, float32[n_pop, N_FPAR]; internal units ms, mV, nS, pF, pA.
F_CM = 0  # membrane capacitance (pF)
F_GL = 1  # leak conductance (nS)
F_EL = 2  # leak reversal (mV)
F_VTH = 3  # threshold (mV)
F_VRESET = 4  # reset (mV)
F_IBIAS = 5  # constant injected current (pA)
F_E0 = 6  # reversal of channel 0..3 (mV), conductance models
F_DEC0 = 10  # exp(-dt / tau) of channel 0..3
F_MG = 14  # [Mg2+] / 3.57 (NMDA block, Jahr & Stevens 1990)
F_DT_CM = 15  # dt / c_m (ms / pF)
F_DEC_M = 16  # exp(-dt g_l / c_m), current-based models
F_P21 = 17  # mV per pA of channel 0..1 current at the start of a step (current-based)
N_FPAR = 19

# Integer parameter table, int32[n_pop, N_IPAR].
I_KIND = 0
I_REF_STEPS = 1  # refractory period in steps
I_SLOW = 2  # 1 where the NMDA / GABA_B channels are in use (else they are skipped)
I_RECORD = 3  # 1 where this population's spikes are recorded
N_IPAR = 4

# Rows of the channel state g[N_CHANNELS, N] and of the ring buffer.
N_CHANNELS = 4

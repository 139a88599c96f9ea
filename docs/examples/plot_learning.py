"""
A brain that learns from reward
===============================

The cue-action task: two cues, two actions. Dopamine-gated STDP on the cue-to-striatum
synapses, a reward when the action the brain picks is the one the cue calls for; the same
trials without reward as the control.
"""

import matplotlib.pyplot as plt
import numpy as np

from nbbrain.presets.cue_action import cue_action, run_task

N_TRIALS = 150
_cues, _choices, correct = run_task(cue_action(seed=1).build(), n_trials=N_TRIALS, seed=1)
_cues, _choices, control = run_task(cue_action(seed=1).build(), n_trials=N_TRIALS,
                                    reward=0.0, seed=1)  # fmt: skip
print(f"accuracy: first 10 trials {correct[:10].mean():.0%}, last 50 {correct[-50:].mean():.0%}"
      f"; without reward {control.mean():.0%}")  # fmt: skip

fig, ax = plt.subplots(figsize=(6, 3))
window = 10
for c, label in ((correct, "learning"), (control, "no reward")):
    acc = np.convolve(np.asarray(c, float), np.ones(window) / window, mode="valid")
    ax.plot(np.arange(window, len(c) + 1), acc, label=label)
ax.axhline(0.5, color="grey", ls="--", lw=1, label="chance")
ax.set(xlabel="trial", ylabel=f"accuracy (last {window})", ylim=(0, 1.05))
ax.legend(loc="lower right")
fig.tight_layout()

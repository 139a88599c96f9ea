"""
A closed loop with torch
========================

The sensorimotor brain as a ``BrainModule``: each 20 ms window, a small torch policy turns
the motor populations' rates into the rates of the 128 sensory neurons, which drive the
next window. Python runs once per window; the brain runs compiled in between.
"""

import matplotlib.pyplot as plt
import torch
from torch import nn

import nbbrain as nb
from nbbrain.presets.sensorimotor import MOTOR_POPULATIONS, N_SENSORY, SENSORY
from nbbrain.torch import BrainModule

brain = nb.presets.sensorimotor(seed=0, scale=0.25, record=False)
model = BrainModule(brain, inputs=[SENSORY], readouts=MOTOR_POPULATIONS, window_ms=20.0)
steps = model.window_steps

torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(len(MOTOR_POPULATIONS), N_SENSORY), nn.Sigmoid())
gen = torch.Generator().manual_seed(1)
sensory_hz, motor, drive = torch.full((N_SENSORY,), 10.0), [], []
with torch.no_grad():  # (the brain is not differentiable)
    for _ in range(50):  # one second of windows
        p = (sensory_hz * model.dt_ms * 1e-3).expand(steps, N_SENSORY)
        rates_hz = model(torch.rand(steps, N_SENSORY, generator=gen) < p)  # [1, 3]
        motor.append(rates_hz[0])
        drive.append(sensory_hz.mean())
        sensory_hz = 40.0 * policy(rates_hz[0] / 50.0)  # the next window's input

motor = torch.stack(motor)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 4), sharex=True)
for k, name in enumerate(MOTOR_POPULATIONS):
    top.plot(20.0 * torch.arange(len(motor)), motor[:, k], label=name)
top.set_ylabel("motor rate (Hz)")
top.legend(fontsize=7)
bottom.plot(20.0 * torch.arange(len(drive)), torch.stack(drive))
bottom.set_ylabel("mean sensory rate (Hz)")
bottom.set_xlabel("time (ms)")
fig.tight_layout()
print(f"{len(motor)} windows, {model.t_ms:g} ms")

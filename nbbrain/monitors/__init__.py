"""Monitors: spikes and sampled state."""

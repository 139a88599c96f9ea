"""The runtime: owns the arrays, runs them in chunks, feeds inputs, serves monitors."""

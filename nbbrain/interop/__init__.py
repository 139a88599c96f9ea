"""nbbrain and the formats and tools of other simulators: NIR (``nir.py``)."""

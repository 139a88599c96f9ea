"""Sphinx configuration of nbbrain's documentation site (``make docs``).

The pages are the Markdown files of ``docs/`` (read by myst-parser), an API reference made
from the docstrings (autodoc) and a gallery of example scripts that run during the build
(sphinx-gallery), each drawing its figures.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

project = "nbbrain"
author = "the nbbrain developers"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples", "gallery/*.ipynb", "gallery/*.py", "gallery/*.zip"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "furo"
html_title = "nbbrain"
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}

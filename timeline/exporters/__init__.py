"""Write the timeline in the dataset format (``timeline/dataset.py``), one module per format:
``json`` writes every record and is the backup ``load_timeline`` restores."""

from . import json

EXPORTERS = {"json": json}

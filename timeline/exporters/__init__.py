"""Write the timeline in the dataset format (``timeline/dataset.py``), one module per format:
``json`` writes every record and is the backup ``load_timeline`` restores; ``csv`` writes one
row per measure for spreadsheets."""

from . import csv, json

EXPORTERS = {"json": json, "csv": csv}

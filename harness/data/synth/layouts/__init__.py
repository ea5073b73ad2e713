"""One writer per on-disk layout, mirroring ``harness/data/<dataset>.py`` readers."""

"""Copper's wire: what server and SDK share (a leaf package; see catalogue.py)."""

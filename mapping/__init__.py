"""Stocktake's engine: ingest returns, match places, store submissions, analyse, draw maps and reports.

Nothing in this package imports streamlit; the app in app.py and pages/ is a thin view over it.
"""

__version__ = "0.1.0"

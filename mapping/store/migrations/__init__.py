"""Alembic migrations, run to head by `store.connect()`; configured in code, no alembic.ini needed.

A new schema change: edit mapping/models.py, then
`python -c "from mapping.store import new_revision; new_revision('what changed')"` writes a revision
here by comparing the models with a database at head.
"""

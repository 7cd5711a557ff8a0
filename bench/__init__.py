"""`make bench` / `make soak`: the skill under gunicorn against a bare Flask echo (see run.py)."""

"""What the tests share: the test PKI and signed posting, the repository's words read once,
served gunicorn, stores and their faults, and envelope fuzzing. Fixtures stay in conftest.py."""

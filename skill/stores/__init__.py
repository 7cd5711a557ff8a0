"""Where per-user attributes live: SQLite (embedded default), PostgreSQL (several hosts) or
DynamoDB (serverless). `skill.persistence.open_store` picks one from SKILL_DATABASE_URL.

Every store has the same contract (see base.py): attributes are a JSON object per SHA-256 of
the Alexa user id, a failure is a StoreError, and a save writes only what this request changed.
"""

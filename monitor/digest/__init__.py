"""Daily digest emails: per watchlist, what changed for each claim since the last digest.

::

    compose.py   evidence, claims, sources -> Digest (pure)
    render.py    Digest -> HTML (inline CSS) + plain text -> email (pure; templates/)
    schedule.py  which period is due in the digest's time zone; retry delays (pure)
    send.py      SMTP: STARTTLS / implicit TLS, login, retries, partial refusals
    deliver.py   claim a period, send it once, record the outcome (the service)
"""

"""What the API's route modules share: path and query types, and the 404/409 checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from monitor.types import Claim
from monitor.watchlists import ClaimId
from monitor.web.context import found, web

WatchlistKey = Annotated[str, Path(max_length=200)]
ClaimKey = Annotated[ClaimId, Path()]  # validated as a claim's id in its file
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # what every database can hold
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def claim_or_404(request: Request, claim_id: int) -> Claim:
    return found(web(request).repository.find_claim(claim_id), "claim")


def known_watchlist(request: Request, key: str) -> None:
    """404 for an unknown watchlist."""
    found(web(request).repository.watchlist(key), "watchlist")


def editable_watchlist(request: Request, key: str) -> None:
    """404 for an unknown watchlist, 409 for one not edited here (before anything is done)."""
    known_watchlist(request, key)
    web(request).editor.check_editable(key)

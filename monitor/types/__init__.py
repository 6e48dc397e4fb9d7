"""Plain domain types shared by every part of monitor, one module per domain.

Everything outside the storage package speaks in these frozen dataclasses and enums; none of them
knows about SQLAlchemy, HTTP or Slack. Import them from here (``from monitor.types import
Claim``); the modules say which domain each belongs to and depend on one another in this order:

    claims       Stance, Verdict, ClaimSpec, Claim
    watchlists   SourceKind, SourceSpec, DigestSpec, QuietHours, AlertPolicy, Watchlist
    sources      WebSubState, FetchResult, FeedEntry, Source, Item
    evidence     Match, StanceResult, ReportedStance, Evidence, EvidenceRecord, NearMiss, Review,
                 NearMissRecord, StanceCorrection
    alerts       AlertStatus, FeedbackKind, MuteTarget, Alert, Mute
    digests      DigestStatus, DigestSubscription, DigestRecord
    accounts     Role, User, AuditEntry
    status       ServiceStatus
"""

from monitor.types.accounts import AuditEntry, Role, User
from monitor.types.alerts import Alert, AlertStatus, FeedbackKind, Mute, MuteTarget
from monitor.types.claims import EDITOR_STANCES, Claim, ClaimSpec, Stance, Verdict
from monitor.types.digests import DigestRecord, DigestStatus, DigestSubscription
from monitor.types.evidence import (
    Evidence,
    EvidenceRecord,
    Match,
    NearMiss,
    NearMissRecord,
    ReportedStance,
    Review,
    StanceCorrection,
    StanceResult,
)
from monitor.types.sources import FeedEntry, FetchResult, Item, Source, WebSubState
from monitor.types.status import ServiceStatus
from monitor.types.watchlists import (
    AlertPolicy,
    DigestSpec,
    QuietHours,
    SourceKind,
    SourceSpec,
    Watchlist,
)

__all__ = [
    "EDITOR_STANCES",
    "Alert",
    "AlertPolicy",
    "AlertStatus",
    "AuditEntry",
    "Claim",
    "ClaimSpec",
    "DigestRecord",
    "DigestSpec",
    "DigestStatus",
    "DigestSubscription",
    "Evidence",
    "EvidenceRecord",
    "FeedEntry",
    "FeedbackKind",
    "FetchResult",
    "Item",
    "Match",
    "Mute",
    "MuteTarget",
    "NearMiss",
    "NearMissRecord",
    "QuietHours",
    "ReportedStance",
    "Review",
    "Role",
    "ServiceStatus",
    "Source",
    "SourceKind",
    "SourceSpec",
    "Stance",
    "StanceCorrection",
    "StanceResult",
    "User",
    "Verdict",
    "Watchlist",
    "WebSubState",
]

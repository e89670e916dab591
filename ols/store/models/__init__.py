"""The observatory's tables, as typed SQLAlchemy 2 models, one module per concern.

:mod:`~.facts` (partners, files, events, rejected rows), :mod:`~.reference` (the observatory, its
territories and sectors, places, addresses, streets, SSMSI figures), :mod:`~.cartography` (what a
refresh derives), :mod:`~.access` (users, sessions, audit, points de deal), :mod:`~.patrols`,
:mod:`~.jobs` (background jobs), :mod:`~.strategy` (the STSPD's follow-up) and :mod:`~.changes` (which
committed transactions changed the data, for the API's cache). Every model is re-exported here, so that
``from ols.store.models import Event`` works and ``Base.metadata`` (Alembic's target) holds every table.
"""

from ols.store.models.access import (
    DEAL_POINT_STATUSES,
    AuditEntry,
    DealPoint,
    DealPointChange,
    DisclosureKey,
    User,
    UserSession,
)
from ols.store.models.base import Base
from ols.store.models.cartography import (
    SCOPE_CHECK,
    Cell,
    CellCount,
    Edition,
    EmergingHotspot,
    Hotspot,
    HotspotLayer,
    Refresh,
    Zone,
)
from ols.store.models.changes import DataChange
from ols.store.models.coverage import (
    AMBIANCE_RATINGS,
    CAMERA_STATES,
    SUBJECT_KINDS,
    Ambiance,
    Building,
    Camera,
    CsuActivity,
)
from ols.store.models.facts import (
    CONFIDENTIALITY_LEVELS,
    LOCATION_PRECISIONS,
    MEASURES,
    SOURCE_KINDS,
    TIME_PRECISIONS,
    Batch,
    Event,
    EventLink,
    EventPair,
    RejectedRow,
    Source,
)
from ols.store.models.jobs import JOB_KINDS, JOB_STATES, Job
from ols.store.models.patrols import PatrolPlan, PatrolStop
from ols.store.models.reference import (
    OBSERVATORY_KINDS,
    Address,
    Observatory,
    OfficialIndicator,
    Place,
    Sector,
    StreetEdge,
    Territory,
)
from ols.store.models.strategy import (
    ActionStateChange,
    Decision,
    Indicator,
    IndicatorValue,
    Meeting,
    StrategyAction,
    StrategyAxis,
)

__all__ = [
    "AMBIANCE_RATINGS",
    "CAMERA_STATES",
    "CONFIDENTIALITY_LEVELS",
    "DEAL_POINT_STATUSES",
    "JOB_KINDS",
    "JOB_STATES",
    "LOCATION_PRECISIONS",
    "MEASURES",
    "OBSERVATORY_KINDS",
    "SCOPE_CHECK",
    "SOURCE_KINDS",
    "SUBJECT_KINDS",
    "TIME_PRECISIONS",
    "ActionStateChange",
    "Address",
    "Ambiance",
    "AuditEntry",
    "Base",
    "Batch",
    "Building",
    "Camera",
    "Cell",
    "CellCount",
    "CsuActivity",
    "DataChange",
    "DealPoint",
    "DealPointChange",
    "Decision",
    "DisclosureKey",
    "Edition",
    "EmergingHotspot",
    "Event",
    "EventLink",
    "EventPair",
    "Hotspot",
    "HotspotLayer",
    "Indicator",
    "IndicatorValue",
    "Job",
    "Meeting",
    "Observatory",
    "OfficialIndicator",
    "PatrolPlan",
    "PatrolStop",
    "Place",
    "Refresh",
    "RejectedRow",
    "Sector",
    "Source",
    "StrategyAction",
    "StrategyAxis",
    "StreetEdge",
    "Territory",
    "User",
    "UserSession",
    "Zone",
]

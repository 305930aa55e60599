"""Contact between partners: who wrote when (never what), ``/contact``, nudges and
escalations, welcome-backs and pair health.

Message events are the hot path: :meth:`ContactLog.record_message` only appends to a
buffer that a background task writes in batches, one transaction each. A crash can lose
the last few dozen milliseconds of events; :meth:`ContactLog.backfill` reads every
space's history after the last recorded message at start-up, so nothing stays lost.

Everything :meth:`ContactPlanner.plan` queues has a stable outbox key, so it is planned
exactly once however often (or late) it runs.
"""

from bot.services.contact._shared import require_member
from bot.services.contact.health import HealthReport, HealthSort, PairHealth, health_csv
from bot.services.contact.planning import ContactPlanner
from bot.services.contact.recording import ContactLog, LoggedContact

__all__ = [
    "ContactLog",
    "ContactPlanner",
    "HealthReport",
    "HealthSort",
    "LoggedContact",
    "PairHealth",
    "health_csv",
    "require_member",
]

"""Per-channel engagement of a customer, read from the communication log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from journeys.contracts.activities import SendStatus
from journeys.decisioning.channel_selection import ChannelHistory
from journeys.language.channels import Channel
from journeys.store.tables.communication import CommunicationLog


def channel_history(
    session: Session, *, org_id: str, customer_id: str, since: datetime
) -> list[ChannelHistory]:
    """Sends, opens and clicks per channel of the customer's messages sent since ``since``.

    A message counts as sent when its status is ``sent``; opened and clicked
    when delivery feedback set ``opened_at`` / ``clicked_at`` on its row.
    """
    rows = session.execute(
        select(
            CommunicationLog.channel,
            func.count(),
            func.sum(case((CommunicationLog.opened_at.is_not(None), 1), else_=0)),
            func.sum(case((CommunicationLog.clicked_at.is_not(None), 1), else_=0)),
        )
        .where(
            CommunicationLog.org_id == org_id,
            CommunicationLog.customer_id == customer_id,
            CommunicationLog.status == SendStatus.SENT.value,
            CommunicationLog.created_at >= since,
        )
        .group_by(CommunicationLog.channel)
    ).all()
    return [
        ChannelHistory(
            channel=Channel(channel), sent=sent, opened=int(opened or 0), clicked=int(clicked or 0)
        )
        for channel, sent, opened, clicked in rows
        if channel in Channel.__members__.values()
    ]


_RECENT_EMAILS = (
    select(CommunicationLog.opened_at)
    .where(
        CommunicationLog.org_id == bindparam("org_id"),
        CommunicationLog.customer_id == bindparam("customer_id"),
        CommunicationLog.channel == Channel.EMAIL.value,
        CommunicationLog.status == SendStatus.SENT.value,
    )
    .order_by(CommunicationLog.created_at.desc(), CommunicationLog.id.desc())
    .limit(bindparam("last"))
)


def recent_email_opens(
    session: Session, *, org_id: str, customer_id: str, last: int
) -> tuple[int, int]:
    """(opened, sent) over the customer's ``last`` sent emails."""
    opened = (
        session.connection()
        .execute(_RECENT_EMAILS, {"org_id": org_id, "customer_id": customer_id, "last": last})
        .scalars()
        .all()
    )
    return sum(1 for at in opened if at is not None), len(opened)

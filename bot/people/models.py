"""Tables for residents' certificate records (imported by staff) and WeChat registrations.

Identifiers are stored twice: encrypted (bot.privacy.pii.encrypt, readable with DATA_KEY) and as a keyed hash
(bot.privacy.pii.lookup_hash) so rows can be found without decrypting. Names and phones are encrypted too:
together with the hash they would identify a disabled person.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

BUSINESS_TYPES = ("新办", "换领", "补办", "迁移", "注销", "变更")
STEPS = ("受理", "评定", "公示", "审核", "制证", "待领取", "已发证", "退回")
RELATIONS = ("本人", "家属（配偶）", "家属（子女）", "家属（父母）", "家属（其他）")
MAX_LINKED_USERS = 3  # WeChat users (the resident and family) per resident
MAX_FAILURES_PER_DAY = 5


class CertRecord(Base):
    """One certificate business (新办, 换领, …) of one resident, as the registry export says.

    Upsert key: (id_hash, business_type) — a resident has at most one current application of each
    kind, and a later export of the same kind replaces the earlier state.
    """

    __tablename__ = "cert_record"
    __table_args__ = (UniqueConstraint("id_hash", "business_type", name="uq_cert_record_person_business"),
                      Index("ix_cert_record_name_hash", "name_hash"), Index("ix_cert_record_id_tail", "id_tail"))
    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64))
    business_type: Mapped[str] = mapped_column(String(8))
    id_enc: Mapped[str] = mapped_column(Text)
    cert_enc: Mapped[Optional[str]] = mapped_column(Text)  # full certificate number incl. B/B2 suffix
    name_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[Optional[str]] = mapped_column(Text)  # "138…,0577…" when several
    # Staff search aids: a keyed hash of the folded name, and the last 4 characters the masks show anyway.
    name_hash: Mapped[str] = mapped_column(String(64))
    id_tail: Mapped[str] = mapped_column(String(4))
    cert_tail: Mapped[Optional[str]] = mapped_column(String(4))
    category: Mapped[Optional[int]] = mapped_column(SmallInteger)  # 1–7
    grade: Mapped[Optional[int]] = mapped_column(SmallInteger)  # 1–4
    step: Mapped[str] = mapped_column(String(8))
    step_date: Mapped[Optional[dt.date]]
    return_reason: Mapped[Optional[str]] = mapped_column(Text)
    issued_on: Mapped[Optional[dt.date]]
    valid_until: Mapped[Optional[dt.date]]
    town: Mapped[Optional[str]] = mapped_column(String(32))
    # Keyed hash of the imported content: re-importing an unchanged row writes nothing.
    row_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Registration(Base):
    """A WeChat user's binding to one resident (themself or a family member); one per openid.

    linked_at is set once name, ID (and phone digits, when the registry has a phone) matched a
    registry record; only linked registrations see certificate progress.
    """

    __tablename__ = "registration"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    relation: Mapped[str] = mapped_column(String(16))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_enc: Mapped[str] = mapped_column(Text)
    cert_enc: Mapped[Optional[str]] = mapped_column(Text)  # when the resident typed a certificate number
    name_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[str] = mapped_column(Text)
    town: Mapped[Optional[str]] = mapped_column(String(32))
    address_enc: Mapped[Optional[str]] = mapped_column(Text)
    linked_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RegistrationFailure(Base):
    """One failed identity check (bad check digit, details not matching): the daily lockout counts these."""

    __tablename__ = "registration_failure"
    __table_args__ = (Index("ix_registration_failure_openid_at", "openid", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))  # checksum | mismatch
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

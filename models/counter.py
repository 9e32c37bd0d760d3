"""What the counter records beside an instruction: the teller's check of the customer's identity document."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey
from models.customer import ID_TYPES


class IdentityCheck(Base):
    """The teller saw the customer's identity document for this instruction: which document, the number
    as read from it, who confirmed it and when. Written once with the instruction; never changed."""

    __tablename__ = "identity_check"
    __table_args__ = (CheckConstraint("document_type IN " + repr(ID_TYPES), name="known_document_type"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("instruction.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("customer.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(12))
    document_number: Mapped[str] = mapped_column(String(32))
    confirmed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    confirmed_at: Mapped[datetime]

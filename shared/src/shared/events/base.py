"""Base class of every domain event and the value types events share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
# On the wire an amount is a decimal string ("12.50"), never a float: the schema says so.
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    WithJsonSchema(
        {"type": "string", "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"}, mode="validation"
    ),
]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    amount: Amount
    currency: CurrencyCode


class Event(BaseModel, ABC):
    """A fact that happened in one aggregate; immutable once published.

    Subclasses set ``event_type`` (a past-tense name such as ``order.placed``)
    and ``version``; a breaking change is a new subclass with a new version.
    Unknown fields are ignored (tolerant reader), so a producer may add an
    optional field before every consumer knows it.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    version: ClassVar[int]

    @property
    @abstractmethod
    def aggregate_id(self) -> str:
        """The id of the aggregate the event is about: the CloudEvents ``subject``."""

"""Base class of every domain event and the value types events share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: CurrencyCode


class Event(BaseModel, ABC):
    """A fact that happened in one aggregate; immutable once published.

    Subclasses set ``event_type`` (a past-tense name such as ``order.placed``)
    and ``version``; a breaking change is a new subclass with a new version.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int]

    @property
    @abstractmethod
    def aggregate_id(self) -> str:
        """The id of the aggregate the event is about: the CloudEvents ``subject``."""

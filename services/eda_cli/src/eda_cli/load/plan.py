"""What one ``eda load`` run is asked to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, repr=False)
class LoadPlan:
    rate: float
    """Orders started per second, on a fixed schedule (open loop)."""
    duration_s: float
    users_url: str
    orders_url: str
    customers: int
    """Users registered first (at the same rate); every order is for one of them."""
    concurrency: int
    """Requests in flight at most; a start that finds none free is late, and counted."""
    progress_every_s: float
    timeout_s: float
    seed: int | None = None
    token: str | None = None
    """Bearer token sent with every request (services running with EDA_AUTH__ENABLED)."""

    @property
    def orders(self) -> int:
        return round(self.rate * self.duration_s)

    def __repr__(self) -> str:
        # Never the token.
        return (
            f"LoadPlan(rate={self.rate}, duration_s={self.duration_s},"
            f" users_url={self.users_url!r}, orders_url={self.orders_url!r})"
        )

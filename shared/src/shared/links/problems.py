"""A link that cannot work as configured: a wrong password, a certificate that does not
verify, plaintext sent to a TLS port. Unlike an unreachable server it does not heal by
itself, so the process stops with one line naming the link and the setting."""

from __future__ import annotations


class LinkMisconfigured(Exception):
    def __init__(self, link: str, address: str, problem: str, setting: str) -> None:
        super().__init__(link, address, problem, setting)
        self.link = link
        self.address = address
        self.problem = problem
        self.setting = setting

    def __str__(self) -> str:
        return f"{self.link} at {self.address}: {self.problem}; check {self.setting}"

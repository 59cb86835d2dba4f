"""The identity provider's signing keys: its JWKS, at ``EDA_AUTH__JWKS_URL`` or at the
``jwks_uri`` of the issuer's discovery document, cached and chosen by the token's ``kid``.

An unknown ``kid`` refetches the set (at most once per ``EDA_AUTH__JWKS_REFETCH_MIN_S``,
and only for a token claiming the configured issuer);
the set is also refreshed in the background every ``EDA_AUTH__JWKS_REFRESH_S``. So a
rotation needs no restart: a new key is fetched when the first token signed with it
arrives, and a removed key is refused once a refetch no longer lists it. Fetches run in a
thread (urllib), one at a time, shared by every request waiting for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import jwt

from shared.auth_settings import AuthSettings
from shared.links.addresses import url_address
from shared.links.problems import LinkMisconfigured

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 5.0
MAX_DOCUMENT_BYTES = 1 << 20
# Retries of a provider that cannot be reached: 1 s, 2 s, 4 s ... then every 30 s.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
DISCOVERY_PATH = "/.well-known/openid-configuration"

Fetch = Callable[[str], Awaitable[Any]]


class KeysUnavailableError(ConnectionError):
    """The provider could not be reached, or failed: transient, retried."""


class KeysUnusableError(Exception):
    """The provider answered with something that cannot be a key set: it will not heal
    by itself (a wrong URL, a certificate that does not verify, no usable key)."""

    def __init__(self, address: str, problem: str, setting: str) -> None:
        super().__init__(address, problem, setting)
        self.address = address
        self.problem = problem
        self.setting = setting

    def as_link_problem(self) -> LinkMisconfigured:
        return LinkMisconfigured("identity provider", self.address, self.problem, self.setting)


class UnknownKeyError(Exception):
    """No key of the current set has the token's kid."""


class ProviderKeys:
    """The current key set of one identity provider, by kid."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        fetch: Fetch | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.keys_from_provider:
            raise ValueError("ProviderKeys needs EDA_AUTH__JWKS_URL or EDA_AUTH__DISCOVERY")
        self._settings = settings
        self._algorithms = {str(algorithm) for algorithm in settings.algorithms}
        self._jwks_url = settings.jwks_url
        self._setting = "EDA_AUTH__JWKS_URL" if settings.jwks_url else "EDA_AUTH__ISSUER"
        self._fetch = fetch or _fetcher(settings)
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at = 0.0
        # When an unknown kid last made us refetch: the fetches strangers can cause.
        self._last_refetch: float | None = None
        self._inflight: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.fetches = 0  # key sets fetched and stored

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys or ())

    async def start(self) -> None:
        """Fetch the set once. Unusable: raise KeysUnusableError. Unreachable: log, and
        keep trying in the background; requests meanwhile are answered 503."""
        try:
            await self.refresh()
        except KeysUnavailableError as exc:
            log.warning("the identity provider's keys could not be fetched (%s); retrying", exc)
            self._spawn(self._retry_until_fetched())

    async def stop(self) -> None:
        tasks = [*self._background, *([self._inflight] if self._inflight else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def key(self, kid: str, *, may_refetch: bool) -> jwt.PyJWK:
        """The key named ``kid``. Unknown: one refetch when allowed (the token claims our
        issuer, and the last refetch an unknown kid caused is older than
        EDA_AUTH__JWKS_REFETCH_MIN_S), else UnknownKeyError. No set at all and none
        fetchable: KeysUnavailableError. A known kid in a set older than
        EDA_AUTH__JWKS_REFRESH_S is served, and the set refreshed in the background."""
        keys = self._keys
        if keys is not None and kid in keys:
            if self._clock() - self._fetched_at >= self._settings.jwks_refresh_s:
                self._refresh_in_background()
            return keys[kid]
        if may_refetch and self._may_refetch():
            self._last_refetch = self._clock()
            try:
                await self.refresh()
            except KeysUnusableError as exc:
                log.error("the identity provider's keys are unusable: %s", exc.problem)
            except KeysUnavailableError as exc:
                log.warning("refetching the identity provider's keys failed: %s", exc)
        if self._keys is None:
            raise KeysUnavailableError("the identity provider's keys are not fetched yet")
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownKeyError(kid) from None

    async def refresh(self) -> None:
        """Fetch and store the set; concurrent callers share one fetch."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._fetch_and_store())
            self._inflight.add_done_callback(_retrieved)
        # Shielded: a request that gives up does not cancel the fetch others wait for.
        await asyncio.shield(self._inflight)

    def _may_refetch(self) -> bool:
        if self._inflight is not None and not self._inflight.done():
            return True  # joining a fetch costs the provider nothing more
        last = self._last_refetch
        return last is None or self._clock() - last >= self._settings.jwks_refetch_min_s

    def _refresh_in_background(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            return
        self._spawn(self._quiet_refresh())

    async def _quiet_refresh(self) -> None:
        try:
            await self.refresh()
        except (KeysUnavailableError, KeysUnusableError) as exc:
            # The keys in hand still serve: a removed key is only dropped by a set that
            # could be read.
            log.warning("refreshing the identity provider's keys failed: %s", _said(exc))

    async def _retry_until_fetched(self) -> None:
        delay = RETRY_FIRST_S
        while self._keys is None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
            if self._keys is not None:
                return
            try:
                await self.refresh()
            except (KeysUnavailableError, KeysUnusableError) as exc:
                log.warning("the identity provider's keys: %s; retrying", _said(exc))
        log.info("the identity provider's keys were fetched: %d keys", len(self._keys))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fetch_and_store(self) -> None:
        url = self._jwks_url or await self._discover()
        document = await self._fetch(url)
        keys = _signing_keys(document, self._algorithms, url, self._setting)
        old = self.kids
        if self._keys is None:
            # Tries while there was no set at all say nothing about forged kids.
            self._last_refetch = None
        self._keys, self._fetched_at = keys, self._clock()
        self._jwks_url = url
        self.fetches += 1
        if set(keys) != old:
            log.info(
                "identity provider keys: %s (added %s, removed %s)",
                sorted(keys),
                sorted(set(keys) - old),
                sorted(old - set(keys)),
            )

    async def _discover(self) -> str:
        issuer = self._settings.issuer or ""
        url = issuer.rstrip("/") + DISCOVERY_PATH
        document = await self._fetch(url)
        if not isinstance(document, dict):
            raise KeysUnusableError(
                url, "the discovery document is not a JSON object", self._setting
            )
        if document.get("issuer") != issuer:
            # OpenID Connect Discovery 4.3: the document must name the issuer exactly.
            raise KeysUnusableError(
                url,
                f"the discovery document names the issuer {document.get('issuer')!r}, "
                f"not {issuer!r}",
                "EDA_AUTH__ISSUER",
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or urllib.parse.urlsplit(jwks_uri).scheme != "https":
            raise KeysUnusableError(
                url, "the discovery document has no https jwks_uri", "EDA_AUTH__ISSUER"
            )
        return jwks_uri


def _retrieved(task: asyncio.Task[None]) -> None:
    """Every waiter sees the fetch's error; should all have given up, nobody is told that
    it was never retrieved."""
    if not task.cancelled():
        task.exception()


def _signing_keys(
    document: Any, algorithms: set[str], url: str, setting: str
) -> dict[str, jwt.PyJWK]:
    """The keys of a JWKS that can verify tokens here: signing keys with a kid, of an
    accepted algorithm and strong enough. None at all: KeysUnusableError."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KeysUnusableError(url, "the answer is not a JWKS (no 'keys' list)", setting)
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        key = _signing_key(entry, algorithms)
        if key is not None:
            keys[str(key.key_id)] = key
    if not keys:
        raise KeysUnusableError(
            url,
            f"the JWKS holds no signing key with a kid for {', '.join(sorted(algorithms))}",
            f"{setting} and EDA_AUTH__ALGORITHMS",
        )
    return keys


def _signing_key(entry: Any, algorithms: set[str]) -> jwt.PyJWK | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
        return None
    if entry.get("use", "sig") != "sig" or entry.get("kty") == "oct":
        return None  # encryption keys; and never a shared secret from a document
    try:
        key = jwt.PyJWK(entry)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if key.algorithm_name not in algorithms:
        return None
    if key.Algorithm.check_key_length(key.key) is not None:
        log.warning("identity provider key %s is too weak; not used", entry["kid"])
        return None
    return key


def _said(exc: KeysUnavailableError | KeysUnusableError) -> str:
    return exc.problem if isinstance(exc, KeysUnusableError) else str(exc)


def _fetcher(settings: AuthSettings) -> Fetch:
    cafile = str(settings.ca_file) if settings.ca_file is not None else None
    setting = "EDA_AUTH__CA_FILE" if cafile else "EDA_AUTH__JWKS_URL or EDA_AUTH__CA_FILE"

    async def fetch(url: str) -> Any:
        context = ssl.create_default_context(cafile=cafile)
        return await asyncio.to_thread(_get_json, url, context, setting)

    return fetch


def _get_json(url: str, context: ssl.SSLContext, ca_setting: str) -> Any:
    where = url_address(url)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 - https only, checked by the settings
            request, timeout=FETCH_TIMEOUT_S, context=context
        ) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise KeysUnusableError(
                where, f"it answered HTTP {exc.code}", _setting_of(url)
            ) from None
        raise KeysUnavailableError(f"{where} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise KeysUnusableError(
                where, f"its certificate does not verify ({exc.reason.verify_message})", ca_setting
            ) from None
        raise KeysUnavailableError(f"{where} could not be reached: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise KeysUnavailableError(f"{where} could not be read: {exc}") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise KeysUnusableError(where, "the answer is over 1 MiB", _setting_of(url))
    try:
        return json.loads(body)
    except ValueError:
        raise KeysUnusableError(where, "the answer is not JSON", _setting_of(url)) from None


def _setting_of(url: str) -> str:
    return "EDA_AUTH__ISSUER" if url.endswith(DISCOVERY_PATH) else "EDA_AUTH__JWKS_URL"


async def check_identity_provider(settings: AuthSettings) -> None:
    """At start: a provider that answers with no usable key set stops the process
    (LinkMisconfigured); one that cannot be reached is only logged (the app retries)."""
    if not (settings.enabled and settings.keys_from_provider):
        return
    keys = ProviderKeys(settings)
    try:
        await keys.refresh()
    except KeysUnusableError as exc:
        raise exc.as_link_problem() from None
    except KeysUnavailableError as exc:
        log.warning("the identity provider's keys could not be fetched yet: %s", exc)

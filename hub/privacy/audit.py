"""The audit log: one entry per read, write, page, export or sign-in that touches personal data.

UU PDP 27/2022 asks who processed whose data, when and why. Every path of the hub (the GraphQL
resolvers, the live hub's writes, pages, ``hub pdp export``) writes its entries here, in one
format (``AuditEntry``), as JSON Lines: one file per UTC day, ``<HUB_HOME>/audit/<graph>/
YYYY-MM-DD.jsonl``, mode 0600 in a 0700 folder. On disk, not in the graph server's memory, so
the log is bounded by the retention setting (``HUB_AUDIT_RETENTION_DAYS``), not by RAM.

Written before data leaves: ``record()`` returns only once its entries are written, and raises
``AuditWriteError`` when they cannot be (resolvers/audit_barrier.py then withholds the
response). A one-off command's entries are ``fsync``ed before ``record()`` returns; the server's
(``AuditLog.open``) are in the kernel when the response leaves, so a crash of the hub loses none,
and ``fsync``ed in rounds at most a second apart (a power cut may lose that second, as with
Redis's ``appendfsync everysec``). When a round's ``fsync`` fails, every request is refused
(fail closed) until an entry is written and ``fsync``ed again, which happens by itself once the
folder is writable: the log then says loudly which second's entries may be lost. Entries that
arrive while a write is in flight go out together in the next one (a group commit).

Several processes (``hub serve``, a CLI command) may append to the same day at once: each
write is whole lines, in one ``O_APPEND`` file under an exclusive ``flock``, so lines never
interleave. A line torn by a crash is closed off by the next writer and skipped by readers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from hub.errors import HubError, InputError, quote
from hub.privacy.access import Principal
from hub.settings import Settings

DEFAULT_RETENTION_DAYS = 1826  # five years: see README "Audit log" for why
# The server's writes reach the kernel before a response leaves (a crash of the hub loses none);
# they reach the disk within this long (as Redis's appendfsync everysec): an fsync per request
# cost 5.7 ms on the build machine, more than the whole request.
SERVER_SYNC_INTERVAL_S = 1.0
logger = logging.getLogger("hub.audit")
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl$")
# An API key as `hub keys create` prints it: the id part may be logged, never the secret.
_CLEAR_KEY = re.compile(r"(khub_[0-9A-Za-z]{1,16}_)[0-9A-Za-z_\-]+")
_KEY_ID = re.compile(r"^(khub_[0-9a-f]{8})(_|$)")


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    EXPORT = "export"
    PAGE = "page"
    SIGN_IN = "sign-in"


class Outcome(StrEnum):
    OK = "ok"
    NOT_FOUND = "not-found"
    REFUSED = "refused"
    FAILED = "failed"


class AuditWriteError(HubError):
    """The audit log could not be written: whatever was asked must not happen."""

    exit_code = 74
    http_status = 503


def scrub_keys(text: str) -> str:
    """``text`` with the secret part of any API key in it cut off (``khub_1a2b3c4d_…``)."""
    return _CLEAR_KEY.sub(r"\1…", text)


def key_hint(key: str) -> str:
    """What may be logged of a presented key: its public id part ("khub_1a2b3c4d"), never the secret.

    A string not shaped like a hub key gives only its length, since it may be someone's secret.
    """
    match = _KEY_ID.match(key)
    if match:
        return match.group(1)
    return f"(not a hub key, {len(key)} characters)" if key else ""


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry: who (key and officer), did what (action, operation), to whom, which fields, how it ended."""

    at: str  # UTC, ISO 8601 with milliseconds
    key_id: str
    key_name: str
    officer: str
    office: str
    region: str | None
    role: str
    action: Action
    operation: str  # the GraphQL field, page or command
    person_ids: tuple[str, ...]
    fields: tuple[str, ...]  # the fields actually sent
    outcome: Outcome
    request_id: str | None = None
    client: str | None = None  # the client's address, where known
    detail: str | None = None  # why a lookup or sign-in failed; why an export was made

    @property
    def day(self) -> str:
        return self.at[:10]

    def to_line(self) -> bytes:
        """One JSON line (orjson: ``dataclasses.asdict`` deep-copies and cost 85% of a write)."""
        return orjson.dumps(self, option=orjson.OPT_APPEND_NEWLINE)

    @classmethod
    def from_line(cls, line: bytes | str) -> AuditEntry:
        data: dict[str, Any] = orjson.loads(line)
        data["action"], data["outcome"] = Action(data["action"]), Outcome(data["outcome"])
        data["person_ids"], data["fields"] = tuple(data["person_ids"]), tuple(data["fields"])
        return cls(**data)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_AGO = re.compile(r"^(\d{1,6})\s*([hd])$")


def moment_argument(value: str, argument: str = "--since") -> dt.datetime:
    """A moment as an operator types it: "2026-11-28", "2026-11-28T09:30" (UTC unless an offset is given), or "72h"/"3d" ago.

    Raises:
        InputError: none of these.
    """
    text = value.strip()
    ago = _AGO.match(text.lower())
    if ago:
        amount, unit = int(ago.group(1)), ago.group(2)
        return dt.datetime.now(dt.UTC) - (dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(days=amount))
    try:
        return _as_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        raise InputError(f"{argument} {quote(value)} is not a moment: give a date (2026-11-28), a date and time "
                         "(2026-11-28T09:30, UTC unless an offset follows) or a span ago (72h, 3d)") from None


@dataclass(frozen=True)
class PersonTouched:
    """One person in a set of entries: how often, when first and last, which fields, through which operations."""

    person_id: str
    entries: int
    first: str
    last: str
    fields: tuple[str, ...]
    operations: tuple[str, ...]


def persons_touched(entries: Iterable[AuditEntry]) -> list[PersonTouched]:
    """Each person the entries name, once (what a breach notice needs: who, what, when), by person id."""
    seen: dict[str, tuple[int, str, str, set[str], set[str]]] = {}
    for entry in entries:
        for person_id in entry.person_ids:
            count, first, last, fields, operations = seen.get(person_id, (0, entry.at, entry.at, set(), set()))
            seen[person_id] = (count + 1, min(first, entry.at), max(last, entry.at), fields | set(entry.fields),
                               operations | {entry.operation})
    return [PersonTouched(p, c, f, la, tuple(sorted(fs)), tuple(sorted(ops)))
            for p, (c, f, la, fs, ops) in sorted(seen.items())]


@dataclass(frozen=True)
class Unreadable:
    """A line a reader skipped (torn by a crash, or edited by hand): where it is."""

    path: Path
    line: int


class AuditLog:
    """The audit log of one graph, in ``directory`` (see the module docstring)."""

    def __init__(self, directory: Path, retention_days: int = DEFAULT_RETENTION_DAYS,
                 sync_interval_s: float = 0.0) -> None:
        """``sync_interval_s`` 0: ``fsync`` before ``record()`` returns; above 0: at most that long after."""
        self.directory = directory
        self.retention_days = retention_days
        self.sync_interval_s = sync_interval_s
        self.unreadable: list[Unreadable] = []  # filled by the last read
        self.commits = 0  # writes, each of one or more requests' entries
        self.syncs = 0  # fsync rounds
        self._pending: list[tuple[list[AuditEntry], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        self._unsynced: set[Path] = set()
        self._unsynced_lock = threading.Lock()
        self._sync_error: str | None = None  # set by a failed fsync round, cleared by the next write that syncs
        self._sync_failed_at = ""

    @classmethod
    def of(cls, settings: Settings, sync_interval_s: float = 0.0) -> AuditLog:
        """The log of the configured graph, under ``HUB_HOME`` (nothing is opened or checked yet)."""
        return cls(settings.home / "audit" / settings.graph_name, settings.audit_retention_days, sync_interval_s)

    @classmethod
    def open(cls, settings: Settings) -> AuditLog:
        """The configured log, checked writable and pruned to its retention (what ``hub serve`` does at start).

        Its writes are ``fsync``ed in rounds at most ``SERVER_SYNC_INTERVAL_S`` apart (``aclose()``
        syncs the last): a request pays a ``write()``, not an ``fsync``.

        Raises:
            AuditWriteError: the folder cannot be created or written.
        """
        log = cls.of(settings, SERVER_SYNC_INTERVAL_S)
        try:
            log.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            probe = log.directory / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
            log.prune()
        except OSError as exc:
            raise AuditWriteError(f"the audit log folder {log.directory} cannot be written "
                                  f"({exc.strerror or type(exc).__name__}): fix its permissions or HUB_HOME") from None
        return log

    # --- writing -------------------------------------------------------------------------------
    async def record(self, principal: Principal, operation: str, person_ids: Sequence[str], fields: Sequence[str], *,
                     action: Action = Action.READ, outcome: Outcome = Outcome.OK, request_id: str | None = None,
                     client: str | None = None, detail: str | None = None) -> None:
        """Write one entry, durably, before returning: ``principal`` did ``action`` through ``operation``.

        A read that returned no one writes nothing (pass ``outcome=Outcome.NOT_FOUND`` for a
        lookup that found no one: that is logged).

        Raises:
            AuditWriteError: the entry could not be written; the caller must not go on.
        """
        if not person_ids and action == Action.READ and outcome == Outcome.OK:
            return
        await self.write([self.entry(principal, operation, person_ids, fields, action=action, outcome=outcome,
                                     request_id=request_id, client=client, detail=detail)])

    async def failure(self, principal: Principal | None, operation: str, outcome: Outcome, detail: str, *,
                      action: Action | None = None, key_id: str = "", person_ids: Sequence[str] = (),
                      request_id: str | None = None, client: str | None = None) -> None:
        """Log a failed lookup (a principal) or a failed sign-in (no principal; ``key_id`` the key presented).

        Only a key's public id part is written ("khub_1a2b3c4d"; a string not shaped like a key: its
        length), from ``key_id`` and from any key in ``detail``.

        Raises:
            AuditWriteError: the entry could not be written.
        """
        await self.write([self.entry(principal, operation, person_ids, (),
                                     action=action or (Action.SIGN_IN if principal is None else Action.READ),
                                     outcome=outcome, request_id=request_id, client=client,
                                     detail=scrub_keys(detail), key_id=key_id)])

    @staticmethod
    def entry(principal: Principal | None, operation: str, person_ids: Sequence[str], fields: Sequence[str], *,
              action: Action, outcome: Outcome, request_id: str | None = None, client: str | None = None,
              detail: str | None = None, key_id: str = "") -> AuditEntry:
        """One entry, stamped now; without a principal (a failed sign-in) it names only ``key_id``."""
        if principal is None:
            key, name, officer, office, region, role = key_hint(key_id), "", "", "", None, ""
        else:
            key, name, officer, office, region, role = (principal.key_id, principal.name, principal.officer,
                                                         principal.office, principal.region, str(principal.role))
        return AuditEntry(at=now_iso(), key_id=key, key_name=name, officer=officer, office=office, region=region,
                          role=role, action=action, operation=operation, person_ids=tuple(person_ids),
                          fields=tuple(fields), outcome=outcome, request_id=request_id, client=client, detail=detail)

    async def write(self, entries: list[AuditEntry]) -> None:
        """Append ``entries`` and return once they are written (joining the next group commit).

        Raises:
            AuditWriteError: they could not be written, or an earlier ``fsync`` failed.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entries, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                flat = [e for entries, _ in batch for e in entries]
                if self._sync_error:
                    # The last round's fsync failed, its entries may be lost: until a write reaches the disk
                    # again, every request is refused. This batch reopens the files and is fsync'd before
                    # its requests go on; once the folder is writable again the log recovers by itself.
                    try:
                        await asyncio.to_thread(self.append, flat)
                    except OSError as exc:
                        raise OSError(exc.errno, f"{self._sync_error}; now {exc.strerror or type(exc).__name__}") \
                            from None
                    self._recovered()
                elif self.sync_interval_s > 0:
                    # A write to the page cache takes microseconds: a thread hop would cost more.
                    self.append(flat, sync=False)
                else:
                    await asyncio.to_thread(self.append, flat)
            except OSError as exc:
                error = AuditWriteError(f"the audit log in {self.directory} cannot be written "
                                        f"({exc.strerror or type(exc).__name__})")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
                if self.sync_interval_s > 0 and (self._syncer is None or self._syncer.done()):
                    self._syncer = asyncio.ensure_future(self._sync_later())

    async def _sync_later(self) -> None:
        await asyncio.sleep(self.sync_interval_s)
        try:
            await asyncio.to_thread(self.sync)
        except OSError as exc:  # written but maybe not kept: refuse requests until a write is fsync'd again
            self._sync_error = f"fsync failed: {exc.strerror or type(exc).__name__}"
            self._sync_failed_at = now_iso()
            logger.error("audit log fsync failed in %s (%s): the entries written in the second before %s may be "
                         "lost; every request is refused until an entry is written and fsync'd again",
                         self.directory, exc.strerror or type(exc).__name__, self._sync_failed_at)

    def _recovered(self) -> None:
        logger.error("audit log in %s is writable again (an entry was written and fsync'd after '%s' at %s): "
                     "entries written in the second before %s may be lost; requests are served again",
                     self.directory, self._sync_error, self._sync_failed_at, self._sync_failed_at)
        self._sync_error = None

    async def aclose(self) -> None:
        """``fsync`` what is written and not yet synced (``hub serve`` at shutdown)."""
        if self._syncer is not None and not self._syncer.done():
            self._syncer.cancel()
        await asyncio.to_thread(self.sync)

    def sync(self) -> None:
        """``fsync`` every day file written since the last round (blocking)."""
        with self._unsynced_lock:
            paths, self._unsynced = self._unsynced, set()
        for path in paths:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # on Linux any descriptor syncs the file's data
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if paths:
            self.syncs += 1

    def append(self, entries: Iterable[AuditEntry], sync: bool = True) -> None:
        """Append ``entries`` to their days' files (blocking; ``write`` runs it in a thread), ``fsync``ed when ``sync``.

        Raises:
            OSError: the folder or a file cannot be written.
        """
        by_day: dict[str, list[bytes]] = {}
        for entry in entries:
            by_day.setdefault(entry.day, []).append(entry.to_line())
        if not by_day:
            return
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for day, lines in by_day.items():
            path = self.directory / f"{day}.jsonl"
            created = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)  # read: the last byte
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                # A line torn by a crash gets its end, so that this batch's first line stays whole.
                data = (b"\n" if size and os.pread(fd, 1, size - 1) != b"\n" else b"") + b"".join(lines)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                fcntl.flock(fd, fcntl.LOCK_UN)
                if sync:
                    os.fsync(fd)
                    self.syncs += 1
                else:
                    with self._unsynced_lock:
                        self._unsynced.add(path)
            finally:
                os.close(fd)
            if created:  # the new file's name must survive a power cut too
                dir_fd = os.open(self.directory, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        self.commits += 1

    # --- reading -------------------------------------------------------------------------------
    def day_files(self) -> list[tuple[dt.date, Path]]:
        """The day files, oldest first (files with other names are not the log's and are left alone)."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in self.directory.iterdir():
            match = _DAY_FILE.match(path.name)
            if match:
                out.append((dt.date.fromisoformat(match.group(1)), path))
        return sorted(out)

    def entries(self, *, person_ids: Iterable[str] | None = None, key_id: str | None = None,
                since: dt.datetime | None = None, until: dt.datetime | None = None,
                newest_first: bool = True) -> Iterator[AuditEntry]:
        """Entries that name any of ``person_ids``, of key ``key_id``, between ``since`` and ``until``."""
        wanted = set(person_ids) if person_ids is not None else None
        low = _as_utc(since).isoformat(timespec="milliseconds") if since else None
        high = _as_utc(until).isoformat(timespec="milliseconds") if until else None
        self.unreadable = []
        files = self.day_files()
        if low:
            files = [(d, p) for d, p in files if d.isoformat() >= low[:10]]
        if high:
            files = [(d, p) for d, p in files if d.isoformat() <= high[:10]]
        for _, path in reversed(files) if newest_first else files:
            for entry in self._read(path, newest_first):
                if (low and entry.at < low) or (high and entry.at > high):
                    continue
                if key_id is not None and entry.key_id != key_id:
                    continue
                if wanted is not None and wanted.isdisjoint(entry.person_ids):
                    continue
                yield entry

    def _read(self, path: Path, newest_first: bool) -> list[AuditEntry]:
        try:
            lines = path.read_bytes().splitlines()
        except FileNotFoundError:  # pruned meanwhile
            return []
        out = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(AuditEntry.from_line(line))
            except (ValueError, KeyError, TypeError):
                self.unreadable.append(Unreadable(path, number))
        return out[::-1] if newest_first else out

    def latest(self, count: int, person_id: str | None = None, key_id: str | None = None,
               since: dt.datetime | None = None) -> list[AuditEntry]:
        """The newest ``count`` entries (of one person, of one key, since a moment, when given), newest first."""
        out = []
        for entry in self.entries(person_ids=None if person_id is None else [person_id], key_id=key_id, since=since):
            out.append(entry)
            if len(out) >= count:
                break
        return out

    # --- retention -----------------------------------------------------------------------------
    def prune(self, today: dt.date | None = None) -> list[Path]:
        """Delete the day files older than the retention period; the files deleted.

        A day is kept while it is within ``retention_days`` of ``today`` (UTC): with 1826 days,
        a file of 2021-01-01 goes on 2026-01-02.
        """
        today = today or dt.datetime.now(dt.UTC).date()
        oldest_kept = today - dt.timedelta(days=self.retention_days)
        removed = []
        for day, path in self.day_files():
            if day < oldest_kept:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

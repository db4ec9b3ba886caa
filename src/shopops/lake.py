"""The Parquet lake: layout, batch ids and atomic commits.

Layout under ``<data_dir>/lake``::

    _batches/<batch_id>.json            commit records; a batch exists only once its record is here
    _staging/<batch_id>.<pid>/          work in progress of a running ingest (deleted on recovery)
    raw/<source>/batch=<id>/            the source as it was read (Parquet), for re-processing
    clean/<table>/batch=<id>/           validated canonical rows
    quarantine/<table>/batch=<id>/      rejected rows with ``_reason``, ``_source_file``, ``_source_row``
    superseded/<table>/batch=<id>/      keys (and batch seq) of earlier rows this batch replaces

Why this shape: an ingest writes everything into its staging folder, moves the folders into place
and only then writes its commit record with an atomic ``os.replace``. Readers list only committed
batches, so a crash or ``kill -9`` at any point leaves the visible lake exactly as it was; the
next writer removes the leftovers (:meth:`Lake.recover`). Writers take an exclusive lock on
``<data_dir>/.lock`` so two ingests never interleave.

A lake on object storage (``--data s3://bucket/prefix``; the file ``<data_dir>/lake.uri`` names it,
``<data_dir>`` then being a local folder for the warehouse and other local state) keeps the same layout
under ``s3://bucket/prefix/lake``. A rename is not atomic there, so a batch is staged locally, uploaded
straight to its final, batch-named partitions (invisible: readers list only the files of commit
records) and made visible by one conditional write of its commit record (``If-None-Match: *``).
Writers on any machine exclude each other with a lease object ``lake/_lease.json``, created with a
conditional write and renewed while held; a lease whose holder was killed expires (at once when the
holder was a process on this host that is gone). Renewal, takeover of an expired lease and release are
each one write on condition that the lease is still the one last seen (``If-Match``), so two writers
never both hold it on a server that honours the condition (AWS S3, MinIO, moto). Each commit first
claims its sequence number with a conditional write of ``lake/_seq/<seq>``, so two commits can never
share one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopops._duck import sql_str_list
from shopops._fs import LakeStorageError, ObjectStore, lake_uri, local_dir_for, store_for
from shopops.errors import IngestError

__all__ = ["LAKE_POINTER", "Batch", "Lake", "LakeStorageError", "resolve_data_dir"]

#: The file in a local data directory that names the object-storage URI of its lake.
LAKE_POINTER = "lake.uri"
_LEASE = "lake/_lease.json"
# Commit records on object storage, by (lake URI, batch id): a record never changes once written, so each
# process fetches it once instead of on every listing (a build lists the batches once per table).
_RECORDS: dict[tuple[str, str], Batch] = {}
_SECRETS: dict[tuple[str, str], bytes] = {}  # created once, never changed
# The committed batch ids of each object-storage lake whose writer lease this process holds: nobody else
# can commit meanwhile, so one listing at the start and this process's own commits keep it exact.
_HELD: dict[str, set[str]] = {}


def resolve_data_dir(value: str | Path, local_dir: Path | None = None) -> Path:
    """The local data directory for ``--data``: the folder itself, or for a URI the local folder of its lake.

    For ``s3://bucket/prefix`` the local folder (``local_dir``, i.e. ``SHOPOPS_LOCAL_DIR``, else a cache
    folder keyed by the URI) holds the warehouse, the operational store and caches, which need a local
    disk, and the file ``lake.uri`` that points every :class:`Lake` of it at the URI.
    """
    uri = lake_uri(value)
    if uri is None:
        return Path(value)
    folder = local_dir_for(uri, local_dir)
    pointer = folder / LAKE_POINTER
    if pointer.is_file():
        known = pointer.read_text(encoding="utf-8").strip()
        if known != uri:
            raise LakeStorageError(
                f"{folder} is the local folder of the lake {known}, not of {uri}; give each lake its own "
                "SHOPOPS_LOCAL_DIR"
            )
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{LAKE_POINTER}.{os.getpid()}.tmp"
    tmp.write_text(uri + "\n", encoding="utf-8")
    os.replace(tmp, pointer)
    return folder

_ZONES = ("raw", "clean", "quarantine", "superseded")
_FILES_KEY = {"raw": "files", "clean": "files", "quarantine": "quarantine_files", "superseded": "superseded_files"}


@dataclass(frozen=True)
class Batch:
    """A committed ingest batch.

    Parameters
    ----------
    batch_id : str
        Content-derived id: the same source, adapter and mapping always give the same id.
    seq : int
        Commit order (1, 2, …); when two batches hold the same key, the higher ``seq`` wins.
    committed_at : str
        ISO timestamp (UTC) of the commit.
    source : dict
        Where the data came from (paths, sizes, checksums, format, encoding).
    adapter : str
        The adapter or mapping that turned the source into canonical tables.
    tables : dict
        Per canonical table: ``clean_rows``, ``quarantined_rows`` and the files written.
    report : dict
        The data-quality report of the batch.
    """

    batch_id: str
    seq: int
    committed_at: str
    source: dict[str, Any]
    adapter: str
    tables: dict[str, dict[str, Any]]
    report: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The commit record as JSON-compatible data."""
        return {
            "batch_id": self.batch_id,
            "seq": self.seq,
            "committed_at": self.committed_at,
            "source": self.source,
            "adapter": self.adapter,
            "tables": self.tables,
            "report": self.report,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        """Read a commit record."""
        return cls(
            batch_id=data["batch_id"],
            seq=int(data["seq"]),
            committed_at=data["committed_at"],
            source=data.get("source", {}),
            adapter=data.get("adapter", ""),
            tables=data.get("tables", {}),
            report=data.get("report", {}),
        )


class Lake:
    """The Parquet lake of one data directory.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory; the lake lives in ``data_dir / "lake"``.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        pointer = self.data_dir / LAKE_POINTER
        #: The object-storage URI of the lake, or None for a lake on local disk.
        self.uri: str | None = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None
        self.store: ObjectStore | None = store_for(self.uri) if self.uri else None
        # On object storage ``root`` is the lake's path inside :attr:`fs` (``bucket/prefix/lake``).
        self.root = Path(self.store.path("lake")) if self.store else self.data_dir / "lake"

    @property
    def fs(self) -> Any:
        """The ``pyarrow.fs`` filesystem that :attr:`root` is on, or None for local disk (plain paths)."""
        return None if self.store is None else self.store.fs

    def dataset(self, paths: list[str] | list[Path] | list[str | Path]) -> Any:
        """The Parquet files (paths under :attr:`root`) as one ``pyarrow.dataset`` on the lake's filesystem."""
        import pyarrow.dataset as pads

        return pads.dataset([str(p) for p in paths], format="parquet", filesystem=self.fs)

    def scan(self, con: Any, name: str, paths: list[str] | list[Path], *, union_by_name: bool = False) -> str:
        """A SQL ``FROM`` item that reads these lake Parquet files on DuckDB connection ``con``.

        On local disk DuckDB reads the files itself (``read_parquet``). The pinned DuckDB has no S3
        support, so on object storage the files are registered on ``con`` as Arrow datasets named
        ``name``, ``name_1``, … (one per file with ``union_by_name``, whose schemas may differ).
        """
        if self.store is None:
            by_name = ", union_by_name = true" if union_by_name else ""
            return f"read_parquet({sql_str_list([str(p) for p in paths])}{by_name})"
        if not union_by_name:
            con.register(name, self.dataset(paths))
            return name
        names = []
        for i, path in enumerate(paths):
            con.register(f"{name}_{i}", self.dataset([str(path)]))
            names.append(f"SELECT * FROM {name}_{i}")
        return "(" + " UNION ALL BY NAME ".join(names) + ")"

    # ---------------------------------------------------------------- reading
    def batches(self) -> list[Batch]:
        """Committed batches in commit order."""
        if self.store is not None:
            out_remote = [b for b in (self.batch(i) for i in self.batch_ids()) if b is not None]
            return sorted(out_remote, key=lambda b: b.seq)
        folder = self.root / "_batches"
        if not folder.is_dir():
            return []
        out = []
        for path in folder.glob("*.json"):
            with path.open(encoding="utf-8") as fh:
                out.append(Batch.from_json(json.load(fh)))
        return sorted(out, key=lambda b: b.seq)

    def batch_ids(self) -> set[str]:
        """Ids of the committed batches, from the commit records' names alone (cheap enough per request)."""
        if self.store is not None:
            held = _HELD.get(self.store.uri)
            if held is not None:
                return set(held)
            return {k.rsplit("/", 1)[-1].removesuffix(".json") for k in self.store.list("lake/_batches/")
                    if k.endswith(".json")}
        folder = self.root / "_batches"
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return set()
        return {n.removesuffix(".json") for n in names if n.endswith(".json")}

    def batch(self, batch_id: str) -> Batch | None:
        """The committed batch with this id, or None."""
        if self.store is not None:
            cached = _RECORDS.get((self.store.uri, batch_id))
            if cached is not None:
                return cached
            got = self.store.get(f"lake/_batches/{batch_id}.json")
            if got is None:
                return None
            batch = _RECORDS[(self.store.uri, batch_id)] = Batch.from_json(json.loads(got[0]))
            return batch
        path = self.root / "_batches" / f"{batch_id}.json"
        if not path.is_file():
            return None
        with path.open(encoding="utf-8") as fh:
            return Batch.from_json(json.load(fh))

    def files(self, zone: str, table: str) -> list[tuple[Path, Batch]]:
        """Parquet files of committed batches for ``table`` in ``zone``, oldest batch first."""
        if zone not in _ZONES:
            raise ValueError(f"zone must be one of {_ZONES}, not {zone!r}")
        out: list[tuple[Path, Batch]] = []
        for batch in self.batches():
            info = batch.tables.get(table)
            if not info:
                continue
            for rel in info.get(_FILES_KEY[zone], []):
                out.append((self.root / rel, batch))
        return out

    # ---------------------------------------------------------------- writing
    @contextlib.contextmanager
    def writer_lock(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the data directory's exclusive writer lock (blocks until free).

        ``on_wait`` is told, once, when another writer holds the lock and this one waits for it.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".lock").open("a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(f"waiting for another writer (an ingest or build of {self.data_dir}) to finish")
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                if self.store is None:
                    yield
                else:
                    with self._lease(on_wait):
                        yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _lease(self, on_wait: Callable[[str], None] | None) -> Iterator[None]:
        """Hold the object-storage lake's writer lease: waits up to ``SHOPOPS_LAKE_LOCK_WAIT`` s, then refuses."""
        from shopops.config import Settings

        assert self.store is not None
        store = self.store
        settings = Settings()
        ttl = float(settings.lake_lease_seconds)
        store.check()
        token = uuid.uuid4().hex
        deadline = time.monotonic() + float(settings.lake_lock_wait)
        told = False

        def body() -> bytes:
            return json.dumps({"holder": f"{socket.gethostname()} pid {os.getpid()}", "host": socket.gethostname(),
                               "pid": os.getpid(), "token": token, "expires_at": time.time() + ttl}).encode()

        while (etag := store.put(_LEASE, body(), if_absent=True)) is None:
            got = store.get(_LEASE)
            if got is None:
                continue
            info = json.loads(got[0])
            if _lease_is_stale(info):
                # A holder that died (or stopped renewing) leaves its lease. Taking it over is one write on
                # condition that it is still the stale lease we read (If-Match): of two writers doing the
                # same, one wins and the other sees the winner's fresh lease.
                if (etag := store.put(_LEASE, body(), if_match=got[1])) is not None:
                    break
                continue
            holder = f"{info.get('holder', '?')}, lease until " + datetime.fromtimestamp(
                float(info.get("expires_at", 0)), UTC).isoformat(timespec="seconds")
            if time.monotonic() >= deadline:
                raise LakeStorageError(
                    f"{self.uri}: another writer (an ingest or build: {holder}) holds the lake; try again when "
                    f"it has finished (a killed writer's lease expires by itself after {ttl:.0f} s)"
                )
            if not told and on_wait is not None:
                on_wait(f"waiting for another writer ({holder}) of {self.uri} to finish")
            told = True
            time.sleep(max(0.05, min(1.0, deadline - time.monotonic())))
        stop = threading.Event()
        held = [etag]

        def renew() -> None:
            while not stop.wait(ttl / 3):
                with contextlib.suppress(LakeStorageError):
                    if not _holds(store, token):
                        return  # a server that ignores If-Match still shows the successor's token
                    # Without an ETag (a server that keeps none) the token check above is the only guard.
                    renewed = store.put(_LEASE, body(), if_match=held[0] or None)
                    if renewed is None:
                        return  # lost it (expired and taken over): the commit's claims still keep the lake whole
                    held[0] = renewed

        renewer = threading.Thread(target=renew, name="lake-lease", daemon=True)
        renewer.start()
        try:
            _HELD[store.uri] = self.batch_ids()
            yield
        finally:
            _HELD.pop(store.uri, None)
            stop.set()
            renewer.join()
            with contextlib.suppress(LakeStorageError):
                if _holds(store, token):  # only our own lease, never one a successor took over
                    if held[0]:
                        store.delete_if(_LEASE, held[0])
                    else:
                        store.delete([_LEASE])

    def recover(self) -> list[Path]:
        """Remove what interrupted writers left behind; call with the writer lock held.

        Returns
        -------
        list of Path
            The folders removed (staging folders and partitions of uncommitted batches).
        """
        if self.store is not None:
            return self._recover_remote()
        removed: list[Path] = []
        staging = self.root / "_staging"
        if staging.is_dir():
            for child in staging.iterdir():
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
        committed = {b.batch_id for b in self.batches()}
        for zone in _ZONES:
            zone_dir = self.root / zone
            if not zone_dir.is_dir():
                continue
            for part in zone_dir.glob("*/batch=*"):
                if part.name.removeprefix("batch=") not in committed:
                    shutil.rmtree(part, ignore_errors=True)
                    removed.append(part)
        for tmp in (self.root / "_batches").glob("*.tmp") if (self.root / "_batches").is_dir() else []:
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
        return removed

    def _recover_remote(self) -> list[Path]:
        assert self.store is not None
        removed: list[Path] = []
        staging = self.data_dir / "_staging"
        if staging.is_dir():
            for child in staging.iterdir():
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
        committed = self.batch_ids()
        stale: dict[str, list[str]] = {}
        for key in self.store.list("lake/"):  # one listing: each request costs a round trip
            parts = key.split("/")
            if (len(parts) > 4 and parts[1] in _ZONES and parts[3].startswith("batch=")
                    and parts[3][6:] not in committed):
                stale.setdefault("/".join(parts[:4]), []).append(key)
        for part, keys in sorted(stale.items()):
            self.store.delete(keys)
            removed.append(Path(self.store.path(part)))
        return removed

    def staging_dir(self, batch_id: str) -> Path:
        """A fresh staging folder for a batch being written (on local disk, also for a lake on object storage)."""
        base = self.root if self.store is None else self.data_dir
        path = base / "_staging" / f"{batch_id}.{os.getpid()}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def next_seq(self) -> int:
        """The sequence number the next committed batch gets."""
        batches = self.batches()
        last = batches[-1].seq if batches else 0
        if self.store is not None:  # claimed by a commit that died before its record
            names = [k.rsplit("/", 1)[-1] for k in self.store.list("lake/_seq/")]
            claims = [int(n) for n in names if n.isdigit()]
            last = max([last, *claims])
        return last + 1

    def commit(
        self,
        staging: Path,
        *,
        batch_id: str,
        source: dict[str, Any],
        adapter: str,
        tables: dict[str, dict[str, Any]],
        report: dict[str, Any],
    ) -> Batch:
        """Move a staged batch into the lake and write its commit record.

        ``staging`` must contain ``<zone>/<name>/`` folders with Parquet files. The batch becomes
        visible only when the record is written, which is the last, atomic step.
        """
        if self.batch(batch_id) is not None:
            raise IngestError(f"batch {batch_id} is already committed")
        if self.store is not None:
            return self._commit_remote(staging, batch_id=batch_id, source=source, adapter=adapter, tables=tables,
                                       report=report)
        seq = self.next_seq()
        rel_files: dict[str, dict[str, Any]] = {name: dict(info) for name, info in tables.items()}
        for zone in _ZONES:
            zone_dir = staging / zone
            if not zone_dir.is_dir():
                continue
            for name_dir in sorted(zone_dir.iterdir()):
                target = self.root / zone / name_dir.name / f"batch={batch_id}"
                if target.exists():  # left over by a crash after a move; never committed
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(name_dir, target)
                files = sorted(str(p.relative_to(self.root)) for p in target.rglob("*.parquet"))
                _record_files(rel_files, zone, name_dir.name, files)
        batch = Batch(
            batch_id=batch_id,
            seq=seq,
            committed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=source,
            adapter=adapter,
            tables=rel_files,
            report=report,
        )
        folder = self.root / "_batches"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{batch_id}.json.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(batch.to_json(), fh, indent=1, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / f"{batch_id}.json")
        _fsync_dir(folder)
        shutil.rmtree(staging, ignore_errors=True)
        return batch

    def _commit_remote(
        self,
        staging: Path,
        *,
        batch_id: str,
        source: dict[str, Any],
        adapter: str,
        tables: dict[str, dict[str, Any]],
        report: dict[str, Any],
    ) -> Batch:
        """Upload a staged batch to its final partitions, then write its record with one conditional write."""
        assert self.store is not None
        store = self.store
        seq = self.next_seq()
        while not store.put(f"lake/_seq/{seq:012d}", batch_id.encode(), if_absent=True):
            seq += 1  # taken by a writer whose lease had expired; the next number is as good
        rel_files: dict[str, dict[str, Any]] = {name: dict(info) for name, info in tables.items()}
        uploaded: list[str] = []
        try:
            self._upload_zones(staging, batch_id, rel_files, uploaded)
        except BaseException:
            # Invisible without a record, but not left lying about when the store still answers.
            with contextlib.suppress(Exception):
                store.delete(uploaded)
            raise
        batch = Batch(batch_id=batch_id, seq=seq, committed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      source=source, adapter=adapter, tables=rel_files, report=report)
        self._write_record(batch)
        shutil.rmtree(staging, ignore_errors=True)
        return batch

    def _upload_zones(self, staging: Path, batch_id: str, rel_files: dict[str, dict[str, Any]],
                      uploaded: list[str]) -> None:
        assert self.store is not None
        store = self.store
        for zone in _ZONES:
            zone_dir = staging / zone
            if not zone_dir.is_dir():
                continue
            for name_dir in sorted(zone_dir.iterdir()):
                files = []
                for local in sorted(name_dir.rglob("*.parquet")):
                    rel = f"{zone}/{name_dir.name}/batch={batch_id}/{local.relative_to(name_dir).as_posix()}"
                    uploaded.append(f"lake/{rel}")
                    store.upload(local, f"lake/{rel}")
                    files.append(rel)
                _record_files(rel_files, zone, name_dir.name, files)

    def _write_record(self, batch: Batch) -> None:
        """The one step that makes a batch visible on object storage."""
        assert self.store is not None
        data = json.dumps(batch.to_json(), indent=1, default=str).encode()
        if not self.store.put(f"lake/_batches/{batch.batch_id}.json", data, if_absent=True):
            raise IngestError(f"batch {batch.batch_id} is already committed (by another writer)")
        if self.store.uri in _HELD:
            _HELD[self.store.uri].add(batch.batch_id)

    def shared_key(self, name: str) -> bytes:
        """A secret shared by every writer of an object-storage lake (``<uri>/secrets/<name>``), created once.

        Created with a conditional write, so two first writers cannot end up with two keys.
        """
        import secrets as _secrets

        assert self.store is not None
        cached = _SECRETS.get((self.store.uri, name))
        if cached is not None:
            return cached
        key = f"secrets/{name}"
        got = self.store.get(key)
        if got is None:
            self.store.put(key, _secrets.token_bytes(32).hex().encode(), if_absent=True)
            got = self.store.get(key)
        if got is None:
            raise LakeStorageError(f"{self.uri}: the key {key} could not be created")
        secret = _SECRETS[(self.store.uri, name)] = bytes.fromhex(got[0].decode("ascii").strip())
        return secret


def _holds(store: ObjectStore, token: str) -> bool:
    got = store.get(_LEASE)
    return got is not None and json.loads(got[0]).get("token") == token


def _lease_is_stale(info: dict[str, Any]) -> bool:
    """The lease expired, or its holder was a process on this host that is gone."""
    if float(info.get("expires_at", 0)) < time.time():
        return True
    if info.get("host") == socket.gethostname():
        try:
            os.kill(int(info.get("pid", 0)), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, ValueError):
            return False
    return False


def _record_files(rel_files: dict[str, dict[str, Any]], zone: str, name: str, files: list[str]) -> None:
    """Note a committed partition's files in the record: raw files under ``_raw``, the others per table and zone."""
    if zone == "raw":
        rel_files.setdefault("_raw", {}).setdefault("files", []).extend(files)
    else:
        rel_files.setdefault(name, {})[_FILES_KEY[zone]] = files


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

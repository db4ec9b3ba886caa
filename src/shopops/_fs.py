"""Object storage for a lake that lives at a URI (``s3://bucket/prefix``).

Two clients share one set of credentials: boto3 for the small control objects (commit records, the
writer lease, the sequence claims, the PII key), which need S3's conditional write ``If-None-Match: *``,
and uploads; ``pyarrow.fs.S3FileSystem`` for reading Parquet as Arrow datasets, which DuckDB scans.
Credentials come from the usual AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles,
``~/.aws``); the endpoint from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``. No secret is ever put
into a message.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shopops.errors import ShopopsError

__all__ = ["LakeStorageError", "ObjectStore", "lake_uri", "local_dir_for", "store_for"]

_URI = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]+):/+(.+)$")
_SUPPORTED = ("s3",)


class LakeStorageError(ShopopsError):
    """The lake's object storage cannot be reached, read or written."""


def lake_uri(value: str | Path) -> str | None:
    """The normalised URI when ``value`` names object storage, else None (a local folder).

    ``Path("s3://b/p")`` collapses the double slash (``s3:/b/p``); both spellings are recognised.
    """
    match = _URI.match(str(value))
    if match is None:
        return None
    scheme, rest = match.group(1).lower(), match.group(2).strip("/")
    if scheme == "file":
        return None
    if scheme not in _SUPPORTED:
        raise LakeStorageError(
            f"{value}: a lake on {scheme}:// is not supported; use a local folder or s3://bucket/prefix "
            "(the commit needs the conditional write If-None-Match that S3 offers)"
        )
    return f"{scheme}://{rest}"


def local_dir_for(uri: str, configured: Path | None = None) -> Path:
    """The local folder for what cannot live on object storage (warehouse, operational store, caches).

    ``configured`` (``SHOPOPS_LOCAL_DIR``) wins; else a folder under the user's cache keyed by the URI,
    so every lake gets its own warehouse.
    """
    if configured is not None:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(uri.encode()).hexdigest()[:16]
    return cache / "shopops" / "lakes" / digest


_STORES: dict[tuple[str, ...], ObjectStore] = {}
_CLIENT_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
               "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SHARED_CREDENTIALS_FILE",
               "AWS_CONFIG_FILE")


def store_for(uri: str) -> ObjectStore:
    """The process's :class:`ObjectStore` of ``uri``: creating a client costs ~0.2 s, so each is made once.

    Keyed by the AWS settings in the environment too, so that changed credentials get a new client.
    """
    env = hashlib.sha256("\0".join(os.environ.get(n, "") for n in _CLIENT_ENV).encode()).hexdigest()
    key = (uri, env)
    store = _STORES.get(key)
    if store is None:
        store = _STORES[key] = ObjectStore(uri)
    return store


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


class ObjectStore:
    """The objects under one ``s3://bucket/prefix``.

    Parameters
    ----------
    uri : str
        ``s3://bucket/prefix``; keys given to the methods are relative to the prefix.
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        rest = self.uri.split("://", 1)[1]
        self.bucket, _, self.prefix = rest.partition("/")
        self.endpoint = _endpoint()
        self._client: Any = None
        self._fs: Any = None
        self._secret: str | None = None

    # ---------------------------------------------------------------- clients
    def _session(self) -> tuple[Any, Any, Any]:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:  # pragma: no cover - the extra is missing
            raise LakeStorageError(
                f"{self.uri}: a lake on S3 needs boto3; install it with pip install 'shopops[s3]'"
            ) from None
        with self._errors("reading the AWS configuration"):
            session = boto3.session.Session()
            creds = session.get_credentials()
        if creds is None:
            raise LakeStorageError(
                f"{self.uri}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE / ~/.aws/credentials)"
            )
        frozen = creds.get_frozen_credentials()
        self._secret = frozen.secret_key
        config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"},
                        s3={"addressing_style": "path"})
        return session, frozen, config

    @property
    def client(self) -> Any:
        """The boto3 S3 client (created on first use)."""
        if self._client is None:
            session, frozen, config = self._session()
            self._client = session.client(
                "s3", endpoint_url=self.endpoint, region_name=session.region_name or "us-east-1",
                aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key,
                aws_session_token=frozen.token, config=config,
            )
        return self._client

    @property
    def fs(self) -> Any:
        """The ``pyarrow.fs.S3FileSystem`` over the same credentials (created on first use)."""
        if self._fs is None:
            from pyarrow import fs as pafs

            session, frozen, _config = self._session()
            kwargs: dict[str, Any] = {}
            if self.endpoint:
                scheme, _, host = self.endpoint.partition("://")
                kwargs = {"endpoint_override": host or scheme, "scheme": scheme if host else "https"}
            self._fs = pafs.S3FileSystem(
                access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token,
                region=session.region_name or "us-east-1", connect_timeout=5, request_timeout=60,
                retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=2), **kwargs,
            )
        return self._fs

    def path(self, key: str) -> str:
        """The ``bucket/prefix/key`` path of ``key`` in :attr:`fs`."""
        return "/".join(p for p in (self.bucket, self.prefix, key) if p)

    def _key(self, key: str) -> str:
        return "/".join(p for p in (self.prefix, key) if p)

    # ---------------------------------------------------------------- errors
    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn client errors into a :class:`LakeStorageError` that names the lake and never a secret."""
        try:
            yield
        except LakeStorageError:
            raise
        except Exception as exc:
            raise LakeStorageError(f"{self.uri}: {what} failed: {self._describe(exc)}") from None

    def _describe(self, exc: Exception) -> str:
        name = type(exc).__name__
        response = getattr(exc, "response", None)
        where = f" at {self.endpoint}" if self.endpoint else ""
        if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError"):
            return (f"cannot reach the S3 endpoint{where or ' of AWS'}; check AWS_ENDPOINT_URL and the network")
        if name in ("NoCredentialsError", "PartialCredentialsError"):
            return "no usable AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile"
        if isinstance(response, dict):
            err = response.get("Error", {})
            code = str(err.get("Code", "")) or str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code == "NoSuchBucket" or (code == "404" and getattr(exc, "operation_name", "") == "HeadBucket"):
                return f"the bucket {self.bucket!r} does not exist{where}"
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled"):
                return (f"access denied ({code}){where}: check that the AWS credentials are right and may "
                        f"read and write s3://{self.bucket}/{self.prefix}")
            return f"S3 answered {code}{where}"
        text = str(exc)
        if self._secret:
            text = text.replace(self._secret, "***")
        return f"{name}: {text[:300]}"

    # ---------------------------------------------------------------- objects
    def check(self) -> None:
        """Fail with a clear message unless the bucket is there and answers."""
        with self._errors("opening the bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def get(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag, or None when there is none."""
        with self._errors(f"reading {key}"):
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except Exception as exc:
                if _code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
            return obj["Body"].read(), str(obj.get("ETag", ""))

    def put(self, key: str, data: bytes, *, if_absent: bool = False, if_match: str | None = None) -> str | None:
        """Write an object and return its new ETag ("" from a server that keeps none).

        With ``if_absent`` only when none exists (``If-None-Match: *``); with ``if_match`` only while the stored
        object still has that ETag (``If-Match``). None: the condition did not hold and nothing was written.
        """
        extra = {"IfNoneMatch": "*"} if if_absent else {}
        if if_match is not None:
            extra["IfMatch"] = if_match
        with self._errors(f"writing {key}"):
            try:
                out = self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
            except Exception as exc:
                if extra and _precondition_failed(exc):
                    return None
                raise
            etag = str(out.get("ETag", ""))
            if not etag:  # some servers answer a PUT without one: ask for it (still "" if they keep none)
                etag = str(self.client.head_object(Bucket=self.bucket, Key=self._key(key)).get("ETag", ""))
        return etag

    def delete_if(self, key: str, etag: str) -> bool:
        """Delete ``key`` only while it still has ``etag`` (``If-Match``). False: it changed or is gone."""
        with self._errors(f"deleting {key}"):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self._key(key), IfMatch=etag)
            except Exception as exc:
                if _precondition_failed(exc) or _code(exc) in ("NoSuchKey", "404"):
                    return False
                raise
        return True

    def upload(self, local: Path, key: str) -> None:
        """Upload a local file (multipart and parallel for large ones)."""
        with self._errors(f"writing {key}"):
            self.client.upload_file(str(local), self.bucket, self._key(key))

    def delete(self, keys: list[str]) -> None:
        """Delete objects (missing ones are fine)."""
        with self._errors("deleting objects"):
            for start in range(0, len(keys), 1000):
                for key in keys[start:start + 1000]:
                    self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` (relative to the store's prefix), recursively."""
        base = self._key(prefix)
        strip = len(self.prefix) + 1 if self.prefix else 0
        out: list[str] = []
        with self._errors(f"listing {prefix or '/'}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base)
            for page in pages:
                out += [str(o["Key"])[strip:] for o in page.get("Contents", [])]
        return out


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _precondition_failed(exc: Exception) -> bool:
    """The server refused a conditional write: the object is there (or changed) since we looked."""
    return _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict")

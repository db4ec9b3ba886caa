"""The TOML mapping file, read and checked as a pydantic model.

:func:`read_mapping_file` turns a mapping file into a :class:`MappingFile`, or raises a
:class:`~shopops.errors.MappingError` that names the file, the key and what to fix.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, field_validator, model_validator

from shopops.errors import MappingError
from shopops.schema import TABLES, Table, get_table

__all__ = ["MappingFile", "read_mapping_file"]


def _scalar_text(value: Any) -> Any:
    """A TOML scalar as the text it stands for (``1`` -> ``"1"``); tables and arrays are left to fail."""
    if isinstance(value, dict | list) or value is None:
        return value
    return str(value)


def _one_or_many(value: Any) -> Any:
    """One date format, or a list of them, as a list."""
    return [value] if isinstance(value, str) else value


_Text = Annotated[str, BeforeValidator(_scalar_text)]
"""A text value: TOML numbers, booleans and dates are taken as their text."""

_Formats = Annotated[list[_Text], BeforeValidator(_one_or_many)]
"""``strptime`` formats: one text, or an array of them."""


class SourceSection(BaseModel):
    """``[source]``: the canonical table the file holds and how to read the file."""

    table: str | None = Field(default=None, validate_default=True)
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None

    @field_validator("table")
    @classmethod
    def _known_table(cls, name: str | None) -> str:
        if not name:
            raise ValueError(f"[source] table = \"...\" is required (one of {', '.join(sorted(TABLES))})")
        try:
            return get_table(name).name
        except KeyError as exc:
            raise ValueError(f"[source] table: {exc.args[0]}") from None


class ParseSection(BaseModel):
    """``[parse]``: how text values are read."""

    date_formats: _Formats | None = None
    date_format: _Formats | None = None
    decimal: _Text = "."
    exact_duplicates: bool = False

    @field_validator("decimal")
    @classmethod
    def _point_or_comma(cls, decimal: str) -> str:
        if decimal not in (".", ","):
            raise ValueError(f"[parse] decimal must be '.' or ',' (got {decimal!r})")
        return decimal

    @property
    def formats(self) -> tuple[str, ...]:
        """The date formats, tried in order (``date_formats``, else ``date_format``)."""
        formats = self.date_formats if self.date_formats is not None else self.date_format
        return tuple(formats or ())


class MappingFile(BaseModel):
    """A mapping file's content (see ``docs/data.md``); unknown sections and keys are ignored."""

    source: SourceSection = Field(default_factory=SourceSection, validate_default=True)
    columns: dict[str, _Text] = Field(default_factory=dict)
    parse: ParseSection = Field(default_factory=ParseSection)
    defaults: dict[str, _Text] = Field(default_factory=dict)

    @property
    def table(self) -> Table:
        """The canonical table the file holds."""
        assert self.source.table is not None  # the validator refuses a file without one
        return get_table(self.source.table)

    @model_validator(mode="after")
    def _names_are_columns_of_the_table(self) -> MappingFile:
        table = self.table
        unknown = [name for name in self.columns if name not in table.names]
        if unknown:
            raise ValueError(
                f"[columns] names {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not "
                f"column(s) of {table.name}; its columns are: {', '.join(table.names)}"
            )
        bad_defaults = [name for name in self.defaults if name not in table.names]
        if bad_defaults:
            raise ValueError(
                f"[defaults] names unknown column(s) {', '.join(bad_defaults)} of {table.name}; "
                f"its columns are: {', '.join(table.names)}"
            )
        return self

    def read_options(self) -> dict[str, Any]:
        """The reader options the file sets (format, encoding, delimiter, sheet)."""
        return self.source.model_dump(include={"format", "encoding", "delimiter", "sheet"}, exclude_unset=True)


def _where(loc: tuple[int | str, ...]) -> str:
    """``('parse', 'date_formats', 0)`` as ``[parse] date_formats[0]``, the way the key is written in the file.

    Names after the key are the alternatives of a union (``str``, ``int``), not keys of the file.
    """
    if not loc:
        return "the file"
    where = f"[{loc[0]}]" + (f" {loc[1]}" if len(loc) > 1 else "")
    return where + "".join(f"[{part}]" for part in loc[2:] if isinstance(part, int))


def _problems(exc: ValidationError) -> str:
    """The validation errors in the words of the mapping file, one per key."""
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        if error["type"] == "value_error":  # the validators' own messages name the key already
            problems.setdefault(str(error["ctx"]["error"]), str(error["ctx"]["error"]))
            continue
        if error["type"] in ("model_type", "dict_type"):
            what = "must be a TOML table: a [section] of key = value lines"
        else:
            text = str(error["msg"]).rstrip(".")
            what = text[0].lower() + text[1:]
        where = _where(tuple(error["loc"]))
        # A value that fits no alternative of a union fails once per alternative: say it once.
        problems.setdefault(where, f"{where}: {what} (got {error.get('input')!r})")
    return "; ".join(problems.values())


def read_mapping_file(path: Path) -> tuple[str, MappingFile]:
    """Read and check a TOML mapping file.

    Parameters
    ----------
    path : Path
        The mapping file.

    Returns
    -------
    tuple of (str, MappingFile)
        The file's text (it identifies a batch) and its checked content.

    Raises
    ------
    MappingError
        The file is missing, not TOML, or a key is missing or wrong; the message names the file,
        the key and what to write instead.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping file {path} is not valid TOML: {exc}") from None
    try:
        return text, MappingFile.model_validate(spec)
    except ValidationError as exc:
        raise MappingError(f"mapping file {path}: {_problems(exc)}") from None

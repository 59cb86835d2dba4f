"""Secrets read from files: ``EDA_<GROUP>__<FIELD>_FILE`` names a file (a mounted
Secret, say) whose content becomes the field, so no secret needs to sit in a pod's
environment or spec. Setting both the value and its file is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, model_validator

FILE_SUFFIX = "_file"


class FileBackedModel(BaseModel):
    """A settings group whose ``file_fields`` may each come from ``<field>_file``."""

    file_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _read_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in cls.file_fields:
            path = data.pop(name + FILE_SUFFIX, None)
            if path in (None, ""):
                continue
            if data.get(name) not in (None, ""):
                raise ValueError(
                    f"{name}{FILE_SUFFIX}: set this or the variable without _FILE, not both"
                )
            data[name] = read_secret_file(Path(str(path)), name + FILE_SUFFIX)
        return data


def read_secret_file(path: Path, field: str) -> str:
    """The file's content without its trailing newline; a clear error naming ``field``
    (never the content) when it cannot be read or is empty."""
    try:
        content = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"{field}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{field}: {path} is not UTF-8 text") from None
    if not content:
        raise ValueError(f"{field}: {path} is empty")
    return content

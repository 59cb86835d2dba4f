"""Variables that name no setting. pydantic-settings ignores what it does not know, so
``EDA_KAFKA__SECURITY_PROTCOL=SSL`` would leave a link in plaintext without a word; a
variable inside a known group must name one of its settings (or ``<setting>_FILE``)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pydantic import BaseModel

from shared.secret_files import FILE_SUFFIX, FileBackedModel


def unknown_variables(
    environ: Mapping[str, str], model: type[BaseModel], prefix: str, delimiter: str
) -> list[str]:
    """A problem line for each ``<prefix><GROUP><delimiter><NAME>`` whose group is a field
    of ``model`` holding a settings group, and whose NAME is none of its settings."""
    groups = _groups(model)
    problems = []
    for variable in sorted(environ):
        upper = variable.upper()
        if not upper.startswith(prefix) or delimiter not in upper[len(prefix) :]:
            continue
        group, _, name = upper[len(prefix) :].partition(delimiter)
        known = groups.get(group.lower())
        if known is None or name.lower() in known:
            continue
        valid = sorted(prefix + group + delimiter + setting.upper() for setting in known)
        nearest = difflib.get_close_matches(upper, valid, n=1, cutoff=0.6)
        hint = f"; did you mean {nearest[0]}?" if nearest else f"; known: {', '.join(valid)}"
        problems.append(f"  {variable}: not a setting{hint}")
    return problems


def _groups(model: type[BaseModel]) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for name, field in model.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            groups[name] = settings_of(group)
    return groups


def settings_of(group: type[BaseModel]) -> set[str]:
    names = set(group.model_fields)
    if issubclass(group, FileBackedModel):
        names |= {name + FILE_SUFFIX for name in group.file_fields}
    return names

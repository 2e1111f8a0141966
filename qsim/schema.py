"""The JSON Schema of scenario files (``qsim schema``): what an editor can check while a file is written.

A file holds more than the validated :class:`qsim.scenario.Scenario`: the
loader resolves some of it before validation. The schema adds

* ``[city]`` (:class:`qsim.city.City`, with its selections): a city's areas
  come from its table, so a file has ``[[areas]]`` or ``[city]``, not both;
* ``areas = "<selection>"`` in ``[[measures]]`` and ``[qm_office]`` of a city
  (one measure or office per chosen area);
* ``extends``: a file that extends another may leave out anything it inherits,
  so for such a file no field is required (the merged scenario is checked
  when it is loaded).
"""

from __future__ import annotations

import copy
from typing import Any

from .city import City
from .scenario import Scenario

SELECTION = {"type": "string", "minLength": 1, "description": "A city's selection (the NAME of a "
             "[city.selections.NAME]): one per chosen area, in place of a single area."}
PARTIAL = "Partial"  # prefix of the definitions without required fields (files with extends)


def file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file (TOML read as JSON), see the module docstring."""
    full = Scenario.model_json_schema()
    city = City.model_json_schema()
    definitions = full.pop("$defs")
    definitions.update(city.pop("$defs", {}))
    definitions["City"] = city
    full["properties"]["city"] = {"$ref": "#/$defs/City", "description": "A city from a table of planning areas: "
                                  "its areas come from the table (write no [[areas]] then)."}
    for name in ("Measure", "QmOffice"):
        definitions[name]["properties"]["areas"] = SELECTION
    full["required"] = ["scenario"]
    full["anyOf"] = [{"required": ["areas"]}, {"required": ["city"]}]
    full["not"] = {"required": ["areas", "city"]}
    partial = _partial(full)
    partial.pop("anyOf")
    definitions.update({PARTIAL + name: _partial(d) for name, d in definitions.items()})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "qsim scenario file",
            "description": "A qsim scenario file (TOML). Reference: docs/scenario-reference.md.",
            "type": "object", "$defs": definitions,
            "if": {"required": ["extends"]}, "then": partial, "else": full}


def _partial(node: Any) -> Any:
    """A copy of a schema node without required fields, its references pointing to the partial definitions."""
    if isinstance(node, list):
        return [_partial(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = "#/$defs/" + PARTIAL + value.removeprefix("#/$defs/")
        else:
            out[key] = _partial(value) if key not in ("not",) else copy.deepcopy(value)
    return out


__all__ = ["file_schema"]

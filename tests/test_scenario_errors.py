"""Bad scenario files get one clear ScenarioError naming the file and the field; never another exception.

1. A table of known mistakes, each with the field path its message must name.
2. ``extends``: inheritance, overrides, cycles and missing files.
3. A fuzz test: thousands of scenario files made bad by random structural
   mutations (deleted keys, wrong types, out-of-range numbers, unknown keys,
   unknown sources, impossible dates, bad targets) and by random text
   mutations (deleted, inserted and swapped characters and lines). Every one
   either loads (some mutations are harmless) or raises ScenarioError whose
   message starts with the file and names a field, the TOML line or the
   extends problem. Files that load are built into a simulation and run
   for a month, which must not fail with anything but ScenarioError.
4. A sample of bad files through the command line (`qsim validate`,
   `qsim run`): exit status 1 or 2, the message on stderr, no traceback.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from pathlib import Path

import pytest

import qsim
from qsim.cli import main
from qsim.scenario import ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

VALID = {
    "scenario": {"name": "fuzz", "years": 3, "seed": 2},
    "spinup_months": 2,
    "areas": [{"name": "Q", "households": 120, "grid": [3, 2], "buildings_per_block": 2, "dwellings_per_building": 12,
               "group_shares": [0.6, 0.4], "places": {"park": 1, "centre": 1, "playground": 1, "school": 1}}],
    "parameters": {"labour.job_loss": 0.008},
    "funding": {"prog": {"kind": "public_programme", "amount_per_year": 500000.0, "end": 3, "degression": 0.05,
                         "cuts": [{"year": 2, "share": 0.25}]},
                "city": {"kind": "co_financing", "amount_per_year": 80000.0, "cut_probability": 0.1,
                         "cut_size": 0.5}},
    "qm_office": {"carrier": "municipality", "staff": 2.0, "end": 3.0, "funding": {"prog": 0.9, "city": 0.1}},
    "measures": [
        {"type": "job_coaching", "capacity": 10.0, "start": 1.0, "end": 3.0, "funding": {"prog": 0.7, "city": 0.3},
         "target": {"employment": ["long_term_unemployed", "short_term_unemployed"], "groups": ["minority"]}},
        {"type": "playground", "one_off": 100000.0, "start": 2.0, "funding": "prog", "target": {"blocks": [[0, 0]]},
         "priority": 2},
        {"type": "neighbourhood_projects", "name": "fest", "budget_per_year": 40000.0, "duration": 1.5,
         "funding": "city", "minimum_funding": 0.5, "effect": {"mixing": 0.2}},
    ],
    "allocation": {"policy": "pro_rata"},
}


# --------------------------------------------------------------- TOML writer
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    """A dict as TOML (every value inline; None drops the key)."""
    return "".join(f"{json.dumps(str(k))} = {_toml_value(v)}\n" for k, v in data.items() if v is not None)


def write(tmp_path: Path, data: dict, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def expect_error(path: Path, field: str | None = None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    if field is not None:
        assert re.search(rf"(^|\n  ){re.escape(field)}: ", message), f"{field!r} not named in:\n{message}"
    return message


def test_valid_base_loads_and_roundtrips(tmp_path):
    sc = load_scenario(write(tmp_path, VALID))
    assert [m.label for m in sc.all_measures()] == ["qm_office", "job_coaching", "playground", "fest"]
    assert sc.source == str(tmp_path / "s.toml")


def _set(data: dict, path: str, value) -> dict:
    data = copy.deepcopy(data)
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = data
    for k in keys[:-1]:
        node = node[k]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


_DELETE = object()
CASES = [  # (path to change, new value, field path named in the message)
    ("scenario.name", _DELETE, "scenario.name"),
    ("scenario.years", "ten", "scenario.years"),
    ("scenario.colour", "red", "scenario.colour"),
    ("funding.prog.amount_per_year", -1.0, "funding.prog.amount_per_year"),
    ("funding.prog.amount_per_year", "500000", "funding.prog.amount_per_year"),
    ("funding.prog.kind", "lottery", "funding.prog.kind"),
    ("funding.prog.end", 0, "funding.prog.end"),
    ("funding.prog.start", 4, "funding.prog.end"),
    ("funding.prog.cuts", [{"year": 9, "share": 0.5}], "funding.prog.cuts.0.year"),
    ("funding.prog.cuts", [{"year": 2, "share": 1.5}], "funding.prog.cuts.0.share"),
    ("funding.prog.cuts", [{"year": 2, "share": 0.5}, {"year": 2, "share": 0.1}], "funding.prog.cuts.1.year"),
    ("funding.city.cut_size", 0.0, "funding.city.cut_probability"),
    ("funding.city.degression", 2.0, "funding.city.degression"),
    ("funding.prog.carry_over", 1, "funding.prog.carry_over"),
    ("measures.0.type", "juggling", "measures.0.type"),
    ("measures.0.funding", {"prog": 0.7, "town": 0.3}, "measures.0.funding.town"),
    ("measures.0.funding", {"prog": 0.7, "city": 0.2}, "measures.0.funding"),
    ("measures.0.funding", _DELETE, "measures.0.funding"),
    ("measures.0.capacity", -3.0, "measures.0.capacity"),
    ("measures.0.capacity", True, "measures.0.capacity"),
    ("measures.2.start", 7.0, "measures.2.start"),
    ("measures.0.start", 0.0, "measures.0.start"),
    ("measures.0.end", 5.0, "measures.0.end"),
    ("measures.0.duration", 1.0, "measures.0.end"),
    ("measures.0.budget_per_year", -10.0, "measures.0.budget_per_year"),
    ("measures.0.one_off", 10.0, "measures.0.one_off"),
    ("measures.0.effect", {"job_finding": -1.0}, "measures.0.effect.job_finding"),
    ("measures.0.effect", {"mixing": 0.1}, "measures.0.effect.mixing"),
    ("measures.0.target", {"area": "Elsewhere"}, "measures.0.target.area"),
    ("measures.0.target", {"employment": ["retired"]}, "measures.0.target.employment.0"),
    ("measures.0.target", {"children": True}, "measures.0.target.children"),
    ("measures.0.target", {"groups": []}, "measures.0.target.groups"),
    ("measures.0.target", {"blocks": [[3, 0]]}, "measures.0.target.blocks.0"),
    ("measures.0.wishes", 3, "measures.0.wishes"),
    ("measures.1.budget_per_year", 5.0, "measures.1.budget_per_year"),
    ("measures.1.end", 3.0, "measures.1.end"),
    ("measures.2.name", "job_coaching", "measures.2.name"),
    ("measures.2.minimum_funding", 1.5, "measures.2.minimum_funding"),
    ("qm_office.carrier", "church", "qm_office.carrier"),
    ("qm_office.staff", 0.0, "qm_office.staff"),
    ("qm_office.funding", "bank", "qm_office.funding.bank"),
    ("qm_office.area", "X", "qm_office.area"),
    ("allocation.policy", "lottery", "allocation.policy"),
    ("areas.0.group_shares", [0.6, 0.6], "areas.0"),
    ("areas.0.places", {"park": 0, "centre": 1, "playground": 1, "school": 1}, None),  # green space not used: ok
]


@pytest.mark.parametrize("path,value,field", CASES, ids=[c[0] + "=" + repr(c[1])[:20] for c in CASES])
def test_known_mistakes_name_the_field(tmp_path, path, value, field):
    data = _set(VALID, path, value)
    if field is None:
        load_scenario(write(tmp_path, data))
        return
    expect_error(write(tmp_path, data), field)


def test_targets_that_select_nobody(tmp_path):
    data = _set(VALID, "areas.0.long_term_unemployment_rate", 0.0)
    data = _set(data, "measures.0.target", {"employment": ["long_term_unemployed"]})
    expect_error(write(tmp_path, data), "measures.0.target.employment")
    data = _set(VALID, "areas.0.group_shares", [1.0, 0.0])
    expect_error(write(tmp_path, data), "measures.0.target.groups")
    data = _set(VALID, "areas.0.places", {"park": 1, "centre": 1, "playground": 0, "school": 1})
    expect_error(write(tmp_path, data), "measures.1.target.area")
    # places lie in random blocks: target blocks without a playground are found when the run is built
    places = qsim.Simulation(load_scenario(write(tmp_path, _set(VALID, "measures", [])))).state.places
    have = {int(b) for b in places.block[places.kind == 2]}
    free = next(b for b in range(6) if b not in have)
    path = write(tmp_path, _set(VALID, "measures.1.target", {"blocks": [[free % 3, free // 3]]}))
    with pytest.raises(ScenarioError) as info:
        qsim.Simulation(load_scenario(path))
    check_error(path, info.value)
    assert "measures.1.target.blocks: no place of kind 'playground'" in str(info.value)
    assert main(["validate", str(path)]) == 1  # `qsim validate` builds the initial city to check targets


def test_cofinancing_rule(tmp_path):
    data = _set(VALID, "funding.prog.min_cofinancing", 0.5)
    expect_error(write(tmp_path, data), "qm_office.funding")
    data = _set(data, "measures.0.funding", {"prog": 0.5, "city": 0.5})
    data = _set(data, "measures.1.funding", {"prog": 0.5, "city": 0.5})
    data = _set(data, "qm_office.funding", {"prog": 0.5, "city": 0.5})
    load_scenario(write(tmp_path, data))


def test_sources_must_cover_the_measure_period(tmp_path):
    data = _set(VALID, "funding.city.start", 2)
    expect_error(write(tmp_path, data), "qm_office.funding")
    data = _set(data, "qm_office.funding", "prog")
    data = _set(data, "measures.0.funding", "prog")
    expect_error(write(tmp_path, data), "measures.2.funding")  # from year 1; the city pays from year 2
    data = _set(data, "measures.2.start", 2.0)
    load_scenario(write(tmp_path, data))
    data = _set(data, "funding.prog.end", 2)  # the playground is built in months 12-29
    data = _set(data, "qm_office.end", 2.0)
    data = _set(data, "measures.0.end", 2.0)
    expect_error(write(tmp_path, data), "measures.1.funding")


def test_too_many_programmes(tmp_path):
    data = _set(VALID, "measures", [{"type": "job_coaching", "name": f"c{k}", "funding": "prog"} for k in range(17)])
    expect_error(write(tmp_path, data), "measures")


# --------------------------------------------------------------- extends
def test_extends_inherits_and_overrides(tmp_path):
    (tmp_path / "base.toml").write_text(to_toml(VALID), encoding="utf-8")
    child = {"extends": "base.toml", "scenario": {"name": "child"}, "funding": {"prog": {"amount_per_year": 1.0}}}
    sc = load_scenario(write(tmp_path, child, "child.toml"))
    assert sc.name == "child" and sc.years == 3
    assert sc.funding["prog"].amount_per_year == 1.0 and sc.funding["prog"].degression == 0.05
    assert len(sc.measures) == 3
    grandchild = {"extends": "child.toml", "measures": []}
    sc = load_scenario(write(tmp_path, grandchild, "grandchild.toml"))
    assert sc.name == "child" and sc.measures == []


def test_extends_errors(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="extends: cycle"):
        load_scenario(tmp_path / "a.toml")
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="self.toml: extends: cycle"):
        load_scenario(tmp_path / "self.toml")
    missing = write(tmp_path, {"extends": "nowhere.toml"}, "m.toml")
    assert "no such scenario file 'nowhere.toml'" in expect_error(missing)
    bad_type = write(tmp_path, {"extends": 3}, "t.toml")
    assert "extends: expected the name of a scenario file" in expect_error(bad_type)
    (tmp_path / "broken.toml").write_text("[scenario\n", encoding="utf-8")
    parent_broken = write(tmp_path, {"extends": "broken.toml"}, "p.toml")
    with pytest.raises(ScenarioError, match=r"broken.toml: not valid TOML: .*line 1"):
        load_scenario(parent_broken)
    (tmp_path / "base.toml").write_text(to_toml(VALID), encoding="utf-8")
    wrong = write(tmp_path, {"extends": "base.toml", "funding": {"prog": {"amount_per_year": -5.0}}}, "w.toml")
    message = expect_error(wrong, "funding.prog.amount_per_year")
    assert "(extends " in message and "base.toml" in message


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "none.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "bin.toml")


# --------------------------------------------------------------- fuzz
WRONG_VALUES = ["x", "", -1, 0, -0.5, 2.5, 1e12, -1e12, True, False, [], [1, "a"], {}, {"k": 1}, 10**20,
                float("inf"), float("nan"), [[1, 2, 3]], "prog", "1999-01-01", 12, 0.999]


def _nodes(data, prefix=()):
    """Every (path, value) in a nested structure."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _nodes(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _nodes(v, prefix + (i,))


def mutate(data: dict, rng: random.Random) -> dict:
    """One to three random structural mutations of a scenario dict."""
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        nodes = [n for n in _nodes(data) if n[0]]
        path, _ = rng.choice(nodes)
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = rng.randrange(7)
        if op == 0 and isinstance(parent, dict):
            del parent[key]
        elif op == 1:
            parent[key] = copy.deepcopy(rng.choice(WRONG_VALUES))
        elif op == 2 and isinstance(parent, dict):
            parent["unexpected_" + str(rng.randrange(100))] = rng.choice(WRONG_VALUES[:8])
        elif op == 3 and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            parent[key] = rng.choice([-1, 1000, 0, 0.5]) * parent[key]
        elif op == 4:
            parent[key] = rng.choice(["town", "job_coachin", "Elsewhere", "retired", "majorit"])
        elif op == 5 and isinstance(parent[key], list) and parent[key]:
            parent[key].append(copy.deepcopy(parent[key][0]))
        else:
            parent[key] = rng.choice([{"blocks": [[9, 9]]}, {"employment": []}, {"prog": 0.2, "city": 0.2},
                                      {"year": 0, "share": 0.1}, [{"type": "green_space", "funding": "prog"}]])
    return data


def text_mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(5)
        if op == 0 and text:
            k = rng.randrange(len(text))
            text = text[:k] + text[k + 1:]
        elif op == 1:
            k = rng.randrange(len(text) + 1)
            text = text[:k] + rng.choice('=[]{}"\',.#\n-0123456789abcxyz ') + text[k:]
        elif op == 2 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == 3 and lines:
            lines.insert(rng.randrange(len(lines)), rng.choice(lines))
            text = "".join(lines)
        else:
            text = text[: rng.randrange(len(text) + 1)]
    return text


FIELD_LINE = re.compile(r"\n  \S+: \S")


def check_error(path: Path, error: ScenarioError) -> None:
    message = str(error)
    assert message.startswith(str(path)), message
    assert ("not valid TOML" in message and "line" in message) or FIELD_LINE.search(message) \
        or "extends:" in message or "cannot be read" in message, message


def load_or_error(path: Path) -> qsim.Scenario | None:
    try:
        return load_scenario(path)
    except ScenarioError as e:
        check_error(path, e)
        return None


def test_fuzz_structural_mutations(tmp_path):
    rng = random.Random(20261127)
    loaded, failed, simulated = 0, 0, 0
    for k in range(2000):
        path = tmp_path / f"m{k % 50}.toml"
        path.write_text(to_toml(mutate(VALID, rng)), encoding="utf-8")
        sc = load_or_error(path)
        if sc is None:
            failed += 1
            continue
        loaded += 1
        if simulated < 120 and sum(a.dwellings for a in sc.areas) <= 2000 and sc.spinup_months <= 24:
            simulated += 1
            try:
                qsim.Simulation(sc, seed=k).run(years=1 / 12)
            except ScenarioError as e:
                check_error(path, e)
    assert failed > 1400 and loaded > 50 and simulated > 20, (failed, loaded, simulated)


def test_fuzz_text_mutations(tmp_path):
    rng = random.Random(7)
    texts = [to_toml(VALID)] + [p.read_text(encoding="utf-8") for p in sorted(SCENARIOS.glob("*.toml"))]
    (tmp_path / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text(encoding="utf-8"))
    (tmp_path / "integrated.toml").write_text((SCENARIOS / "integrated.toml").read_text(encoding="utf-8"))
    failed = 0
    for k in range(1500):
        path = tmp_path / f"t{k % 50}.toml"
        path.write_text(text_mutate(rng.choice(texts), rng), encoding="utf-8")
        failed += load_or_error(path) is None
    assert failed > 500


def test_fuzz_through_the_command_line(tmp_path, capsys):
    rng = random.Random(11)
    for k in range(40):
        data = mutate(VALID, rng)
        path = write(tmp_path, data, f"c{k}.toml")
        try:
            load_scenario(path)
            continue  # harmless mutation
        except ScenarioError:
            pass
        command = ["validate", str(path)] if k % 4 else ["run", str(path), "--quiet", "--out", str(tmp_path / "o")]
        code = main(command)
        err = capsys.readouterr().err
        assert code == (1 if command[0] == "validate" else 2)
        assert str(path) in err and "Traceback" not in err
    assert main(["validate", str(tmp_path / "nothing.toml")]) == 1
    assert "no such scenario file" in capsys.readouterr().err


def test_shipped_scenarios_validate():
    names = {p.stem for p in SCENARIOS.glob("*.toml")}
    options = {"social_cohesion", "participation", "employment", "education", "environment", "renovation",
               "networking", "integrated", "funding_cut"}
    assert options <= names
    for name in sorted(names):
        sc = load_scenario(SCENARIOS / f"{name}.toml")
        if name in options:
            # the programme's own money (co-financing for renovation or from the ESF comes on top)
            per_year = sum(sc.funding[s].amount_per_year for s in ("soziale_stadt", "district", "foundations",
                                                                   "own_funds"))
            assert 700_000 <= per_year <= 800_000, (name, per_year)
            assert (SCENARIOS / f"{name}.toml").read_text().startswith("# Option:")

"""Scenario YAML loading: inheritance, overrides, path resolution and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clusterloc.errors import InputError, ScenarioError
from clusterloc.scenario.load import deep_merge, load_scenario, parse_override
from clusterloc.scenario.schema import Scenario

MINIMAL = """\
name: tiny
lanes: lanes.csv
sites: sites.csv
supply: supply.csv
demand: demand.csv
commodities: [{commodity: widget, weight_t: 1}]
links: [{from_type: supplier, to_type: market}]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_resolves_paths_relative_to_the_scenario_file(lanes_only: Path) -> None:
    scenario = load_scenario(lanes_only / "lanes.yaml")
    assert isinstance(scenario, Scenario)
    assert scenario.name == "kz_small_lanes"
    # sites.csv is written in the parent (scenario.yaml): resolved against that folder.
    assert Path(str(scenario.sites)) == lanes_only / "sites.csv"
    assert Path(str(scenario.lanes)) == lanes_only / "lanes_straight.csv"
    assert scenario.network is None
    assert [p.name for p in scenario.files] == ["lanes.yaml", "scenario.yaml"]


def test_parent_paths_stay_relative_to_the_parent(tmp_path: Path) -> None:
    write(tmp_path, "base/base.yaml", MINIMAL)
    child = write(tmp_path, "variants/child.yaml", "extends: ../base/base.yaml\n")
    scenario = load_scenario(child)
    assert Path(str(scenario.sites)) == tmp_path / "base" / "sites.csv"
    # name is not inherited: the child is named after its own file
    assert scenario.name == "child"


def test_extends_deep_merges_mappings_and_replaces_the_rest(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        MINIMAL + "policy: {max_open: {plant: 2}, co2_price: 5}\nsolver: {gap: 0.01}\n",
    )
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: variant\npolicy: {co2_price: 40, max_open: {hub: 1}}\n"
        "links: [{from_type: supplier, to_type: market, commodity: widget}]\n",
    )
    scenario = load_scenario(child)
    assert scenario.name == "variant"
    assert scenario.policy.co2_price == 40
    assert scenario.policy.max_open == {"plant": 2, "hub": 1}  # merged key by key
    assert scenario.solver.gap == 0.01  # inherited
    assert scenario.links == [{"from_type": "supplier", "to_type": "market", "commodity": "widget"}]


def test_multiple_parents_merge_in_order(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MINIMAL + "policy: {co2_price: 1, budget: 10}\n")
    write(tmp_path, "b.yaml", "policy: {co2_price: 2}\n")
    child = write(tmp_path, "c.yaml", "extends: [a.yaml, b.yaml]\n")
    scenario = load_scenario(child)
    assert scenario.policy.co2_price == 2
    assert scenario.policy.budget == 10


def test_overrides_are_typed_yaml_values(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL)
    scenario = load_scenario(
        path,
        [
            "policy.max_open.plant=2",
            "policy.single_sourcing=true",
            "policy.co2_price=1.5e3",
            "policy.local_content_types=[plant, hub]",
            "solver.gap=0.02",
            "solver.gap=null",
            "commodities.0.rate_per_tkm=30",
            "description=a variant",
        ],
    )
    assert scenario.policy.max_open == {"plant": 2}
    assert scenario.policy.single_sourcing is True
    assert scenario.policy.co2_price == 1500.0
    assert scenario.policy.local_content_types == ["plant", "hub"]
    assert scenario.solver.gap is None
    assert scenario.commodities[0]["rate_per_tkm"] == 30  # type: ignore[index]
    assert scenario.description == "a variant"


def test_override_paths_resolve_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "scen/s.yaml", MINIMAL)
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(path, ["demand=other/demand.csv"])
    assert Path(str(scenario.demand)) == tmp_path / "other" / "demand.csv"


def test_environment_variables_in_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("UNSET_VAR", raising=False)
    text = MINIMAL.replace("sites.csv", "${MY_DATA}/sites.csv").replace(
        "supply.csv", "${UNSET_VAR:-fallback}/supply.csv"
    )
    scenario = load_scenario(write(tmp_path, "s.yaml", text))
    assert Path(str(scenario.sites)) == tmp_path / "data" / "sites.csv"
    assert Path(str(scenario.supply)) == tmp_path / "fallback" / "supply.csv"


def test_unset_environment_variable_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_THERE", raising=False)
    path = write(tmp_path, "s.yaml", MINIMAL.replace("sites.csv", "${NOT_THERE}/sites.csv"))
    with pytest.raises(ScenarioError, match=r"sites: environment variable \$\{NOT_THERE\}"):
        load_scenario(path)


def test_shared_dir_defaults_to_shared_beside_an_ancestor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLUSTERLOC_SHARED", raising=False)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    text = MINIMAL.replace("lanes: lanes.csv", "network:\n  source: ${CLUSTERLOC_SHARED}/x.geojson")
    path = write(tmp_path, "repo/models/kz/s.yaml", text)
    scenario = load_scenario(path)
    assert scenario.network is not None
    assert Path(scenario.network.source) == tmp_path / "shared" / "x.geojson"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nsites: [a.csv\nsupply: s.csv\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml line \d+: malformed YAML"):
        load_scenario(path)


def test_unknown_key_lists_allowed_keys_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL + "policy:\n  co2_price: 3\n  budgett: 5\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "s.yaml line 10" in message
    assert "unknown key 'policy.budgett'" in message
    assert "allowed keys: budget, co2_cap" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL + "polcy: {}\n")
    with pytest.raises(
        ScenarioError,
        match=r"unknown key 'polcy' \(did you mean 'policy'\?\); allowed keys: attributes, bom,",
    ):
        load_scenario(path)


def test_wrong_type_names_key_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL + "policy:\n  budget: lots\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml line 9: policy\.budget: .*number.*'lots'"):
        load_scenario(path)


def test_table_of_the_wrong_shape(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL.replace("demand: demand.csv", "demand: 12"))
    with pytest.raises(ScenarioError, match=r"demand: a table must be a file path"):
        load_scenario(path)


def test_missing_table_key(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL.replace("demand: demand.csv\n", ""))
    with pytest.raises(ScenarioError, match="missing required key 'demand'"):
        load_scenario(path)


def test_network_and_lanes_are_exclusive(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL + "network: {source: roads.geojson}\n")
    with pytest.raises(ScenarioError, match="'network' or 'lanes', not both"):
        load_scenario(path)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL + "name: again\n")
    with pytest.raises(ScenarioError, match=r"key 'name' is given twice \(first on line 1\)"):
        load_scenario(path)


def test_extends_cycle_is_named(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n" + MINIMAL)
    write(tmp_path, "b.yaml", "extends: c.yaml\n")
    write(tmp_path, "c.yaml", "extends: a.yaml\n")
    with pytest.raises(
        ScenarioError, match=r"'extends' cycle: .*a\.yaml -> .*b\.yaml -> .*c\.yaml"
    ):
        load_scenario(tmp_path / "a.yaml")


def test_missing_parent_and_missing_file(tmp_path: Path) -> None:
    child = write(tmp_path, "c.yaml", "extends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match=r"parent scenario .*nowhere\.yaml not found"):
        load_scenario(child)
    with pytest.raises(ScenarioError, match=r"scenario file .*absent\.yaml not found"):
        load_scenario(tmp_path / "absent.yaml")


def test_unknown_solver_name(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL + "solver: {name: gurobi}\n")
    with pytest.raises(ScenarioError, match=r"unknown solver 'gurobi'; choose one of: highs, cbc"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("nokey", "expected key.path=value"),
        ("a..b=1", "expected key.path=value"),
        ("policy.co2_price=[1", "not valid YAML"),
    ],
)
def test_bad_override_syntax(text: str, pattern: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(pattern)):
        parse_override(text)


def test_override_into_a_scalar_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL)
    with pytest.raises(ScenarioError, match="name is a str, not a mapping"):
        load_scenario(path, ["name.first=1"])


def test_every_error_is_an_input_error() -> None:
    assert issubclass(ScenarioError, InputError)


def test_deep_merge_does_not_modify_its_arguments() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    child = {"a": {"b": 2}, "e": 3}
    merged = deep_merge(base, child)
    assert merged == {"a": {"b": 2, "c": [1, 2]}, "d": 1, "e": 3}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}

"""The run folder is written atomically: a failed or interrupted run leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterloc.outputs.runfolder import OutputExistsError, atomic_run_dir


def test_files_appear_only_when_the_block_completes(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "base"
    with atomic_run_dir(out) as tmp:
        assert tmp.parent == out.parent  # same file system: the rename is atomic
        (tmp / "summary.json").write_text("{}")
        assert not out.exists()
    assert (out / "summary.json").read_text() == "{}"
    assert [p.name for p in out.parent.iterdir()] == ["base"]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError, MemoryError])
def test_interrupted_or_failed_run_leaves_nothing(tmp_path: Path, exc: type[BaseException]) -> None:
    out = tmp_path / "runs" / "base"
    with pytest.raises(exc), atomic_run_dir(out) as tmp:
        (tmp / "summary.json").write_text("{}")
        (tmp / "sites.csv").write_text("half a ta")
        raise exc()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # even the parent it created is gone


def test_existing_folder_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(OutputExistsError, match="already exists; use --force"), atomic_run_dir(out):
        pytest.fail("must not get here")
    assert (out / "old.txt").read_text() == "old"


def test_force_replaces_only_after_success(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_run_dir(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
        raise KeyboardInterrupt
    assert [p.name for p in out.iterdir()] == ["old.txt"]  # the old run survives
    with atomic_run_dir(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_file_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("x")
    with (
        pytest.raises(Exception, match="exists and is not a folder"),
        atomic_run_dir(tmp_path / "run", force=True),
    ):
        pass


def test_api_never_writes_an_infeasible_run(tmp_path: Path) -> None:
    import clusterloc
    from clusterloc.api import write_run
    from clusterloc.errors import InfeasibleError

    scenario_file = Path(__file__).resolve().parents[1] / "data" / "kz_small" / "lanes.yaml"
    scenario = clusterloc.load_scenario(scenario_file, ["policy.max_open.plant=1"])
    result = clusterloc.solve(scenario, check=False)
    assert result.status == "infeasible"
    assert any("Capacity of facility type 'plant'" in d for d in result.summary["diagnosis"])
    with pytest.raises(InfeasibleError, match="infeasible"):
        write_run(result, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []

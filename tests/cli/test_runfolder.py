"""The run folder is written atomically: a failed or interrupted run leaves nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from clusterloc.outputs.runfolder import (
    MARKER,
    OutputExistsError,
    OutputNotARunError,
    atomic_run_dir,
    default_run_dir,
    is_run_folder,
    safe_folder_name,
)


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
    with atomic_run_dir(out) as tmp:
        (tmp / "summary.json").write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_run_dir(out, force=True) as tmp:
        (tmp / "summary.json").write_text("new")
        raise KeyboardInterrupt
    assert (out / "summary.json").read_text() == "old"  # the old run survives
    with atomic_run_dir(out, force=True) as tmp:
        (tmp / "summary.json").write_text("new")
    assert (out / "summary.json").read_text() == "new"
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_force_refuses_a_folder_clusterloc_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_text("two years of work")
    with (
        pytest.raises(OutputNotARunError, match="not a clusterloc run folder"),
        atomic_run_dir(out, force=True),
    ):
        pytest.fail("must not get here")
    assert [p.name for p in out.iterdir()] == ["chapter1.docx"]


def test_force_refuses_a_run_folder_holding_a_users_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with atomic_run_dir(out) as tmp:
        (tmp / "summary.json").write_text("{}")
    (out / "my_notes.txt").write_text("notes")
    assert not is_run_folder(out)
    with (
        pytest.raises(OutputNotARunError, match=r"did not write \(my_notes\.txt\)"),
        atomic_run_dir(out, force=True),
    ):
        pytest.fail("must not get here")
    assert (out / "my_notes.txt").read_text() == "notes"


def test_a_forged_or_broken_marker_is_not_a_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / MARKER).write_text("I am a run, honest")
    assert not is_run_folder(out)
    (out / MARKER).write_text('{"format": "something-else", "files": {}}')
    assert not is_run_folder(out)


def test_run_folder_has_normal_permissions(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with atomic_run_dir(out) as tmp:
        (tmp / "summary.json").write_text("{}")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # as mkdir, not mkdtemp's 0700


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("kz_auto_base", "kz_auto_base"),
        ("../../x", "x"),
        ("/home/me/Documents", "home_me_Documents"),
        ("..", "run"),
        (".hidden", "hidden"),
        ("a/../../b", "a_.._.._b"),
        ("C:\\Users\\me", "C_Users_me"),
        ("kz auto: base?*", "kz_auto_base"),
        ("Алматы — база", "Алматы_база"),
        ("name\x00with\x1bcontrols", "name_with_controls"),
        ("nul", "nul_run"),
        ("x" * 300, "x" * 80),
    ],
)
def test_scenario_names_become_safe_folder_names(name: str, folder: str) -> None:
    assert safe_folder_name(name) == folder
    assert default_run_dir(name) == Path("runs") / folder


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

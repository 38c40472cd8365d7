"""A run never destroys a user's folder and never writes outside its own (issue 9, part B).

Each case is what a real user types, run through the real ``clusterloc`` console script:
the exit code, the one ``error:`` line, and — above all — that every file the user had is
still there, byte for byte, and nothing new appeared anywhere but where it should.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"
Runner = Callable[..., subprocess.CompletedProcess[str]]


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root`` with its bytes (``None`` for folders and links)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return out


def variant(folder: Path, name: str) -> Path:
    """A scenario that extends the explicit-lane test scenario with another ``name``."""
    path = folder / "variant.yaml"
    quoted = (
        name.replace("\\", "\\\\").replace('"', '\\"').replace("\x1b", "\\e").replace("\x07", "\\a")
    )
    path.write_text(f'extends: {KZ_SMALL / "lanes.yaml"}\nname: "{quoted}"\n', encoding="utf-8")
    return path


@dataclass
class Case:
    """One destructive attempt: ``setup(tmp) -> args`` and what the user must see."""

    name: str
    setup: Callable[[Path], list[str | Path]]
    exit_code: int
    message: str


def _user_folder(tmp: Path, name: str = "thesis") -> Path:
    folder = tmp / name
    folder.mkdir()
    (folder / "chapter1.docx").write_bytes(b"two years of work")
    (folder / "data").mkdir()
    (folder / "data" / "survey.csv").write_text("a,b\n1,2\n")
    return folder


def _lanes(*extra: str | Path) -> list[str | Path]:
    return ["solve", KZ_SMALL / "lanes.yaml", "--no-maps", *extra]


def force_over_users_folder(tmp: Path) -> list[str | Path]:
    return _lanes("--out", _user_folder(tmp), "--force")


def existing_folder_without_force(tmp: Path) -> list[str | Path]:
    return _lanes("--out", _user_folder(tmp))


def force_over_empty_folder(tmp: Path) -> list[str | Path]:
    (tmp / "empty").mkdir()
    return _lanes("--out", tmp / "empty", "--force")


def force_over_symlink_to_users_folder(tmp: Path) -> list[str | Path]:
    (tmp / "link").symlink_to(_user_folder(tmp), target_is_directory=True)
    return _lanes("--out", tmp / "link", "--force")


def force_over_forged_marker(tmp: Path) -> list[str | Path]:
    folder = _user_folder(tmp)
    (folder / ".clusterloc-run").write_text("{not json")
    return _lanes("--out", folder, "--force")


def force_over_run_with_users_notes(tmp: Path) -> list[str | Path]:
    return _lanes("--out", tmp / "run", "--force")


def force_over_current_directory(tmp: Path) -> list[str | Path]:
    return _lanes("--out", ".", "--force")


def force_over_parent_directory(tmp: Path) -> list[str | Path]:
    return _lanes("--out", "..", "--force")


def out_is_a_file(tmp: Path) -> list[str | Path]:
    (tmp / "report.pdf").write_bytes(b"%PDF-1.7")
    return _lanes("--out", tmp / "report.pdf", "--force")


def file_in_the_path(tmp: Path) -> list[str | Path]:
    (tmp / "notes.txt").write_text("x")
    return _lanes("--out", tmp / "notes.txt" / "runs" / "base")


def out_in_proc(tmp: Path) -> list[str | Path]:
    return _lanes("--out", "/proc/clusterloc-test/run")


def out_in_sys(tmp: Path) -> list[str | Path]:
    return _lanes("--out", "/sys/clusterloc-test-run")


def out_is_empty_text(tmp: Path) -> list[str | Path]:
    return _lanes("--out", "")


#: Each case leaves every file as it was; the user sees exit 2 and one line.
CASES = [
    Case("force_over_users_folder", force_over_users_folder, 2,
         r"thesis exists and is not a clusterloc run folder \(no \.clusterloc-run marker\)"),
    Case("existing_folder_without_force", existing_folder_without_force, 2,
         r"thesis already exists; use --force to replace it"),
    Case("force_over_empty_folder", force_over_empty_folder, 2,
         r"empty exists and is not a clusterloc run folder"),
    Case("force_over_symlink", force_over_symlink_to_users_folder, 2,
         r"link is a symbolic link; give the folder itself"),
    Case("force_over_forged_marker", force_over_forged_marker, 2,
         r"is not a clusterloc run folder"),
    Case("force_over_run_with_users_notes", force_over_run_with_users_notes, 2,
         r"run is a run folder but also holds files clusterloc did not write \(my_notes\.txt\)"),
    Case("force_over_current_directory", force_over_current_directory, 2,
         r"contains the current directory; refusing"),
    Case("force_over_parent_directory", force_over_parent_directory, 2,
         r"contains the current directory; refusing"),
    Case("out_is_a_file", out_is_a_file, 2, r"report\.pdf exists and is not a folder"),
    Case("file_in_the_path", file_in_the_path, 2,
         r"cannot be created: .*notes\.txt is a file, not a folder"),
    Case("out_in_proc", out_in_proc, 2,
         r"/proc/clusterloc-test/run cannot be written: creating a folder in /proc failed"),
    Case("out_in_sys", out_in_sys, 2, r"/sys/clusterloc-test-run cannot be written"),
    Case("out_is_empty_text", out_is_empty_text, 2,
         r"output folder \. contains the current directory"),
]  # fmt: skip


@pytest.fixture(scope="module")
def finished_run(run_cli: Runner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run folder of the explicit-lane scenario (written once)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    proc = run_cli(*_lanes("--out", out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_destructive_out_is_refused_and_every_file_stays(
    run_cli: Runner, tmp_path: Path, finished_run: Path, case: Case
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if case.name == "force_over_run_with_users_notes":
        run = tmp_path / "run"
        run.mkdir()
        for path in finished_run.iterdir():
            (run / path.name).write_bytes(path.read_bytes())
        (run / "my_notes.txt").write_text("do not lose me")
    args = case.setup(tmp_path)
    cwd = work if case.name != "force_over_current_directory" else _user_folder(tmp_path, "cwd")
    before = snapshot(tmp_path)
    proc = run_cli(*args, cwd=cwd)
    assert proc.returncode == case.exit_code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert re.search(case.message, proc.stderr.replace("\n", " ")), proc.stderr
    assert snapshot(tmp_path) == before  # nothing deleted, nothing changed, nothing added


def test_unwritable_out_is_refused_before_any_work(run_cli: Runner, tmp_path: Path) -> None:
    """Refused at once: not after building the network and solving (the road scenario)."""
    proc = run_cli("solve", KZ_SMALL / "scenario.yaml", "--out", "/proc/clusterloc/run")
    assert proc.returncode == 2, proc.stderr
    assert "cannot be written" in proc.stderr
    assert "Building" not in proc.stderr and "Solving" not in proc.stderr  # no step started


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_parent_is_refused(run_cli: Runner, tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        proc = run_cli(*_lanes("--out", parent / "run"))
    finally:
        parent.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert "permission denied" in proc.stderr
    assert list(parent.iterdir()) == []


def test_force_replaces_a_run_folder(run_cli: Runner, tmp_path: Path, finished_run: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for path in finished_run.iterdir():
        (run / path.name).write_bytes(path.read_bytes())
    (run / "summary.json").write_text('{"scenario": "stale"}')
    proc = run_cli(*_lanes("--out", run, "--force", "--set", "policy.max_open.plant=2"))
    assert proc.returncode == 0, proc.stderr
    assert '"stale"' not in (run / "summary.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no .tmp-/.old- folder left


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("../../escape", "escape"),
        ("/tmp/clusterloc-victim", "tmp_clusterloc-victim"),
        (".hidden", "hidden"),
        ("..", "run"),
        ("kz auto: base", "kz_auto_base"),
    ],
)
def test_scenario_name_never_leads_outside_runs(
    run_cli: Runner, tmp_path: Path, name: str, folder: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    victim = _user_folder(tmp_path, "victim")
    scenario = variant(tmp_path, name.replace("/tmp/clusterloc-victim", str(victim)))
    before = snapshot(tmp_path)
    proc = run_cli("solve", scenario, "--no-maps", "--force", cwd=work)
    if name.startswith("/tmp"):
        folder = str(victim).strip("/").replace("/", "_")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = snapshot(tmp_path)
    new = sorted(set(after) - set(before))
    inside = ("work/runs", f"work/runs/{folder}")
    assert all(p in inside or p.startswith(f"work/runs/{folder}/") for p in new), new
    assert f"work/runs/{folder}/summary.json" in new
    assert {k: v for k, v in after.items() if k in before} == before  # the victim is intact


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    assert "╭" not in proc.stderr and "│" not in proc.stderr, proc.stderr  # no help box
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["solve", "s.yaml", "--time-limit", "10s"], r"Invalid value for '--time-limit'"),
        (["solve", "s.yaml", "--gap", "1%"], r"Invalid value for '--gap'"),
        (["solve", "s.yaml", "--out"], r"Option '--out' requires an argument"),
        (["solve", "s.yaml", "--set"], r"Option '--set' requires an argument"),
        (["solve", "s.yaml", "--time-limt", "10"], r"No such option: --time-limt"),
        (["solve"], r"Missing argument"),
        (["solvee", "s.yaml"], r"No such command 'solvee'"),
        (["network", "build"], r"Missing argument 'source'"),
        (["bench", "cap", "x.txt", "--time-limit", "-1"], r"Invalid value for '--time-limit'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    run_cli: Runner, tmp_path: Path, args: list[str], message: str
) -> None:
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_error_line(proc)
    assert line.startswith("error: "), line
    assert re.search(message, line), line
    assert re.search(r"See 'clusterloc( \w+)* --help'\.$", line), line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["[bold]kz[/bold]", "[/]", "kz[red]", "kz [link=http://x]y[/link]"],
)
def test_markup_in_names_prints_literally(run_cli: Runner, tmp_path: Path, name: str) -> None:
    scenario = variant(tmp_path, name)
    proc = run_cli("solve", scenario, "--no-maps", "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Scenario {name}" in proc.stdout


def test_markup_in_an_error_prints_literally(run_cli: Runner, tmp_path: Path) -> None:
    proc = run_cli(*_lanes("--set", "policy.co2_price=[bold]cheap[/]", "--out", tmp_path / "r"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_error_line(proc)
    assert "[bold]cheap[/]" in line, line


def test_control_characters_from_input_are_neutralised(run_cli: Runner, tmp_path: Path) -> None:
    scenario = variant(tmp_path, "kz\x1b[2J\x1b]0;pwned\x07base")
    proc = run_cli("solve", scenario, "--no-maps", "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "kz\\x1b[2J\\x1b]0;pwned\\x07base" in proc.stdout
    bad = run_cli(*_lanes("--set", "policy.co2_price=\x1b[31mred", "--out", tmp_path / "r"))
    assert bad.returncode == 2
    assert "\x1b" not in bad.stderr
    assert "\\x1b[31mred" in _one_error_line(bad)

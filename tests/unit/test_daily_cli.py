"""``astromon daily`` and the help of every command (Typer's CliRunner, fake ports)."""

from __future__ import annotations

from pathlib import Path

import pytest
from astromon_adapters.executors import SerialExecutor
from typer.testing import CliRunner

from astromon import __version__, bootstrap
from astromon.cli.app import app
from astromon.config import Settings
from tests.cli_commands import command_paths
from tests.unit.daily_fakes import (
    FakeArchive,
    FakeRunLock,
    FixedClock,
    MemoryRunLog,
    RecordingRenderer,
)
from tests.unit.daily_support import RecordingNotifier, typical_run
from tests.unit.fake_store import InMemoryStore

runner = CliRunner()
FAKE = ["--processor", "tests.unit.ops_fakes:scripted_from_env"]
MAIL = ["--smtp", "127.0.0.1:2525", "--mail-from", "astromon@example.org"]


class Ports:
    """The fakes one test's application uses."""

    def __init__(self) -> None:
        self.store = InMemoryStore(location="/data/astromon.duckdb")
        self.log = MemoryRunLog()
        self.lock = FakeRunLock()
        self.notifier = RecordingNotifier()
        self.renderer = RecordingRenderer()
        self.archive = FakeArchive([1, 2, 3])
        self.log_dirs: list[Path] = []
        self.lock_files: list[Path] = []

    def run_log(self, log_dir: Path) -> MemoryRunLog:
        self.log_dirs.append(log_dir)
        return self.log

    def run_lock(self, database: Path) -> FakeRunLock:
        self.lock_files.append(database)
        return self.lock


@pytest.fixture
def ports(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Ports:
    fakes = Ports()
    for name in [n for n in __import__("os").environ if n.startswith("ASTROMON_")]:
        monkeypatch.delenv(name)
    application = bootstrap.bootstrap(
        Settings(),
        store=lambda dbfile=None, *, write=False: fakes.store,
        executor=SerialExecutor(),
        archive=fakes.archive,  # type: ignore[arg-type]
        renderer=fakes.renderer,  # type: ignore[arg-type]
        clock=FixedClock(),
        notifier=fakes.notifier,
        run_log=fakes.run_log,
        run_lock=fakes.run_lock,
    )
    block = bootstrap.using(application)
    block.__enter__()
    request.addfinalizer(lambda: block.__exit__(None, None, None))
    return fakes


def test_a_daily_run_with_a_failure(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTROMON_TEST_SCRIPT", "2:error")
    args = ["--db", "/data/astromon.duckdb", "daily", "--web-dir", "/www", *FAKE, *MAIL,
            "--mail-to", "aca@example.org", "--mail-to", "ops@example.org"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "3 obsids: 2 saved, 0 skipped, 1 failed" in result.stdout
    assert "alarm failed_observations: 1 observation failed: 2" in result.stdout
    assert "daily run: 1 alarm (exit code 3); record in /logs/daily.jsonl" in result.stdout
    [record] = ports.log.runs
    assert record.processed == (1, 3) and record.database == "/data/astromon.duckdb"
    assert ports.log_dirs == [Path("/data")]  # the database's directory by default
    assert ports.lock_files == [Path("/data/astromon.duckdb")]
    [(subject, _, to)] = ports.notifier.sent
    assert subject == "astromon daily on /data/astromon.duckdb: 1 alarm"
    assert to == ("aca@example.org", "ops@example.org")


def test_the_settings_give_the_directories_and_the_recipients(
    ports: Ports, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASTROMON_WEB_DIR", str(tmp_path / "www"))
    monkeypatch.setenv("ASTROMON_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("ASTROMON_SMTP", "127.0.0.1:2525")
    monkeypatch.setenv("ASTROMON_MAIL_FROM", "astromon@example.org")
    monkeypatch.setenv("ASTROMON_MAIL_TO", "aca@example.org")
    with bootstrap.using(bootstrap.bootstrap(**bootstrap.current().overrides)):
        result = runner.invoke(app, ["daily", *FAKE, "--notify-success"])
    assert result.exit_code == 0, result.output
    assert ports.log_dirs == [tmp_path / "logs"]
    [(outdir, _)] = ports.renderer.sites
    assert outdir == tmp_path / "www"
    [(subject, _, to)] = ports.notifier.sent
    assert subject.endswith(": ok") and to == ("aca@example.org",)


def test_a_second_run_is_refused_naming_the_first(ports: Ports) -> None:
    from astromon.ports.run_lock import RunHolder

    ports.lock.holder = RunHolder(77, "ops2", "2016-01-01T00:00:00.000Z")
    result = runner.invoke(app, ["daily", "--web-dir", "/www", *FAKE])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: another astromon daily run") and "PID 77 on host ops2" in line
    assert ports.log.runs == [] and ports.archive.asked == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "no directory for the web pages: give --web-dir or $ASTROMON_WEB_DIR"),
        (["--web-dir", "/w", "--mail-to", "a@example.org"], "--mail-to is given but no --smtp"),
        (["--web-dir", "/w", "--smtp", "127.0.0.1"], "--smtp is given but no --mail-to"),
        (["--web-dir", "/w", "--smtp", "a b"], "--smtp='a b' is not HOST[:PORT]"),
        (["--web-dir", "/w", *MAIL, "--mail-to", "nobody"], "--mail-to: 'nobody' is not an e-mail"),
        (["--web-dir", "/w", "--last", "2"], "--last is used with --history"),
        (["--web-dir", "/w", "--source", "ftp"], "unknown --source 'ftp': must be one of"),
        (["--web-dir", "/w", "--scheduler", "no such"], "--scheduler 'no such' is not a Dask"),
        (["--web-dir", "/w", "--scheduler", "tcp://h:99999"], "'tcp://h:99999' is not a Dask"),
        (["--web-dir", "/w", "--max-q90", "0"], "max_q90 must be a positive number"),
    ],
)
def test_bad_options_are_one_line_usage_errors(ports: Ports, args: list[str], needle: str) -> None:
    result = runner.invoke(app, ["daily", *FAKE, *args])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and needle in line, line
    assert ports.log.runs == [] and ports.lock.events == []


def test_history_shows_the_recorded_runs(ports: Ports) -> None:
    ports.log.runs.append(typical_run())
    result = runner.invoke(app, ["daily", "--history"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "2024-05-01T06:00:00.000Z  exit 3  2 alarms          3 processed, 2 failed, 1 skipped"
        '  q90 1.700"  /data/astromon.duckdb'
    )
    assert lines[1] == "    alarm failed_observations: 2 observations failed: 27010, 27011"
    ports.log.runs.clear()
    empty = runner.invoke(app, ["daily", "--history"])
    assert empty.stdout == "no daily run recorded in /logs/daily.jsonl\n"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"astromon {__version__}\n"


def test_the_commands_are_listed_demo_first_with_whole_summaries() -> None:
    result = runner.invoke(app, ["--help"])
    listed = result.stdout.split("Commands:")[1].splitlines()[1:]
    entries: list[str] = []  # one per command, its wrapped summary joined
    for line in listed:
        if line.startswith("  ") and not line.startswith("   "):
            entries.append(line.strip())
        elif line.strip() and entries:
            entries[-1] += " " + line.strip()
    names = [entry.split()[0] for entry in entries]
    assert names[:5] == ["demo", "doctor", "process", "report", "daily"]
    summaries = dict(entry.split(maxsplit=1) for entry in entries)
    assert summaries["doctor"].endswith("with a fix for each failure.")
    assert summaries["cross-match"] == (
        "Recompute a cross-match over the whole database and store it in astromon_xcorr."
    )
    for summary in summaries.values():
        assert summary.endswith(".") and not summary.endswith("..."), summary


@pytest.mark.parametrize("command", command_paths(), ids=" ".join)
def test_help_placeholders_name_values_not_python_types(command: list[str]) -> None:
    text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).stdout
    for python_type in ("<str>", "<int", "<float", "<list[", "<path>", "<bool>"):
        assert python_type not in text, (command, text)


def test_choices_are_shown() -> None:
    text = runner.invoke(app, ["process", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--source [arc5gl|archive|https]" in text
    assert "--catalog-source [vizier|local]" in text
    daily = runner.invoke(app, ["daily", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--smtp HOST[:PORT]" in daily and "--mail-to ADDR" in daily


def test_the_progress_callback_moves_the_bar_and_names_the_last_observation() -> None:
    """One callback for ``process`` and ``daily``: the count, the total the batch gives (the
    daily job knows it only once it has listed the observations) and the last obsid."""
    import io

    from rich.console import Console

    from astromon.cli.commands.process import progress_advance, progress_bar
    from astromon.ports.processing import ObservationOutcome, OutcomeStatus

    bar = progress_bar(Console(file=io.StringIO()))
    task = bar.add_task("processing", total=None, last="")
    advance = progress_advance(bar, task)
    advance(ObservationOutcome(14530, OutcomeStatus.OK), 1, 3)
    advance(ObservationOutcome(14531, OutcomeStatus.ERROR, "ProcessingError"), 2, 3)
    state = bar.tasks[0]
    assert (state.completed, state.total, state.fields["last"]) == (2, 3, "14531 ERROR")

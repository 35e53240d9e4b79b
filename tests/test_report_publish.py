"""A report folder is never half-written: staged writes swapped in whole, symlinks not
followed, foreign files kept, concurrent builds queued (report/publish.py)."""

from __future__ import annotations

import os
import threading
import time
import zipfile

import pytest

import backorder_analytics as ba
from backorder_analytics.report import ReportError, build_report
from backorder_analytics.report import build as report_build
from backorder_analytics.report.publish import staged


def write_report(folder, text):
    (folder / "index.html").write_text(text)
    (folder / "report.xlsx").write_text(text)
    (folder / "tables").mkdir()
    (folder / "tables" / "a.csv").write_text(text)


def contents(folder):
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def leftovers(parent, name):
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")
            and not p.name.endswith(".lock")]


def test_new_folder_gets_the_report_and_no_staging_is_left(tmp_path):
    out = tmp_path / "deep" / "report"
    with staged(out) as stage:
        assert stage.parent == out.parent
        assert stage != out
        assert not out.exists()                    # nothing visible while building
        write_report(stage, "v1")
    assert contents(out) == {"index.html": "v1", "report.xlsx": "v1", "tables/a.csv": "v1"}
    assert leftovers(out.parent, "report") == []


def test_a_failed_build_leaves_the_previous_report_as_it_was(tmp_path):
    out = tmp_path / "report"
    with staged(out) as stage:
        write_report(stage, "v1")

    def failing_build():
        with staged(out) as stage:
            (stage / "index.html").write_text("v2")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk"):
        failing_build()
    assert contents(out) == {"index.html": "v1", "report.xlsx": "v1", "tables/a.csv": "v1"}
    assert leftovers(tmp_path, "report") == []


def test_a_build_killed_mid_swap_is_put_back_by_the_next(tmp_path):
    out = tmp_path / "report"
    with staged(out) as stage:
        write_report(stage, "v1")
    # as a kill between the two renames of a swap leaves it, plus a stale staging folder
    os.rename(out, tmp_path / ".report.old-x1")
    (tmp_path / ".report.building-x2").mkdir()
    with staged(out) as stage:
        assert contents(out) == {"index.html": "v1", "report.xlsx": "v1", "tables/a.csv": "v1"}
        write_report(stage, "v2")
    assert contents(out)["index.html"] == "v2"
    assert leftovers(tmp_path, "report") == []


def test_symlinks_in_the_folder_are_replaced_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.html").write_text("keep me")
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").symlink_to(elsewhere / "precious.html")
    (out / "tables").symlink_to(elsewhere)
    with staged(out) as stage:
        write_report(stage, "v1")
    assert (elsewhere / "precious.html").read_text() == "keep me"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious.html"]
    assert not (out / "index.html").is_symlink()
    assert not (out / "tables").is_symlink()
    assert contents(out)["tables/a.csv"] == "v1"


def test_files_of_your_own_are_kept(tmp_path):
    out = tmp_path / "shared"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "index.html").symlink_to(tmp_path / "nowhere.html")  # a dangling link too
    with staged(out) as stage:
        write_report(stage, "v1")
    with staged(out) as stage:
        write_report(stage, "v2")
    assert contents(out) == {"index.html": "v2", "notes.txt": "mine", "report.xlsx": "v2",
                             "tables/a.csv": "v2"}


def test_out_that_is_a_file_is_a_clear_error(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("x")
    with pytest.raises(ReportError, match="is a file. Fix: pass a folder"):
        staged(target).__enter__()
    assert target.read_text() == "x"


def test_builds_into_one_folder_queue(tmp_path):
    out = tmp_path / "report"
    order = []

    def build(tag):
        with staged(out) as stage:
            order.append(f"start {tag}")
            time.sleep(0.3)
            write_report(stage, tag)
            order.append(f"end {tag}")

    threads = [threading.Thread(target=build, args=(t,)) for t in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # never two at once: each build ends before the next starts
    assert all(order[i].startswith("start") and order[i + 1] == "end" + order[i][5:]
               for i in range(0, 6, 2))
    assert len(set(contents(out).values())) == 1


# ---------------------------------------------------------------- through build_report


@pytest.fixture(scope="module")
def small():
    return ba.example_dataset(seed=0, n_skus=5, days=120)


CONFIG = {"report": {"n_reps": 20}}


def test_build_report_failing_to_write_keeps_the_previous_report(small, tmp_path,
                                                                  monkeypatch):
    out = tmp_path / "report"
    build_report(small, out, CONFIG, progress=False)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_build, "write_xlsx", broken)
    with pytest.raises(ReportError, match="previous report .* is unchanged"):
        build_report(small, out, CONFIG, progress=False)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert zipfile.is_zipfile(out / "report.xlsx")
    assert leftovers(tmp_path, "report") == []


def test_cli_reports_an_out_that_is_a_file(small, tmp_path, capsys):
    from backorder_analytics.cli import _write_report
    from backorder_analytics.report import load_config

    target = tmp_path / "taken"
    target.write_text("x")
    assert _write_report(small, str(target), load_config(CONFIG), progress=False) == 1
    assert "is a file. Fix: pass a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_the_folder_keeps_its_permissions(tmp_path):
    out = tmp_path / "report"
    with staged(out) as stage:
        write_report(stage, "v1")
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask
    os.chmod(out, 0o750)
    with staged(out) as stage:
        write_report(stage, "v2")
    assert out.stat().st_mode & 0o777 == 0o750


def test_outputs_not_made_this_time_do_not_linger(tmp_path):
    out = tmp_path / "shared"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with staged(out) as stage:
        write_report(stage, "v1")
    with staged(out) as stage:  # this build writes the page only
        (stage / "index.html").write_text("v2")
    assert contents(out) == {"index.html": "v2", "notes.txt": "mine"}


def test_a_killed_build_leaves_the_previous_report(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap

    out = tmp_path / "report"
    with staged(out) as stage:
        write_report(stage, "v1")
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from backorder_analytics.report.publish import staged
        with staged({str(out)!r}) as stage:
            (stage / "index.html").write_text("v2")
            print("writing", flush=True)
            time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert contents(out) == {"index.html": "v1", "report.xlsx": "v1", "tables/a.csv": "v1"}
    assert len(leftovers(tmp_path, "report")) == 1  # its staging folder, until the next build
    with staged(out) as stage:
        write_report(stage, "v3")
    assert contents(out)["index.html"] == "v3"
    assert leftovers(tmp_path, "report") == []

"""RECORD after gisbox pruned and stripped: what importlib.metadata and verifiers see."""

from __future__ import annotations

import csv
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from gisbox.builder import rewrite_records

SCRIPT = Path(rewrite_records.__file__)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site-packages with one distribution installed the way uv writes it."""
    site = tmp_path / "site-packages"
    pkg, info = site / "geo", site / "geo-1.0.dist-info"
    (pkg / "tests").mkdir(parents=True)
    info.mkdir()
    files = {
        "geo/__init__.py": b"VERSION = '1.0'\n",
        "geo/_geo.so": b"\x7fELF" + b"\0" * 4000,  # to be 'stripped'
        "geo/tests/test_geo.py": b"def test(): pass\n",
        "geo/__init__.pyi": b"VERSION: str\n",
        "geo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: geo\nVersion: 1.0\n",
    }
    rows = []
    for name, data in files.items():
        (site / name).write_bytes(data)
        rows.append([name, rewrite_records.file_hash(site / name), str(len(data))])
    rows.append(["geo-1.0.dist-info/RECORD", "", ""])
    with open(info / "RECORD", "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return site


def prune(site: Path) -> None:
    """What the builder stage does before the rewrite."""
    (site / "geo/tests/test_geo.py").unlink()
    (site / "geo/tests").rmdir()
    (site / "geo/__init__.pyi").unlink()
    (site / "geo/_geo.so").write_bytes(b"\x7fELF" + b"\0" * 100)


def mismatches(site: Path) -> list[str]:
    """Every RECORD row whose file is missing or whose hash or size differs."""
    dist = importlib.metadata.Distribution.at(site / "geo-1.0.dist-info")
    bad = []
    for f in dist.files or []:
        path = Path(str(f.locate()))
        if not path.is_file():
            bad.append(f"missing {f}")
        elif f.hash is not None:
            if rewrite_records.file_hash(path) != f"{f.hash.mode}={f.hash.value}":
                bad.append(f"hash {f}")
            if f.size != path.stat().st_size:
                bad.append(f"size {f}")
    return bad


def test_after_pruning_record_lies_and_the_rewrite_makes_it_true(site: Path) -> None:
    prune(site)
    assert sorted(mismatches(site)) == [
        "hash geo/_geo.so",
        "missing geo/__init__.pyi",
        "missing geo/tests/test_geo.py",
        "size geo/_geo.so",
    ]
    res = subprocess.run(
        [sys.executable, str(SCRIPT), str(site)], capture_output=True, text=True, check=True
    )
    assert "2 removed file(s) dropped, 1 changed file(s) rehashed" in res.stdout
    assert mismatches(site) == []
    note = site / "geo-1.0.dist-info" / rewrite_records.NOTE
    with open(note, newline="") as fh:
        removed = {row[0]: row for row in csv.reader(fh)}
    assert set(removed) == {"geo/__init__.pyi", "geo/tests/test_geo.py"}
    assert removed["geo/__init__.pyi"][2] == str(len(b"VERSION: str\n"))  # as the wheel had it
    dist = importlib.metadata.Distribution.at(site / "geo-1.0.dist-info")
    assert f"geo-1.0.dist-info/{rewrite_records.NOTE}" in {str(f) for f in dist.files or []}


def test_an_untouched_distribution_is_left_byte_for_byte(site: Path) -> None:
    record = site / "geo-1.0.dist-info/RECORD"
    before = record.read_bytes()
    assert rewrite_records.main([str(site)]) == 0
    assert record.read_bytes() == before
    assert not (site / "geo-1.0.dist-info" / rewrite_records.NOTE).exists()


def test_running_it_twice_changes_nothing_more(site: Path) -> None:
    prune(site)
    rewrite_records.main([str(site)])
    first = (site / "geo-1.0.dist-info/RECORD").read_bytes()
    rewrite_records.main([str(site)])
    assert (site / "geo-1.0.dist-info/RECORD").read_bytes() == first
    (site / "geo/__init__.py").unlink()  # a later prune: the note keeps every removal
    rewrite_records.main([str(site)])
    assert mismatches(site) == []
    note = (site / "geo-1.0.dist-info" / rewrite_records.NOTE).read_text()
    assert "geo/__init__.pyi" in note and "geo/__init__.py," in note


def test_a_record_that_does_not_parse_names_the_file_and_line(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = site / "geo-1.0.dist-info/RECORD"
    lines = record.read_text().splitlines()
    lines.insert(2, "geo/broken.py,sha256=abc")
    record.write_text("\n".join(lines) + "\n")
    assert rewrite_records.main([str(site)]) == 1
    assert f"{record}:3: expected 'path,hash,size'" in capsys.readouterr().err

"""Loading exports into the warehouse: idempotent per file, de-duplicated across overlapping files."""

from __future__ import annotations

import shutil
from pathlib import Path

from assets.ingest.schema import SourceOptions
from tests.conftest import materialize_all, query


def test_overlapping_and_reloaded_exports_count_once(sample_copy, tmp_path):
    out = tmp_path / "out"
    materialize_all(sample_copy, out)
    counted = "select count(*) from staging.stg_chat__messages where is_counted"
    before = query(out, counted)
    raw_before = query(out, "select count(*) from raw.chat_messages")
    # the sample's monthly WeCom files share a day: raw keeps both copies, staging one
    assert raw_before[0][0] > query(out, "select count(*) from staging.stg_chat__messages")[0][0]

    # re-deliver one export under a second name: raw grows, counted messages do not
    export = sorted((sample_copy / "exports" / "wecom").rglob("2026-05.jsonl"))[0]
    shutil.copy(export, export.with_name("2026-05-redelivered.jsonl"))
    materialize_all(sample_copy, out)
    assert query(out, counted) == before
    assert query(out, "select count(*) from raw.chat_messages")[0][0] > raw_before[0][0]

    # remove it again: its rows leave with it; running once more changes nothing
    export.with_name("2026-05-redelivered.jsonl").unlink()
    materialize_all(sample_copy, out)
    materialize_all(sample_copy, out)
    assert query(out, "select count(*) from raw.chat_messages") == raw_before
    assert query(out, counted) == before
    assert query(out, "select count(*) from raw.source_files where source_file like '%redelivered%'") == [(0,)]


def test_recalled_and_bot_messages_leave_the_counts(sample_copy, tmp_path):
    out = tmp_path / "out"
    materialize_all(sample_copy, out)
    recalled, bots = query(out, """
        select count(*) filter (where is_recalled), count(*) filter (where is_bot)
        from staging.stg_chat__messages
    """)[0]
    assert recalled >= 1 and bots >= 1
    assert query(out, "select count(*) from staging.stg_chat__messages where is_counted and (is_recalled or is_bot)") == [(0,)]
    assert query(out, "select count(*) from staging.stg_chat__messages where group_category = 'unassigned'")[0][0] > 0


def test_slack_folder_export_is_one_unit_and_reloads_idempotently(tmp_path):
    import duckdb

    from assets.ingest.load import sync_exports

    data = tmp_path / "data"
    fixtures = Path(__file__).resolve().parent / "fixtures"
    shutil.copytree(fixtures / "slack" / "export", data / "exports" / "slack" / "workspace")
    shutil.copy(fixtures / "wecom" / "archive.jsonl", data / "exports" / "archive.jsonl")
    con = duckdb.connect()
    first = sync_exports(con, data, source_options=lambda _: SourceOptions())
    units = {f["source_file"]: f["format"] for f in first.files}
    assert units == {"exports/archive.jsonl": "wecom", "exports/slack/workspace/channels.json": "slack"}
    counts = con.execute("select count(*) from raw.chat_messages").fetchall()
    second = sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert all(f["skipped"] for f in second.files)
    # a changed day file changes the unit's hash: the export is parsed again, not added twice
    day_file = sorted((data / "exports" / "slack" / "workspace").rglob("20*.json"))[0]
    day_file.write_text(day_file.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    third = sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert [f["source_file"] for f in third.parsed] == ["exports/slack/workspace/channels.json"]
    assert con.execute("select count(*) from raw.chat_messages").fetchall() == counts


def test_local_times_use_the_platforms_configured_zone_even_without_a_format_folder(tmp_path):
    import duckdb

    from assets.ingest.load import sync_exports

    data = tmp_path / "data"
    (data / "exports" / "misc").mkdir(parents=True)
    (data / "exports" / "misc" / "chat.txt").write_text(
        "25/12/2026, 10:00 - Ana: hello\n25/12/2026, 10:05 - Bo: hi\n", encoding="utf-8"
    )
    zones = {"whatsapp": "Europe/Lisbon"}
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    sync_exports(con, data, source_options=lambda platform: SourceOptions(zones.get(platform, "Asia/Shanghai")))
    assert con.execute("select timezone_assumed from raw.source_files").fetchall() == [("Europe/Lisbon",)]
    first = con.execute("select min(sent_at)::varchar from raw.chat_messages").fetchall()[0][0]
    assert first.startswith("2026-12-25 10:00:00")  # Lisbon is UTC+0 in December, Shanghai would be 02:00


def test_changed_source_settings_parse_the_file_again_and_old_warehouses_gain_new_columns(tmp_path):
    import duckdb

    from assets.ingest.load import sync_exports

    data = tmp_path / "data"
    fixtures = Path(__file__).resolve().parent / "fixtures"
    (data / "exports").mkdir(parents=True)
    shutil.copy(fixtures / "wecom" / "archive.jsonl", data / "exports" / "archive.jsonl")
    con = duckdb.connect()
    # a warehouse written before `parse_options` existed
    con.execute("create schema raw")
    con.execute("create table raw.source_files (source_file varchar, sha256 varchar, parser_version varchar)")
    first = sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert [f["skipped"] for f in first.files] == [False]
    assert sync_exports(con, data, source_options=lambda _: SourceOptions()).files[0]["skipped"]
    moved = sync_exports(con, data, source_options=lambda _: SourceOptions("Europe/Lisbon"))
    assert not moved.files[0]["skipped"]
    assert con.execute("select parse_options from raw.source_files").fetchall() == [
        ("timezone=Europe/Lisbon;date_order=auto",)]


def test_an_empty_export_loads_with_a_warning_and_a_vanished_one_names_itself(tmp_path):
    import duckdb
    import pytest

    from assets.ingest.errors import ExportReadError
    from assets.ingest.load import sha256_of, sync_exports

    data = tmp_path / "data"
    (data / "exports" / "wecom").mkdir(parents=True)
    (data / "exports" / "wecom" / "empty.jsonl").write_bytes(b"\xef\xbb\xbf")
    con = duckdb.connect()
    report = sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert [(f["messages"], f["quarantined"]) for f in report.files] == [(0, 0)]
    assert con.execute("select warnings from raw.source_files").fetchall() == [
        (["exports/wecom/empty.jsonl: the file holds no messages, events or records"],)]
    with pytest.raises(ExportReadError, match="cannot read the file"):
        sha256_of(data / "exports" / "wecom" / "gone.jsonl")


def _wecom_folder(data: Path) -> list[str]:
    """Several rooms of small WeCom files in every encoding the fixtures have, an empty one and
    one whose last line has no line break: what the loader's batches must read like single files."""
    fixtures = Path(__file__).resolve().parent / "fixtures" / "wecom"
    names = []
    for room in ("room-a", "room-b"):
        folder = data / "exports" / "wecom" / room
        folder.mkdir(parents=True)
        for fixture in sorted(fixtures.glob("*.jsonl")):
            shutil.copy(fixture, folder / fixture.name)
        (folder / "empty.jsonl").write_bytes(b"")
        unterminated = (fixtures / "archive.jsonl").read_bytes().rstrip(b"\n")
        (folder / "unterminated.jsonl").write_bytes(unterminated)
        names += sorted(p.relative_to(data).as_posix() for p in folder.iterdir())
    return names


def _raw_rows(con) -> dict[str, list]:
    return {
        table: con.execute(f"select * exclude (mtime_ns) from {table} order by all" if table == "raw.source_files"
                           else f"select * from {table} order by all").fetchall()
        for table in ("raw.chat_messages", "raw.chat_events", "raw.ingest_quarantine", "raw.source_files")
    }


def test_small_files_load_in_batches_exactly_as_one_by_one(tmp_path, monkeypatch):
    import duckdb

    from assets.ingest import load

    data = tmp_path / "data"
    names = _wecom_folder(data)
    batched = duckdb.connect()
    calls = []
    real = load.BATCH_PARSERS["wecom"]
    monkeypatch.setitem(load.BATCH_PARSERS, "wecom", lambda sources, **kw: calls.append(len(sources)) or real(sources, **kw))
    report = load.sync_exports(batched, data, source_options=lambda _: SourceOptions())
    assert calls == [len(names)]  # one batch, one query for every file
    assert [f["source_file"] for f in report.files] == names
    streamed = duckdb.connect()
    monkeypatch.setattr(load, "SMALL_FILE_BYTES", -1)
    load.sync_exports(streamed, data, source_options=lambda _: SourceOptions())
    assert calls == [len(names)]
    expected, got = _raw_rows(streamed), _raw_rows(batched)
    assert len(expected["raw.chat_messages"]) > 20 and expected["raw.ingest_quarantine"]
    assert got == expected


def test_unchanged_files_are_not_hashed_again_and_touched_ones_are_not_parsed_again(tmp_path, monkeypatch):
    import os

    import duckdb

    from assets.ingest import load

    data = tmp_path / "data"
    names = _wecom_folder(data)
    con = duckdb.connect()
    load.sync_exports(con, data, source_options=lambda _: SourceOptions())
    hashed = []
    real = load.ExportFile.sha256
    monkeypatch.setattr(load.ExportFile, "sha256", lambda self: hashed.append(self.rel_path) or real(self))
    again = load.sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert hashed == [] and all(f["skipped"] for f in again.files)
    touched = data / names[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    after_touch = load.sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert hashed == [names[0]] and all(f["skipped"] for f in after_touch.files)
    load.sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert hashed == [names[0]]  # the new time was remembered
    before = _raw_rows(con)["raw.chat_messages"]
    with touched.open("ab") as handle:
        handle.write(b'\n{"msgid":"late-1","action":"send","from":"zhangsan","roomid":"wrA","msgtime":1691386666454,'
                     b'"msgtype":"text","text":{"content":"late"}}\n')
    changed = load.sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert [f["source_file"] for f in changed.files if not f["skipped"]] == [names[0]]
    assert len(_raw_rows(con)["raw.chat_messages"]) == len(before) + 1


def test_an_undecodable_small_file_names_itself_and_its_batch_writes_nothing(tmp_path):
    import duckdb
    import pytest

    from assets.ingest.errors import ExportReadError
    from assets.ingest.load import sync_exports

    data = tmp_path / "data"
    _wecom_folder(data)
    bad = data / "exports" / "wecom" / "room-b" / "broken.jsonl"
    bad.write_bytes(b'{"msgid":"x1","msgtime":1691386666454}\n\x80\x80 not text\n')
    con = duckdb.connect()
    with pytest.raises(ExportReadError, match="room-b/broken.jsonl"):
        sync_exports(con, data, source_options=lambda _: SourceOptions())
    assert con.execute("select count(*) from raw.chat_messages").fetchall() == [(0,)]
    assert con.execute("select count(*) from raw.source_files").fetchall() == [(0,)]


def test_small_files_read_together_as_each_alone(tmp_path):
    """The batch reader's one UTF-8 check gives every file the bytes and encoding `read_small` gives
    it alone: plain and BOM UTF-8, UTF-16 both ways, BOM-less GB18030, empty, a character cut off at
    the end; a file that is none of these names itself."""
    import codecs

    import pytest

    from assets.ingest.encoding import read_small, read_small_files
    from assets.ingest.errors import ExportReadError

    line = '{"msgid":"m1","text":{"content":"请问退款多久到账？"}}\n'
    contents = {
        "ascii.jsonl": b'{"msgid":"a"}\n',
        "utf8.jsonl": line.encode("utf-8"),
        "bom.jsonl": codecs.BOM_UTF8 + line.encode("utf-8"),
        "utf16le.jsonl": codecs.BOM_UTF16_LE + line.encode("utf-16-le"),
        "utf16be.jsonl": codecs.BOM_UTF16_BE + line.encode("utf-16-be"),
        "gb18030.jsonl": line.encode("gb18030"),
        "empty.jsonl": b"",
        "cut.jsonl": line.encode("utf-8") + "退".encode("utf-8")[:2],
    }
    sources = []
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
        sources.append((tmp_path / name, f"exports/wecom/{name}"))
    together = read_small_files(sources)
    alone = [read_small(path, display_path=shown) for path, shown in sources]
    assert together == alone
    assert [encoding for _, encoding in together] == [
        "utf-8", "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "gb18030", "utf-8", "utf-8"]
    (tmp_path / "neither.jsonl").write_bytes(b'{"msgid":"x"}\n\xff\xfe\xff\x80\x80\n')
    with pytest.raises(ExportReadError, match="exports/wecom/neither.jsonl"):
        read_small_files([*sources, (tmp_path / "neither.jsonl", "exports/wecom/neither.jsonl")])


def test_batches_parsed_ahead_load_as_one_and_a_bad_one_keeps_the_batches_before_it(tmp_path, monkeypatch):
    """One file per batch, so every batch after the first is parsed while the one before it is
    written: the rows equal a single batch's, and a broken file stops the run naming itself, with
    the batches before it written and its own not."""
    import duckdb
    import pytest

    from assets.ingest import load
    from assets.ingest.errors import ExportReadError

    data = tmp_path / "data"
    names = _wecom_folder(data)
    together = duckdb.connect()
    load.sync_exports(together, data, source_options=lambda _: SourceOptions())
    monkeypatch.setattr(load, "BATCH_FILES", 1)
    apart = duckdb.connect()
    load.sync_exports(apart, data, source_options=lambda _: SourceOptions())
    assert _raw_rows(apart) == _raw_rows(together)

    (data / "exports" / "wecom" / "room-b" / "zz-broken.jsonl").write_bytes(b'{"msgid":"x1"}\n\x80\x80 not text\n')
    broken = duckdb.connect()
    with pytest.raises(ExportReadError, match="room-b/zz-broken.jsonl"):
        load.sync_exports(broken, data, source_options=lambda _: SourceOptions())
    loaded = [row[0] for row in broken.execute("select source_file from raw.source_files order by all").fetchall()]
    assert loaded == sorted(names)

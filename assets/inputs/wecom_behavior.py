"""WeCom 客户联系统计: saved responses of `externalcontact/get_user_behavior_data` (FORMATS.md §8.1).

One row per staff member and day: chats, messages, reply rate and first-reply time with external
contacts, and the contacts gained and lost. `negative_feedback_cnt / new_contact_cnt` is KPI_SPEC
§4.4's `negative_feedback_rate`.

The response does not name the staff member it is about, and a request naming several members
(or a department, `partyid`) returns their *combined* totals, which cannot be credited to any one
of them. So the staff member comes from what was asked: a wrapper `{"userid": …, "response": …}`
or `{"request": {"userid": ["zhangsan"], …}, "response": …}`, or, for a bare response, the folder
the file is in (`inputs/wecom_behavior/<userid>/<any>.json`). A file is one JSON document or JSON
Lines of them (one saved call per line).

What absent means: `reply_percentage` and `avg_reply_time` are only returned on days with chats,
so a day without them is NULL here, never 0 (an average over no chats is unknown, not instant).
Vendor relays write numbers as strings; both spellings are read.

This module also holds the reading of saved WeCom API responses (`read_wecom_items`) and the
small checks the WeCom input kinds share; `wecom_groupchat` imports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import polars as pl

from assets.ingest.common import registered
from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS
from assets.inputs.base import InputKind, InputResult

NAME = "wecom_behavior"

COUNT_FIELDS = ("chat_cnt", "message_cnt", "negative_feedback_cnt", "new_apply_cnt", "new_contact_cnt")

SCHEMA: dict[str, pl.DataType] = {
    "userid": pl.String(),
    "stat_date": pl.Date(),
    "chat_cnt": pl.Int64(),
    "message_cnt": pl.Int64(),
    "reply_percentage": pl.Float64(),
    "avg_reply_time": pl.Float64(),
    "negative_feedback_cnt": pl.Int64(),
    "new_apply_cnt": pl.Int64(),
    "new_contact_cnt": pl.Int64(),
}

# --------------------------------------------------------------------------------------------------
# Saved WeCom API responses, shared by the WeCom input kinds
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseShape:
    """Where one WeCom endpoint's saved response keeps what a kind needs (JSON paths).

    `wrapper_id` / `request_ids` say whom the call was about (a wrapper's own key, and the
    request's id list); `record_fields` are read from the saved document (the wrapper, with its
    `request`), `response_fields` from the response, `item_fields` from each element of `array`.
    """

    kind: str
    endpoint: str
    array: str
    wrapper_id: str
    request_ids: str
    record_fields: dict[str, str] = field(default_factory=dict)
    response_fields: dict[str, str] = field(default_factory=dict)
    item_fields: dict[str, str] = field(default_factory=dict)


#: One row per saved call, every path read as text: `json_extract_string` reads `100` and `"100"`
#: alike, which is what lets vendor relays' stringly-typed numbers through without special casing.
#: `items` is the response's array as a list of JSON texts (Polars explodes it: a lateral unnest
#: here was 20× slower and held the whole file several times over). Paths are bound.
_RECORDS_SQL = """
-- Materialised, so each line is parsed once here and once per multi-path extraction below (an
-- inlined CTE would re-parse it for every use of `doc`). `try` turns a line that is not JSON into
-- NULL, which doubles as the validity test.
with records as materialized (
    select record_no, line_no, left(raw, $snippet_chars) as record_snippet, try(json(raw)) as doc,
    from wecom_records
),

typed as materialized (
    select
        *,
        -- 1 the document, 2 a wrapper's response, 3 the wrapper's id, 4 the request's ids
        json_type(doc, ['$', '$.response', $wrapper_id, $request_ids]) as types,
        json_type(doc, ['$.response', '$.response.' || $array, '$.' || $array]) as response_types,
        json_extract_string(doc, ['$.response.errcode', '$.errcode', '$.response.errmsg', '$.errmsg']) as envelope,
        coalesce(json_exists(doc, '$.request'), false) as has_request,
        json_extract_string(doc, $record_paths) as record_values,
        json_extract_string(doc, $wrapped_paths) as wrapped_values,
        json_extract_string(doc, $bare_paths) as bare_values,
    from records
)

select
    record_no,
    line_no,
    record_snippet,
    doc is not null as is_json,
    coalesce(types[1] = 'OBJECT', false) as is_object,
    types[2] is not null as is_wrapper,
    case when types[2] is not null then 'response.' else '' end || $array as array_label,
    has_request,
    case
        when types[3] = 'ARRAY' then json_extract_string(doc, $wrapper_id || '[*]')
        when types[3] not in ('NULL', 'OBJECT') then [json_extract_string(doc, $wrapper_id)]
    end as wrapper_ids,
    case
        when types[4] = 'ARRAY' then json_extract_string(doc, $request_ids || '[*]')
        when types[4] not in ('NULL', 'OBJECT') then [json_extract_string(doc, $request_ids)]
    end as request_ids,
    record_values,
    case when types[2] is not null then types[2] = 'OBJECT' else types[1] = 'OBJECT' end as response_is_object,
    case when types[2] is not null then response_types[2] else response_types[3] end as array_type,
    case when types[2] is not null then envelope[1] else envelope[2] end as errcode,
    case when types[2] is not null then envelope[3] else envelope[4] end as errmsg,
    case when types[2] is not null then wrapped_values else bare_values end as response_values,
    case
        when types[2] is not null then json_extract(doc, '$.response.' || $array || '[*]')
        else json_extract(doc, '$.' || $array || '[*]')
    end::varchar[] as items,
from typed
order by record_no
"""

#: Each element's type and fields (as text), one row per exploded element.
_ITEM_FIELDS_SQL = """
select
    json_type(item) as item_type,
    json_extract_string(item, $item_paths) as item_values,
from wecom_items
"""


def read_wecom_items(path: Path, rel_path: str, shape: ResponseShape) -> pl.DataFrame:
    """Every element of every saved response in the file, one row each, fields as text.

    Columns: `source_record` / `source_record_label` (the element: `line 3 response.items[0]`, or
    `items[0]` in a one-document file, where `source_record` is the 1-based element), `record_label`
    (the saved call: `line 3` or `document`), `raw_snippet`, `record_problem` (why the whole saved
    call is unusable: not JSON, a WeCom error, not this endpoint's response), `wrapper_ids`,
    `request_ids`, `has_request`, `folder_id` (the name of the file's folder), `item_index` (null
    for a call without elements), `item_problem` (an element that is not an object), and one text
    column per field of `shape`.
    """
    records = _read_records(path, rel_path, shape)
    with registered("wecom_records", records) as con:
        calls = con.sql(_RECORDS_SQL, params={
            "array": shape.array,
            "wrapper_id": shape.wrapper_id,
            "request_ids": shape.request_ids,
            "record_paths": list(shape.record_fields.values()) or ["$.__none__"],
            "wrapped_paths": [f"$.response{p[1:]}" for p in shape.response_fields.values()] or ["$.__none__"],
            "bare_paths": list(shape.response_fields.values()) or ["$.__none__"],
            "snippet_chars": SNIPPET_CHARS,
        }).pl()
    del records
    # A call without elements stays as one row with a null element (explode keeps it).
    items = calls.with_columns(pl.int_ranges(pl.col("items").list.len()).alias("item_index")).explode(
        "items", "item_index", empty_as_null=True).rename({"items": "item"})
    with registered("wecom_items", items.select("item")) as con:
        fields = con.sql(_ITEM_FIELDS_SQL, params={
            "item_paths": list(shape.item_fields.values()) or ["$.__none__"]}).pl()
    items = pl.concat([items, fields], how="horizontal")
    named = [*_named("record_values", shape.record_fields), *_named("response_values", shape.response_fields),
             *_named("item_values", shape.item_fields)]
    in_document = pl.col("line_no").is_null()
    item_label = pl.format("{}[{}]", "array_label", "item_index")
    return items.with_columns(
        *named,
        pl.when(in_document).then(pl.lit("document")).otherwise(pl.format("line {}", "line_no")).alias("record_label"),
        pl.when(in_document).then(pl.col("item_index") + 1).otherwise(pl.col("line_no")).cast(pl.Int64)
        .alias("source_record"),
        pl.when(pl.col("item_index").is_null()).then(
            pl.when(in_document).then(pl.lit("document")).otherwise(pl.format("line {}", "line_no"))
        ).when(in_document).then(item_label).otherwise(pl.format("line {} {}", "line_no", item_label))
        .alias("source_record_label"),
        pl.coalesce(pl.col("item").str.slice(0, SNIPPET_CHARS), "record_snippet").alias("raw_snippet"),
        _record_problem(shape).alias("record_problem"),
        pl.when(pl.col("item_index").is_not_null() & (pl.col("item_type") != "OBJECT"))
        .then(pl.format("{}[{}] is not an object; expected {{…}}", "array_label", "item_index"))
        .alias("item_problem"),
        _clean_ids("wrapper_ids"),
        _clean_ids("request_ids"),
        pl.lit(_folder_id(rel_path, shape.kind), pl.String).alias("folder_id"),
    ).drop("record_values", "response_values", "item_values", "item", "record_snippet")


def _named(column: str, names: dict[str, str]) -> list[pl.Expr]:
    """The values DuckDB extracted as one list (in `names` order) as one column per name."""
    return [pl.col(column).list.get(i, null_on_oob=True).alias(name) for i, name in enumerate(names)]


def _read_records(path: Path, rel_path: str, shape: ResponseShape) -> pl.DataFrame:
    """`(record_no, line_no, raw)`: the whole file as one record when it is one JSON document
    (`line_no` null), else one record per non-blank line (JSON Lines of saved calls; always for a
    `.jsonl` / `.ndjson` file, so its labels say `line N` even when it holds one call)."""
    expected = (f"a saved {shape.endpoint} response (a JSON object with {shape.array}), a wrapper "
                f"{{\"request\": …, \"response\": …}}, or JSON Lines of them")
    text, _ = read_text(path, display_path=rel_path)
    if not text.strip():
        raise ExportReadError(rel_path, f"the file is empty; expected {expected}")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            raise ValueError("JSON Lines by name")  # even with one line, label records by line
        document = json.loads(text)
    except ValueError:
        lines = pl.DataFrame({"raw": text.split("\n")}).with_row_index("line_no", offset=1).with_columns(
            pl.col("raw").str.strip_suffix("\r"))
        lines = lines.filter(pl.col("raw").str.strip_chars() != "")
        if not _is_json_object(lines["raw"][0]):
            raise ExportReadError(rel_path, f"line {lines['line_no'][0]:d} is not JSON; expected {expected}")
        return lines.with_row_index("record_no").select(
            pl.col("record_no").cast(pl.Int64), pl.col("line_no").cast(pl.Int64), "raw")
    if not isinstance(document, dict):
        raise ExportReadError(rel_path, f"the file is a JSON {type(document).__name__}; expected {expected}")
    return pl.DataFrame({"record_no": [0], "line_no": [None], "raw": [text]},
                        schema={"record_no": pl.Int64, "line_no": pl.Int64, "raw": pl.String})


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _record_problem(shape: ResponseShape) -> pl.Expr:
    """Why a saved call gives no usable rows at all; WeCom's own error wins over shape problems
    because it is the one the person re-running the call can act on."""
    errcode = pl.col("errcode")
    failed = errcode.is_not_null() & (errcode.str.strip_chars() != "0")
    return (
        pl.when(~pl.col("is_json")).then(pl.lit("not JSON; expected one saved call per line (a JSON object)"))
        .when(~pl.col("is_object")).then(pl.lit("not a JSON object; expected a saved call {…}"))
        .when(pl.col("is_wrapper") & ~pl.col("response_is_object"))
        .then(pl.lit(f"response is not an object; expected the {shape.endpoint} response"))
        .when(failed).then(pl.format(
            f"WeCom returned errcode {{}} ({{}}) instead of data; call {shape.endpoint} again once the "
            "error is fixed", errcode, pl.col("errmsg").fill_null("no errmsg")))
        .when(pl.col("array_type").is_null()).then(pl.format(
            f"no {{}}; expected a {shape.endpoint} response {{{{\"errcode\": 0, \"{shape.array}\": [...]}}}} "
            "or a wrapper {{\"request\": ..., \"response\": ...}}", "array_label"))
        .when(pl.col("array_type") != "ARRAY").then(pl.format("{} is not a list; expected [...]", "array_label"))
    )


def _clean_ids(column: str) -> pl.Expr:
    """Ids without surrounding space; blank ids dropped (an empty list stays empty)."""
    return pl.col(column).list.eval(
        pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != "")).alias(column)


def _folder_id(rel_path: str, kind: str) -> str | None:
    """The name of the folder the file is in, unless that is the kind's own folder: a bare
    response under `inputs/<kind>/<userid>/` is about that userid."""
    parts = PurePosixPath(rel_path).parts
    if len(parts) < 2 or parts[-2] in ("inputs", kind):
        return None
    return parts[-2]


def whom(shape_ids: str, noun: str, endpoint: str, folder_hint: str) -> tuple[pl.Expr, pl.Expr]:
    """(the one id a saved call is about, why it cannot be credited to one id).

    The request's id list is the evidence of what WeCom was asked; several ids mean WeCom added
    their data together. A wrapper's own id is what the person saving the call wrote down; the
    file's folder is the fallback when neither names anyone (a bare response; `folder_hint` says
    where to put it). A wrapper's id wins over the folder: files are moved more often than edited."""
    wrapper, request = pl.col("wrapper_ids"), pl.col("request_ids")
    one_wrapper = pl.when(wrapper.list.len() == 1).then(wrapper.list.first())
    one_request = pl.when(request.list.len() == 1).then(request.list.first())
    combined = (
        f"{{}} names {{}} {noun}s ({{}}), so {endpoint} returned their combined totals, which cannot be "
        f"credited to one {noun}; call {endpoint} once per {noun}"
    )
    problem = (
        pl.when(request.list.len() > 1).then(
            pl.format(combined, pl.lit(shape_ids), request.list.len(), request.list.join(", ")))
        .when(wrapper.list.len() > 1).then(
            pl.format(combined, pl.lit("the wrapper"), wrapper.list.len(), wrapper.list.join(", ")))
        .when(one_wrapper.is_not_null() & one_request.is_not_null() & (one_wrapper != one_request)).then(
            pl.format(f"the wrapper names {noun} {{}} but {shape_ids} asked for {{}}; keep the one the call was for",
                      one_wrapper, one_request))
        .when(pl.coalesce(one_request, one_wrapper, pl.col("folder_id")).is_null()).then(pl.lit(
            f"the response does not say which {noun} it is about; save it as a wrapper {folder_hint}"))
    )
    return pl.coalesce(one_request, one_wrapper, pl.col("folder_id")), problem


def whole_number(text: pl.Expr) -> pl.Expr:
    """A JSON count (`12`, `"12"`, `12.0`) as Int64; null when not a whole number ≥ 0."""
    return text.str.strip_chars().str.extract(r"^([0-9]+)(?:\.0+)?$").cast(pl.Int64, strict=False)


def whole_number_problem(text: pl.Expr, name: str) -> pl.Expr:
    cleaned = text.str.strip_chars()
    return (
        pl.when(text.is_null()).then(None)
        .when(cleaned.str.contains(r"^-[0-9]+(?:\.0+)?$")).then(
            pl.format(f"{name} {{}} is negative; expected a count ≥ 0", cleaned))
        .when(whole_number(text).is_null()).then(pl.format(f"{name} {{}} is not a whole number", cleaned))
    )


def decimal(text: pl.Expr) -> pl.Expr:
    """A JSON number (`60.25`, `"60.25"`) as Float64; null when unreadable or not finite."""
    number = text.str.strip_chars().cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def decimal_problem(text: pl.Expr, name: str, low: float, high: float | None, expected: str) -> pl.Expr:
    number = decimal(text)
    out_of_range = number < low if high is None else (number < low) | (number > high)
    return (
        pl.when(text.is_null()).then(None)
        .when(number.is_null()).then(pl.format(f"{name} {{}} is not a number; expected {expected}", text))
        .when(out_of_range).then(pl.format(f"{name} {{}} is out of range; expected {expected}", text))
    )


def epoch_instant(text: pl.Expr) -> pl.Expr:
    """WeCom's `stat_time` / `day_begin_time` (epoch seconds; text from vendor relays) as a UTC
    instant; null when it is not epoch seconds (pair it with `epoch_problem`)."""
    seconds = text.str.strip_chars().str.extract(r"^([0-9]{1,10})(?:\.0+)?$").cast(pl.Int64)
    return pl.from_epoch(seconds, time_unit="s").dt.replace_time_zone("UTC")


def local_day(instant: pl.Expr, timezone: str) -> pl.Expr:
    """The local date of an instant; WeCom numbers days from 00:00 China time and floors the rest."""
    return instant.dt.convert_time_zone(timezone).dt.date()


def off_midnight(instant: pl.Expr, timezone: str) -> pl.Expr:
    """True when the instant is not 00:00 local time (WeCom floors such a value to its day)."""
    local = instant.dt.convert_time_zone(timezone)
    return local != local.dt.truncate("1d")


def epoch_problem(text: pl.Expr, instant: pl.Expr, name: str) -> pl.Expr:
    return (
        pl.when(text.is_null()).then(pl.lit(f"no {name}; expected the day's epoch seconds (e.g. 1536508800)"))
        .when(instant.is_null()).then(pl.format(f"{name} {{}} is not epoch seconds (expected e.g. 1536508800)", text))
    )


def problems(*reasons: pl.Expr) -> pl.Expr:
    """All of a row's reasons, `; `-joined; null when there are none."""
    joined = pl.concat_str(list(reasons), separator="; ", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


def mark_duplicates(frame: pl.DataFrame, key: list[str], described: pl.Expr) -> pl.DataFrame:
    """Among rows without a problem (in file order), every repeat of `key` gets a problem naming
    the record that is kept. `described` renders the key for the reason."""
    usable = pl.col("problem").is_null()
    keyed = frame.with_columns(pl.int_range(pl.len()).alias("_order"))
    firsts = keyed.filter(usable).with_columns(
        pl.col("source_record_label").first().over(key, order_by="_order").alias("_first_label"),
        pl.col("_order").first().over(key, order_by="_order").alias("_first_order"),
    ).filter(pl.col("_order") != pl.col("_first_order")).select(
        "_order", pl.format("duplicate of {} ({}); the first is kept", "_first_label", described).alias("_duplicate"))
    return keyed.join(firsts, on="_order", how="left", maintain_order="left").with_columns(
        pl.coalesce("problem", "_duplicate").alias("problem")).drop("_order", "_duplicate")


def split(frame: pl.DataFrame, schema: dict[str, pl.DataType], warnings: list[str]) -> InputResult:
    """Rows without a problem in the kind's schema, and the quarantine for the rest."""
    rows = frame.filter(pl.col("problem").is_null()).select(
        *(pl.col(name).cast(dtype) for name, dtype in schema.items()), "source_record", "source_record_label")
    quarantine = frame.filter(pl.col("problem").is_not_null()).select(
        "source_record", "source_record_label", pl.col("problem").alias("reason"), "raw_snippet")
    return InputResult(rows=rows, quarantine=quarantine, warnings=warnings)


def off_midnight_warning(frame: pl.DataFrame, timezone: str) -> list[str]:
    """One warning for the kept rows whose epoch (`off_midnight_value`, e.g. `stat_time 1777771800`,
    null when it was midnight) was floored to its day."""
    floored = frame.filter(pl.col("off_midnight_value").is_not_null() & pl.col("problem").is_null())
    if not floored.height:
        return []
    first = floored.row(0, named=True)
    return [f"{floored.height} record(s) have a day's epoch that is not 00:00 {timezone} (first: "
            f"{first['source_record_label']}, {first['off_midnight_value']}); they were floored to that "
            "day, as WeCom does"]


def empty_call_warnings(frame: pl.DataFrame, array: str) -> list[str]:
    """Saved calls that succeeded but hold no elements (nothing to load, nothing wrong)."""
    empty = frame.filter(pl.col("item_index").is_null() & pl.col("problem").is_null())
    return [f"{label}: the response's {array} is empty" for label in empty["record_label"]]


# --------------------------------------------------------------------------------------------------
# get_user_behavior_data
# --------------------------------------------------------------------------------------------------

SHAPE = ResponseShape(
    kind=NAME,
    endpoint="get_user_behavior_data",
    array="behavior_data",
    wrapper_id="$.userid",
    request_ids="$.request.userid",
    record_fields={"request_partyid": "$.request.partyid"},
    item_fields={name: f"$.{name}" for name in (
        "stat_time", "chat_cnt", "message_cnt", "reply_percentage", "avg_reply_time", *COUNT_FIELDS[2:])},
)


def parse(path: Path, rel_path: str, timezone: str = "Asia/Shanghai") -> InputResult:
    """One file of saved get_user_behavior_data calls → rows per (userid, stat_date).

    `timezone` is the zone WeCom's days are counted in (China time: keep the default)."""
    items = read_wecom_items(path, rel_path, SHAPE)
    userid, identity_problem = whom(
        "request.userid", "staff member", "get_user_behavior_data",
        f"{{\"userid\": \"zhangsan\", \"response\": …}} or put the file in inputs/{NAME}/<userid>/")
    stat_time, stat_at = pl.col("stat_time"), pl.col("stat_at")
    frame = items.with_columns(epoch_instant(stat_time).alias("stat_at")).with_columns(
        userid.alias("userid"),
        local_day(stat_at, timezone).alias("stat_date"),
        pl.when(off_midnight(stat_at, timezone)).then(pl.format("stat_time {}", stat_time)).alias("off_midnight_value"),
        *(whole_number(pl.col(name)).alias(name) for name in COUNT_FIELDS),
        decimal(pl.col("reply_percentage")).alias("reply_percentage"),
        decimal(pl.col("avg_reply_time")).alias("avg_reply_time"),
        pl.coalesce(
            pl.col("record_problem"),
            _department_problem(),
            identity_problem,
            pl.col("item_problem"),
            pl.when(pl.col("item_index").is_not_null()).then(problems(
                epoch_problem(stat_time, stat_at, "stat_time"),
                *(whole_number_problem(pl.col(name), name) for name in COUNT_FIELDS),
                decimal_problem(pl.col("reply_percentage"), "reply_percentage", 0, 100,
                                "a percentage 0–100, e.g. 60.25"),
                decimal_problem(pl.col("avg_reply_time"), "avg_reply_time", 0, None, "minutes ≥ 0"),
            )),
        ).alias("problem"),
    )
    frame = frame.filter(pl.col("item_index").is_not_null() | pl.col("problem").is_not_null())
    frame = mark_duplicates(frame, ["userid", "stat_date"], pl.format(
        "same userid {} and stat_date {}", "userid", "stat_date"))
    warnings = [
        *off_midnight_warning(frame, timezone),
        *_fraction_warning(frame),
        *empty_call_warnings(items.with_columns(problem=pl.col("record_problem")), SHAPE.array),
    ]
    return split(frame, SCHEMA, warnings)


def _department_problem() -> pl.Expr:
    """`partyid` asks for a whole department: its members' combined totals."""
    party = pl.col("request_partyid")
    return pl.when(party.is_not_null() & ~party.str.strip_chars().is_in(["[]", ""])).then(pl.format(
        "request.partyid {} asks for a department's combined totals, which cannot be credited to one "
        "staff member; call get_user_behavior_data once per staff member", party))


def _fraction_warning(frame: pl.DataFrame) -> list[str]:
    """WeCom writes 60.25 for 60.25 %; a file of values ≤ 1 with fractions looks like a relay
    (or a mock) writing 0.6025, which would make every reply rate 100× too small."""
    values = frame.filter(pl.col("problem").is_null() & pl.col("reply_percentage").is_not_null())["reply_percentage"]
    if values.is_empty() or values.max() > 1 or (values == values.floor()).all():
        return []
    return [f"every reply_percentage in this file is ≤ 1 and some are fractional (e.g. "
            f"{values.filter(values != values.floor())[0]}): WeCom writes percentages (60.25 means 60.25 %), "
            "so the source may be writing fractions; check it before using reply rates"]


DESCRIPTION = (
    "WeCom 客户联系统计 (externalcontact/get_user_behavior_data), one row per staff member (WeCom userid) and "
    "day (stat_date, China time): chat_cnt chats and message_cnt messages with external contacts, "
    "reply_percentage (a percentage 0–100 of chats the member replied to), avg_reply_time (average first-reply "
    "time in minutes), negative_feedback_cnt (customers who deleted or blocked the member), new_apply_cnt "
    "(friend requests the member sent) and new_contact_cnt (new customers). reply_percentage and "
    "avg_reply_time are NULL on days without chats (WeCom does not return them), never 0. Group chats are not "
    "included. Calls that named several members or a department (combined totals) and WeCom errors are in "
    "raw.input_quarantine, not here. userid is the raw WeCom id; staging maps it to the roster."
)

KIND = InputKind(name=NAME, table="raw.wecom_user_behavior", schema=SCHEMA, parse=parse,
                 description=DESCRIPTION, version="1")

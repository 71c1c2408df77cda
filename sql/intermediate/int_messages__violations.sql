-- Rule hits of KPI_SPEC §4.2 on counted text messages, staff and members alike.
-- Grain: one row per (message, rule) hit over staging.stg_chat__messages where is_counted and
-- kind = 'text'; a message hitting several rules has one row per rule. Rules and parameters:
--   * ads: a term of the rubric's ads lexicon (`ads_pattern`), or a URL whose host is not on the
--     rubric's `url_allow_hosts` (a listed host allows itself and its subdomains). A URL is
--     `http(s)://…`, `www.…`, or a bare domain ending in a common TLD (`xx.com`, `xx.com.cn`, `xx.top`…).
--     E-mail addresses are not URLs.
--   * abuse / sensitive: a term of `abuse_pattern` / `sensitive_pattern` (NULL = empty list = never fires).
--   * privacy (built in, not configurable): a number not inside a longer digit run that is
--       - a mainland mobile number `1[3-9]` + 9 digits (also written `+86…` or `138 1234 5678` /
--         `138-1234-5678`);
--       - an 18-character resident ID `\d{17}[\dXx]` whose digits 7–14 are a real birth date and whose
--         last character is the GB 11643 (ISO 7064 MOD 11-2) check character — this keeps 18-digit
--         order numbers, common in customer-service groups, from counting as IDs;
--       - a bank card number of 16–19 digits (plain or in groups of four) passing the Luhn check.
--     Full-width digits are read as digits.
--   * flood: message m by sender s (staff_id or member_key) in group g is a hit when s sent at least
--     `flood_messages` messages in g with the same text (compared after trimming whitespace from both
--     ends, case-sensitive, empty texts ignored) within the `flood_window_minutes` ending at m,
--     m included: i.e. the `flood_messages`-th of such a run and every later one still within a window.
--     Same-text messages are ordered by (sent_at, source_file, source_record), so ties count once each.
-- `matched_text_masked` never holds the message text: privacy hits the masked numbers (mobile
-- 138****5678, ID first 6 + ******** + last 4, card first 4 + **** + last 4); ads/abuse/sensitive the
-- matched lexicon terms (lower case) and non-allowed hosts (long digit runs in a host masked as ****);
-- flood `repeated ×N`, N = same-text messages in the window ending at this one. Distinct items of a
-- rule are sorted and joined with ', '.
-- Content rules (ads, abuse, sensitive, privacy) read what the sender wrote: @-mentions (`@` + a name in the
-- message's `mentions`) are removed first, so a mentioned display name such as `@日结兼职-小雨` is not
-- the sender's words. The flood rule compares the whole text.
-- Speed, with the results of every rule run on every message: the rubric patterns are read as session
-- variables (pipelines/sql_runner.py), so each is compiled once per query (read from a column it would
-- be compiled once per row: ~45 µs, minutes per million messages); the content rules run only on
-- `content_candidates`, the messages meeting a necessary condition of one of them; the flood rule's two
-- window functions, which sort what they read, run only on the messages that could be part of a flood
-- (`flood_scope`).
-- Partitions: monthly, by sent_at.
with

settings as (
    select * from raw.rubric_settings
),

-- not materialized: each use below reads the staging table again (the columns it needs), which costs less
-- than holding every counted text until the last use (the flood scope and the final join come late)
texts as not materialized (
    select
        platform,
        source_key,
        message_id,
        group_id,
        group_category,
        sent_at,
        sent_date,
        sent_month,
        sent_quarter,
        case when staff_id is not null then 'staff' else 'member' end as sender_kind,
        staff_id,
        member_key,
        coalesce(text, '') as text,
        -- what the sender wrote: @-mentions removed (see the header); most messages mention nobody
        case
            when len(mentions) = 0 then coalesce(text, '')
            else list_reduce(
                list_prepend(coalesce(text, ''), mentions),
                lambda remaining, mentioned: replace(remaining, '@' || mentioned, ' ')
            )
        end as content_text,
        source_file,
        source_record,
        source_record_label
    from staging.stg_chat__messages
    where is_counted and kind = 'text'
        -- A run for some months reads only their messages and, for the flood rule, one window before them:
        -- the runner sets the bounds (pipelines/sql_runner.py); unset, as in an analyst's shell, all rows.
        and coalesce(sent_at >= getvariable('partition_start') - to_microseconds(
            ((select flood_window_minutes from raw.rubric_settings) * 60000000)::bigint), true)
        and coalesce(sent_at < getvariable('partition_end'), true)
),

-- content rules ----------------------------------------------------------------------------------

-- The content rules run on the few messages that could break one, found by one regex of necessary
-- conditions: a term of a lexicon (each pattern in its own group, so its inline flags such as `(?i)` stay
-- its own; a NULL pattern, an empty lexicon, drops out), a `.` or `://` (in every URL form), or three
-- digits in a row (in every mobile, ID and card number form, full-width digits included).
content_candidates as materialized (
    select platform, source_key, message_id, sent_date, content_text
    from texts
    where regexp_matches(content_text, concat_ws('|',
        '(?:' || getvariable('ads_pattern') || ')',
        '(?:' || getvariable('abuse_pattern') || ')',
        '(?:' || getvariable('sensitive_pattern') || ')',
        '\.|://|[0-9０-９]{3}'
    ))
),

-- ads / abuse / sensitive ------------------------------------------------------------------------

lexicon_matches as (
    select platform, source_key, message_id, 'ads' as rule,
           regexp_extract_all(content_text, getvariable('ads_pattern')) as matched
    from content_candidates
    union all
    select platform, source_key, message_id, 'abuse' as rule,
           regexp_extract_all(content_text, getvariable('abuse_pattern')) as matched
    from content_candidates
    union all
    select platform, source_key, message_id, 'sensitive' as rule,
           regexp_extract_all(content_text, getvariable('sensitive_pattern')) as matched
    from content_candidates
),

lexicon_items as (
    select lexicon_matches.platform, lexicon_matches.source_key, lexicon_matches.message_id,
           lexicon_matches.rule, lower(matches.item) as item
    from lexicon_matches,
        unnest(lexicon_matches.matched) as matches(item)
),

-- URLs: a scheme or www. URL runs to the next space or non-ASCII character (so a domain in its path
-- is not a second URL); e-mail addresses are matched first so that their domain is not a URL.
url_tokens as (
    select content_candidates.platform, content_candidates.source_key, content_candidates.message_id,
           tokens.token
    from content_candidates,
        unnest(regexp_extract_all(
            content_candidates.content_text,
            '(?i)(?:https?://|www\.)[!-~]+'
            || '|[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+'
            || '|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|info|biz|io|co|cc|me|tv|top|xyz|vip'
            || '|shop|site|online|club|app|dev|link|live|store|tech|ltd|wang|ink|fun|asia|hk|tw|mo)\b(?:/[!-~]*)?'
        )) as tokens(token)
),

url_hosts as (
    select
        platform,
        source_key,
        message_id,
        rtrim(lower(regexp_extract(token, '(?i)^(?:https?://)?(?:[^/?#@]*@)?([a-z0-9.-]+)', 1)), '.') as host
    from url_tokens
    where not regexp_full_match(token, '(?i)[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+')
),

url_items as (
    select
        url_hosts.platform,
        url_hosts.source_key,
        url_hosts.message_id,
        'ads' as rule,
        regexp_replace(url_hosts.host, '[0-9]{7,}', '****', 'g') as item
    from url_hosts
    cross join settings
    where url_hosts.host <> ''
        and len(list_filter(
            settings.url_allow_hosts,
            lambda allowed: url_hosts.host = allowed or ends_with(url_hosts.host, '.' || allowed)
        )) = 0
),

-- privacy -----------------------------------------------------------------------------------------

-- Candidate numbers: a mobile in 3-4-4 groups, a card in groups of four, else a maximal digit run
-- (with an optional leading + and trailing X). `\b` keeps grouped forms out of longer digit runs.
number_tokens as (
    select
        content_candidates.platform,
        content_candidates.source_key,
        content_candidates.message_id,
        content_candidates.sent_date,
        tokens.token,
        regexp_replace(tokens.token, '[^0-9Xx]', '', 'g') as digits
    from content_candidates,
        unnest(regexp_extract_all(
            translate(content_candidates.content_text, '０１２３４５６７８９Ｘｘ＋', '0123456789Xx+'),
            '\b1[3-9][0-9][ -][0-9]{4}[ -][0-9]{4}\b'
            || '|\b[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?\b'
            || '|\+?[0-9]+[Xx]?'
        )) as tokens(token)
),

classified_numbers as (
    select
        *,
        regexp_full_match(token, '(?:\+86)?1[3-9][0-9]{9}|1[3-9][0-9][ -][0-9]{4}[ -][0-9]{4}') as is_mobile,
        regexp_full_match(token, '[0-9]{17}[0-9Xx]')
            and try_strptime(substr(token, 7, 8), '%Y%m%d')::date between date '1900-01-01' and sent_date
            and upper(right(token, 1)) = substr('10X98765432', 1 + (list_sum(list_transform(
                [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2],
                lambda weight, position: weight * try_cast(substr(token, position, 1) as integer)
            )) % 11)::integer, 1) as is_resident_id,
        -- Luhn: from the right, every second digit doubled (minus 9 when above 9); the sum ends in 0
        regexp_full_match(digits, '[0-9]{16,19}') and not starts_with(token, '+')
            and list_sum(list_transform(
                list_reverse(string_split(digits, '')),
                lambda digit, position: case
                    when position % 2 = 1 then try_cast(digit as integer)
                    when try_cast(digit as integer) * 2 > 9 then try_cast(digit as integer) * 2 - 9
                    else try_cast(digit as integer) * 2
                end
            )) % 10 = 0 as passes_luhn
    from number_tokens
    where length(digits) >= 11
),

privacy_items as (
    select
        platform,
        source_key,
        message_id,
        'privacy' as rule,
        case
            when is_mobile then left(right(digits, 11), 3) || '****' || right(digits, 4)
            when is_resident_id then left(token, 6) || '********' || upper(right(token, 4))
            else left(digits, 4) || '****' || right(digits, 4)
        end as item
    from classified_numbers
    where is_mobile or is_resident_id or passes_luhn
),

-- flood -------------------------------------------------------------------------------------------

-- A flood hit needs `flood_messages` messages of one sender within `flood_window_minutes`. With time cut
-- into slots a little longer than the window, such a run lies in two adjacent slots, one of which holds at
-- least half of it (a busy slot); so a hit lies in a busy slot or in the slot after one, and its window in
-- its own slot and the one before. The exact rule (`repeats`, `repeat_windows`) therefore runs on the
-- messages in busy slots and their neighbours, whatever their text: every hit and its count come out as
-- over all messages, and a message left out could not be a hit. Senders are told apart by a hash here;
-- two senders sharing one would only add messages to look at.
flood_slots as (
    select
        greatest((flood_window_minutes * 60000000)::bigint, 0) + 1 as slot_microseconds,
        (flood_messages + 1) // 2 as busy_slot_messages
    from settings
),

-- not materialized: computed where used, instead of a copy of every counted text
sender_slots as not materialized (
    select
        texts.platform,
        texts.source_key,
        texts.message_id,
        texts.group_id,
        texts.sender_kind,
        coalesce(texts.staff_id, texts.member_key) as sender_id,
        texts.sent_at,
        texts.source_file,
        texts.source_record,
        texts.text,
        hash(texts.group_id, texts.sender_kind, coalesce(texts.staff_id, texts.member_key)) as sender_hash,
        epoch_us(texts.sent_at) // flood_slots.slot_microseconds as slot
    from texts
    cross join flood_slots
),

busy_slots as (
    select sender_slots.sender_hash, sender_slots.slot
    from sender_slots
    cross join flood_slots
    group by sender_slots.sender_hash, sender_slots.slot, flood_slots.busy_slot_messages
    having count(*) >= flood_slots.busy_slot_messages
),

flood_scope as (
    select distinct busy_slots.sender_hash, busy_slots.slot + neighbours.slot_offset as slot
    from busy_slots
    cross join (values (-1), (0), (1)) as neighbours(slot_offset)
),

-- materialized, so that the trimming regex runs after the scope is applied, not on every counted text
repeat_keys as materialized (
    select
        sender_slots.* exclude (text, sender_hash, slot),
        regexp_replace(sender_slots.text, '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g') as repeated_text
    from sender_slots
    semi join flood_scope
        on flood_scope.sender_hash = sender_slots.sender_hash
        and flood_scope.slot is not distinct from sender_slots.slot
),

repeats as (
    select
        repeat_keys.*,
        settings.flood_messages,
        to_seconds(settings.flood_window_minutes * 60) as flood_window,
        row_number() over (
            partition by repeat_keys.group_id, repeat_keys.sender_kind, repeat_keys.sender_id,
                repeat_keys.repeated_text
            order by repeat_keys.sent_at, repeat_keys.source_file, repeat_keys.source_record,
                repeat_keys.message_id
        ) as repeat_number
    from repeat_keys
    cross join settings
    where repeat_keys.repeated_text <> ''
),

repeat_windows as (
    select
        *,
        -- the first same-text message within the window ending at this one (later ties do not lower it)
        min(repeat_number) over (
            partition by group_id, sender_kind, sender_id, repeated_text
            order by sent_at
            range between flood_window preceding and current row
        ) as window_first_number
    from repeats
),

flood_items as (
    select
        platform,
        source_key,
        message_id,
        'flood' as rule,
        'repeated ×' || (repeat_number - window_first_number + 1) as item
    from repeat_windows
    where repeat_number - window_first_number + 1 >= flood_messages
),

-- one row per (message, rule) ----------------------------------------------------------------------

items as (
    select * from lexicon_items
    union all
    select * from url_items
    union all
    select * from privacy_items
    union all
    select * from flood_items
),

hits as (
    select
        platform,
        source_key,
        message_id,
        rule,
        string_agg(distinct item, ', ' order by item) as matched_text_masked
    from items
    group by all
),

final as (
    select
        texts.message_id,
        texts.platform,
        texts.source_key,
        texts.group_id,
        texts.group_category,
        texts.sent_at,
        texts.sent_date,
        texts.sent_month,
        texts.sent_quarter,
        texts.sender_kind,
        texts.staff_id,
        texts.member_key,
        hits.rule,
        hits.matched_text_masked,
        texts.source_file,
        texts.source_record,
        texts.source_record_label
    from texts
    inner join hits
        on hits.platform = texts.platform
        and hits.source_key = texts.source_key
        and hits.message_id = texts.message_id
)

select * from final

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
-- Lexicon matching: DuckDB compiles a regex taken from a column once per row (~45 µs; over 2 minutes per
-- million messages for three lexicons), so each lexicon's literal terms are first read back out of its
-- pattern (the `(?i)(?:t1|\bt2\b|…)` form of pipelines/rubric.py `lexicon_pattern`) and only messages
-- containing a term (case-folded) go through the regex, which alone decides the hits. Any text the
-- pattern matches contains one of its terms, so this prefilter changes speed, not results; a pattern
-- not of that literal-terms form skips it (every message goes through the regex).
-- Partitions: monthly, by sent_at.
with

settings as (
    select * from raw.rubric_settings
),

texts as (
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
        -- what the sender wrote: @-mentions removed (see the header)
        list_reduce(
            list_prepend(coalesce(text, ''), mentions),
            lambda remaining, mentioned: replace(remaining, '@' || mentioned, ' ')
        ) as content_text,
        source_file,
        source_record,
        source_record_label
    from staging.stg_chat__messages
    where is_counted and kind = 'text'
),

-- ads / abuse / sensitive ------------------------------------------------------------------------

lexicons as (
    select 'ads' as rule, ads_pattern as pattern from settings
    union all
    select 'abuse' as rule, abuse_pattern as pattern from settings
    union all
    select 'sensitive' as rule, sensitive_pattern as pattern from settings
),

lexicon_parts as (
    select
        rule,
        pattern,
        -- `(?i)(?:t1|\bt2\b|…)` split on unescaped `|`
        regexp_extract_all(regexp_extract(pattern, '^\(\?i\)\(\?:(.*)\)$', 1), '(?:\\.|[^|\\])+') as parts
    from lexicons
    where pattern is not null
),

lexicon_terms as (
    select
        rule,
        pattern,
        case
            -- every part a literal: characters, escaped metacharacters, optional `\b` guards at both ends
            when len(parts) > 0 and len(list_filter(parts, lambda part: not regexp_full_match(
                part, '(?:\\b)?(?:\\[\\.^$|?*+()\[\]{}]|[^\\.^$|?*+()\[\]{}])+(?:\\b)?'
            ))) = 0
                then list_transform(parts, lambda part: lower(
                    regexp_replace(regexp_replace(part, '^\\b|\\b$', '', 'g'), '\\(.)', '\1', 'g')
                ))
            else []
        end as terms
    from lexicon_parts
),

lexicon_candidates as (
    select lowered.platform, lowered.source_key, lowered.message_id, lowered.content_text, lexicon_terms.rule,
           lexicon_terms.pattern
    from (select *, lower(content_text) as lower_text from texts) as lowered
    cross join lexicon_terms
    where len(lexicon_terms.terms) = 0
        or len(list_filter(lexicon_terms.terms, lambda term: contains(lowered.lower_text, term))) > 0
),

lexicon_items as (
    select lexicon_candidates.platform, lexicon_candidates.source_key, lexicon_candidates.message_id,
           lexicon_candidates.rule, lower(matches.item) as item
    from lexicon_candidates,
        unnest(regexp_extract_all(lexicon_candidates.content_text, lexicon_candidates.pattern)) as matches(item)
),

-- URLs: a scheme or www. URL runs to the next space or non-ASCII character (so a domain in its path
-- is not a second URL); e-mail addresses are matched first so that their domain is not a URL.
url_tokens as (
    select texts.platform, texts.source_key, texts.message_id, tokens.token
    from texts,
        unnest(regexp_extract_all(
            texts.content_text,
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
        texts.platform,
        texts.source_key,
        texts.message_id,
        texts.sent_date,
        tokens.token,
        regexp_replace(tokens.token, '[^0-9Xx]', '', 'g') as digits
    from texts,
        unnest(regexp_extract_all(
            translate(texts.content_text, '０１２３４５６７８９Ｘｘ＋', '0123456789Xx+'),
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

repeat_keys as (
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
        regexp_replace(texts.text, '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g') as repeated_text
    from texts
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

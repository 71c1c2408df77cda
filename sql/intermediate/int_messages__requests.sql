-- Members' request messages (KPI_SPEC §3): a member's question or complaint in a group whose category takes
-- requests, with what marts.fct_requests reads of it. Grain: one request message.
-- A table, partitioned by month: the lexicon regexes run once per message, in the run that loads it, not
-- in every run of marts.fct_requests (for a new day, over its own messages instead of ten million).
-- Partitions: monthly, by sent_at.
select group_id, member_key, message_id, sent_at, is_complaint, source_file, source_record, source_record_label
from intermediate.int_messages__classified
where is_request_message

-- Blocking: each request once, and a response never before the request opened.
select request_id, count(*) as copies, min(opened_at) as opened_at, min(responded_at) as responded_at
from marts.fct_requests
group by all
having count(*) > 1 or min(responded_at) < min(opened_at)

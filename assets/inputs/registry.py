"""Every input kind the pipeline reads, by its folder name under `inputs/`."""

from __future__ import annotations

from assets.inputs import (
    content_audits,
    content_posts,
    evaluations,
    group_stats,
    surveys,
    tickets,
    wecom_behavior,
    wecom_groupchat,
)
from assets.inputs.base import InputKind

KINDS: dict[str, InputKind] = {
    kind.name: kind
    for kind in (
        wecom_behavior.KIND,
        wecom_groupchat.KIND,
        group_stats.KIND,
        content_posts.KIND,
        surveys.KIND,
        tickets.KIND,
        content_audits.KIND,
        evaluations.KIND,
    )
}

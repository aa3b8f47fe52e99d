"""Job postings: what the staff console, the API, the CLI and the scheduler call.

- postings: save_posting (create/update by external_id), withdraw_posting, expire_postings (tick),
  view_stats (views per posting for staff), open_postings / is_open (what residents may see)
- import_file: import_file(session, path, actor=…, knowledge_dir=…) → ImportReport (a line per row)
- search: parse_query / search (typo- and homophone-tolerant free text)
- digest: subscriptions, send_job_digests (tick), subscriber_openids (notice audience)
"""
from bot.jobs.digest import (add_subscription, forget_resident, list_subscriptions, remove_subscriptions,
                             send_job_digests, subscriber_openids)
from bot.jobs.import_file import ImportFileError, ImportReport, import_file
from bot.jobs.postings import (InvalidPosting, PostingNotFound, expire_postings, save_posting, view_stats,
                               withdraw_posting)

__all__ = ["add_subscription", "forget_resident", "list_subscriptions", "remove_subscriptions",
           "send_job_digests", "subscriber_openids", "ImportFileError", "ImportReport", "import_file",
           "InvalidPosting", "PostingNotFound", "expire_postings", "save_posting", "view_stats",
           "withdraw_posting"]

"""The student's mailbox as evidence for the checks, read from headers only.

``[mail]`` in sheetsync.toml (or ``--mail SOURCE``) names a mailbox: an mbox file (a Google
Takeout export), a Maildir folder, or an IMAP account. For each contact with an e-mail address
in the tracker, sheetsync learns the dates of messages to and from them — From/To/Cc/Date and
Message-ID, never a body, never a subject — and the rules take that into account: a reply
stops the chase, a message after an interview counts as the thank-you, the latest message
updates "last in touch". No cell of the user's is written; the evidence shows in the managed
column ``sheetsync · mail`` and in findings that name the cell to fill.

Modules, in pipeline order:

* :mod:`sheetsync.mail.config` — ``[mail]`` → :class:`MailConfig`;
* :mod:`sheetsync.mail.headers` — one message's headers → a :class:`Header` record;
* :mod:`sheetsync.mail.sources` — mbox and Maildir readers;
* :mod:`sheetsync.mail.imap` — the IMAP reader (server-side SEARCH, incremental by UID);
* :mod:`sheetsync.mail.evidence` — headers → per-contact dates → frame columns and words;
* :mod:`sheetsync.mail.collect` — the pipeline's step: gather, attach, or a note when the
  mailbox cannot be read (the run goes on without it);
* :mod:`sheetsync.mail.probe` — what ``sheetsync doctor`` says about the mailbox.

The rules that use the evidence are in :mod:`sheetsync.rules.mail` (record-reply,
record-outreach), :mod:`~sheetsync.rules.chase`, :mod:`~sheetsync.rules.after` and
:mod:`~sheetsync.rules.keeping`; they read the frame's ``mail_*`` columns, never the mailbox.
"""

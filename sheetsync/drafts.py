"""Email drafts rendered from templates/, and a lint pass for outreach emails.

Five drafts follow the advice the checks embody, one for each stage of a contact's row
(:func:`choose_kind` picks the one the row is at):

* **outreach** before any contact: the connection first, who you are, why them, at most
  30 minutes, ending with a question;
* **follow_up** while the outreach is unanswered: one short, polite nudge (the 7B step);
* **confirm** once they replied, or before the interview: the time, time zone and place;
* **thank_you** after the interview: naming something specific from the notes, the
  referrals and, phrased as a sentence, what you promised;
* **stay_in_touch** later: a short update, so the contact does not go cold.

:func:`lint` checks an outreach draft — sheetsync's or one the student wrote — against the
same advice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("outreach", "follow_up", "confirm", "thank_you", "stay_in_touch")
JOB_ASK = re.compile(
    r"\b(jobs?|positions?|openings?|vacanc(?:y|ies)|hiring|hire me|employment|apply(?:ing)? for|"
    r"internships?|recruit(?:ing|er)?|opportunit(?:y|ies) (?:at|on|in) your)\b",
    re.I,
)
LONG_MEETING = re.compile(
    r"\b(an hour|one hour|hour-long|[4-9]\d\s*(?:min|minutes)|"
    r"[1-9]\s*hours?|lunch)\b",
    re.I,
)
REPORTED = re.compile(
    r"^((she|he|they|[A-Z][a-z]+)\s+)?(said|says|mentioned|talked about|told me|suggested|"
    r"recommended|thinks|believes)(\s+that)?\s+",
    re.I,
)
WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Me:
    """The student, as drafts introduce them (``[prep]`` my_name, my_role, my_research)."""

    name: str = "[your name]"
    role: str = "[a PhD student in …]"
    research: str = ""


@dataclass(frozen=True)
class LintIssue:
    """One way a draft departs from the advice."""

    code: str  # too-long, long-ish, no-question, job-ask, no-connection, long-meeting
    severity: str  # "error" or "warning"
    message: str


def contact_context(row: Mapping[str, Any]) -> dict[str, str]:
    """What templates see as ``contact``: text fields of one frame row, dates as words."""
    import pandas as pd  # loaded when a draft is built, not for `sheetsync --help`

    def text(key: str) -> str:
        value = row.get(key)
        if type(value) is str:  # most cells: no NA check needed
            return value
        if value is None or value is pd.NaT or (type(value) is float and value != value):
            return ""  # the usual empty cells, found without pd.isna
        if not isinstance(value, str) and pd.isna(value):
            return ""
        return (
            value.strftime("%a %d %b %Y")
            if isinstance(value, dt.date | pd.Timestamp)
            else str(value)
        )

    name = text("name") or text("email") or "there"
    first = text("first_name") or name.split()[0]
    keys = (
        "organization",
        "title",
        "email",
        "connection",
        "referred_by",
        "platform",
        "notes",
        "referrals",
        "promises",
        "questions",
    )
    return {
        "name": name,
        "first_name": first,
        "interview_date": text("interview_date"),
        "outreach_date": text("outreach_date"),
        **{k: text(k) for k in keys},
    }


def _present(value: object) -> bool:
    """True for a cell that holds something (pandas' NA/NaT and blanks are nothing)."""
    import pandas as pd  # loaded when a draft is built, not for `sheetsync --help`

    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and value != value:  # NaN
        return False
    return not (isinstance(value, str) and not value.strip())


def _as_day(value: object) -> dt.date | None:
    import pandas as pd

    if not _present(value) or not isinstance(value, dt.date | pd.Timestamp):
        return None
    return value.date() if isinstance(value, pd.Timestamp | dt.datetime) else value


def _happened(row: Mapping[str, Any], field_id: str) -> bool:
    """A date-or-flag field (response, thank_you) that records it happened: a date or yes."""
    flag = row.get(field_id)
    return _as_day(row.get(f"{field_id}_date")) is not None or (_present(flag) and bool(flag))


def choose_kind(row: Mapping[str, Any], today: dt.date) -> str:
    """The draft a contact row needs now, from the stage its cells record.

    Before any contact: ``outreach``. Written to, no reply: ``follow_up``. They replied, or the
    interview is still ahead: ``confirm``. The interview is past: ``thank_you`` until one is
    recorded, then ``stay_in_touch``.
    """
    interview = _as_day(row.get("interview_date"))
    if interview is not None and interview < today:
        return "stay_in_touch" if _happened(row, "thank_you") else "thank_you"
    if interview is not None or _happened(row, "response"):
        return "confirm"
    contacted = any(_as_day(row.get(f)) is not None for f in ("outreach_date", "follow_up_date"))
    return "follow_up" if contacted else "outreach"


_PROMISE_VERB = re.compile(
    r"^(send|share|forward|introduce|connect|email|e-mail|mail|pass|give|follow|"
    r"read|look|check|update|let|write|call|ask|put|tell|keep|invite|get|review)\b",
    re.I,
)
_OBJECT_PRONOUN = re.compile(r"^(\w+(?:\s+\w+)?)\s+(him|her|them)\b", re.I)
_PAST = re.compile(r"^(sent|shared|forwarded|introduced|connected|read|wrote|\w+ed)\b", re.I)
_DONE = re.compile(r"^\s*(done|sent|✓|☑)\b[:\s-]*", re.I)


def promise_sentence(promise: str) -> str:
    """What the student promised, as a sentence to them: "Send him the review" becomes
    "As promised, I will send you the review." A promise marked done is reported as kept.
    """
    text = " ".join(promise.split()).rstrip(" .;")
    if not text:
        return ""
    done = _DONE.match(text)
    if done:
        rest = text[done.end() :].strip()
        if not rest:
            return ""
        if _PAST.match(rest):  # "sent the paper": already a sentence about what I did
            return f"As promised, I {_second_person(rest[0].lower() + rest[1:])}."
        return f"As promised, I have taken care of this: {rest}."
    if _PROMISE_VERB.match(text):
        return f"As promised, I will {_second_person(text[0].lower() + text[1:])}."
    return f"I have not forgotten what I promised: {text}."


def _second_person(phrase: str) -> str:
    """Turn "send him the paper" into "send you the paper" (the draft speaks to them)."""
    return _OBJECT_PRONOUN.sub(lambda m: f"{m.group(1)} you", phrase, count=1)


def specific_detail(notes: str) -> str:
    """Something specific to name in a thank-you: the first clause of the notes, shortened."""
    first = re.split(r"(?<=[.;!?])\s|\n", notes.strip(), maxsplit=1)[0].rstrip(".;!? ")
    first = REPORTED.sub("", first)
    words = first.split()
    return " ".join(words[:14]) + ("…" if len(words) > 14 else "") if words else ""


def render_draft(
    kind: str,
    row: Mapping[str, Any],
    me: Me,
    today: dt.date,
    user_dir: Path | None = None,
    *,
    contact: Mapping[str, str] | None = None,
) -> str:
    """Render one draft for one contact row of the frame (``contact``: its
    :func:`contact_context`, when the caller has it already)."""
    from sheetsync.templating import render  # Jinja2 loads only when a draft is rendered

    contact = contact if contact is not None else contact_context(row)
    interview = row.get("interview_date")
    sent = row.get("outreach_date")
    context = {
        "contact": contact,
        "me": {"name": me.name, "role": me.role, "research": me.research},
        "today": today.isoformat(),
        "when": _when(interview, today),
        "sent": _day(sent) or "a little while ago",
        "specific": specific_detail(contact["notes"]),
        "promise": promise_sentence(contact["promises"]),
    }
    return render(f"drafts/{kind}.txt.j2", context, user_dir)


def _day(value: object) -> str:
    import pandas as pd

    if isinstance(value, dt.date | pd.Timestamp) and not pd.isna(value):
        return f"{value:%A %d %B}"
    return ""


def _when(value: object, today: dt.date) -> str:
    import pandas as pd

    if not isinstance(value, dt.date | pd.Timestamp) or pd.isna(value):
        return "recently"
    day = value.date() if isinstance(value, pd.Timestamp | dt.datetime) else value
    delta = (today - day).days
    return {0: "today", 1: "yesterday"}.get(
        delta, f"on {day:%A}" if 1 < delta < 7 else f"on {day:%d %B}" + _year(day, today)
    )


def _year(day: dt.date, today: dt.date) -> str:
    """' 2025' for a day of another year (so last March never reads as this one), else ''."""
    return "" if day.year == today.year else f" {day.year}"


def body_of(draft: str) -> str:
    """The draft without its Subject line."""
    return re.sub(r"^\s*subject:.*\n", "", draft, count=1, flags=re.I)


def lint(draft: str, *, connection: str = "", referred_by: str = "") -> list[LintIssue]:
    """Check an outreach draft: < 100 words (warn > 75), a question, no job ask, the connection
    named, a meeting of 30 minutes or less."""
    body = body_of(draft)
    words = len(WORD.findall(body))
    issues: list[LintIssue] = []
    if words >= 100:
        issues.append(
            LintIssue("too-long", "error", f"{words} words: keep a first email under 100")
        )
    elif words > 75:
        issues.append(LintIssue("long-ish", "warning", f"{words} words: under 75 reads faster"))
    if "?" not in body:
        issues.append(LintIssue("no-question", "error", "end with a question they can answer"))
    job = JOB_ASK.search(body)
    if job:
        issues.append(
            LintIssue(
                "job-ask", "error", f"mentions '{job.group(0)}': ask for information, not a job"
            )
        )
    if (connection or referred_by) and not _names_connection(body, connection, referred_by):
        who = referred_by or connection
        issues.append(
            LintIssue(
                "no-connection", "error", f"say how you are connected ({who}) in the first lines"
            )
        )
    long = LONG_MEETING.search(body)
    if long:
        issues.append(
            LintIssue(
                "long-meeting", "error", f"asks for '{long.group(0)}': ask for 30 minutes or less"
            )
        )
    return issues


def _names_connection(body: str, connection: str, referred_by: str) -> bool:
    text = body.casefold()
    for hint in (referred_by, connection):
        words = [w for w in WORD.findall(hint.casefold()) if len(w) > 3]
        if hint and (hint.casefold() in text or any(w in text for w in words)):
            return True
    return False

"""The canonical fields a tracker's columns map to (a public contract, see docs/contracts.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a field's cells are typed in the frame."""

    TEXT = "text"
    DATE = "date"  # a date, nothing else
    DATE_OR_FLAG = "date_or_flag"  # a date, or yes/no (tri-state), or a status word
    NUMBER_OR_TEXT = "cadence"  # a duration such as "30", "2 weeks", "quarterly"


@dataclass(frozen=True)
class Field:
    """One canonical field: its id, how it is typed, and the header `init` gives it."""

    id: str
    kind: Kind
    header: str
    help: str


FIELDS: tuple[Field, ...] = (
    Field("name", Kind.TEXT, "Name", "Full name of the person"),
    Field("first_name", Kind.TEXT, "First name", "First name, when names are split"),
    Field("last_name", Kind.TEXT, "Last name", "Last name, when names are split"),
    Field("organization", Kind.TEXT, "Organization", "Company, lab or institution"),
    Field("title", Kind.TEXT, "Title", "Their role or job title"),
    Field("email", Kind.TEXT, "Email", "Email address"),
    Field("linkedin", Kind.TEXT, "LinkedIn", "LinkedIn profile URL"),
    Field("connection", Kind.TEXT, "Connection", "How you know them or who connected you"),
    Field("referred_by", Kind.TEXT, "Referred by", "Who introduced you"),
    Field("outreach_date", Kind.DATE, "Date contacted", "When you first wrote to them"),
    Field("response", Kind.DATE_OR_FLAG, "Response", "Did they reply? A date, yes/no"),
    Field("follow_up_date", Kind.DATE, "Follow-up sent", "When you followed up on no reply"),
    Field("interview_date", Kind.DATE, "Interview date", "Date of the informational interview"),
    Field("platform", Kind.TEXT, "Place / platform", "Where: Zoom, phone, a café, …"),
    Field("thank_you", Kind.DATE_OR_FLAG, "Thank-you sent", "When (or whether) you thanked them"),
    Field("last_contact", Kind.DATE, "Last contact", "When you last spoke or wrote"),
    Field("next_contact", Kind.DATE, "Next contact", "When to get in touch next"),
    Field("cadence", Kind.NUMBER_OR_TEXT, "Keep in touch every", "e.g. 30 days, 2 months"),
    Field("referrals", Kind.TEXT, "Referrals", "People they suggested you talk to"),
    Field("promises", Kind.TEXT, "Promised", "What you said you would do for them"),
    Field("questions", Kind.TEXT, "Questions", "Questions to ask this person"),
    Field("notes", Kind.TEXT, "Notes", "What you learned"),
    Field(
        "draft", Kind.TEXT, "Draft email", "An outreach email you are writing: sheetsync checks it"
    ),
    Field(
        "snooze", Kind.DATE_OR_FLAG, "Snooze until", "sheetsync stays quiet on this row until then"
    ),
)

FIELD_IDS: tuple[str, ...] = tuple(f.id for f in FIELDS)
BY_ID: dict[str, Field] = {f.id: f for f in FIELDS}

"""Likely duplicates: customers who look like one person, found when a customer is created and
by a scheduled scan, each scored 0–100 and explained in words a shop assistant understands
("same phone", "name 93% alike").

Candidates are always found through indexes (email_normalized, phone_e164, customer_phone.e164,
and bounded name-key / sort-key prefixes), never by scanning the customer table per check; the
scoring then runs in Python on that small set.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from flask import current_app
from flask_babel import gettext as _
from rapidfuzz import fuzz
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow, write_transaction
from core.errors import NotFound
from core.models import Customer, CustomerPhone, DuplicateCandidate
from core.services.normalize import clean_text, fold, normalize_email, normalize_phone, phone_digits

DEFAULT_NAME_THRESHOLD = 88
# How many customers one name probe may return: a bound on the work per check, however common
# the name (the contact-field probes are exact and need no bound beyond this).
NAME_PROBE_LIMIT = 200
PHONE_TAIL = 6
SCAN_BATCH = 500

OPEN, DISMISSED, MERGED = "open", "dismissed", "merged"


class LikelyDuplicates(Exception):
    """Raised by ``customers.create(check_duplicates=True)`` when the new customer looks like
    someone already on file; ``matches`` says who and why. Nothing was saved."""

    def __init__(self, matches: list["Match"]):
        self.matches = matches
        super().__init__(", ".join(f"{m.customer.number} ({m.score})" for m in matches))


@dataclasses.dataclass
class Match:
    """One existing customer who may be the same person, how sure we are (0–100) and why."""

    customer: Customer
    score: int
    reasons: list[dict]

    @property
    def reason_texts(self) -> list[str]:
        return [reason_text(r) for r in self.reasons]

    def as_json(self) -> dict:
        return {"id": self.customer.id, "number": self.customer.number,
                "display_name": self.customer.display_name, "score": self.score,
                "reasons": self.reason_texts}


def reason_text(reason: dict) -> str:
    """A stored reason ({"code": ..., ...}) in the reader's language."""
    code = reason.get("code")
    if code == "same_email":
        return _("same email")
    if code == "same_phone":
        return _("same phone")
    if code == "name_alike":
        return _("name %(percent)d%% alike", percent=int(reason.get("percent", 0)))
    if code == "email_alike":
        return _("email nearly the same")
    if code == "phone_tail":
        return _("phone ends in the same %(n)d digits", n=PHONE_TAIL)
    if code == "same_postal_code":
        return _("same postal code")
    return str(code)


def name_threshold() -> int:
    """How alike (rapidfuzz token_sort_ratio, 0–100) two names must be to count; config
    ``DUPLICATE_NAME_THRESHOLD``, 88 by default."""
    return int(current_app.config.get("DUPLICATE_NAME_THRESHOLD", DEFAULT_NAME_THRESHOLD))


# -- what we compare --------------------------------------------------------------------------


@dataclasses.dataclass
class _Profile:
    name: str = ""           # folded "first last" (or company)
    first: str = ""
    last: str = ""
    company: str = ""
    email: str | None = None  # normalised
    phones: set[str] = dataclasses.field(default_factory=set)  # E.164
    postal_codes: set[str] = dataclasses.field(default_factory=set)


def _postal_key(code: str) -> str:
    return "".join(ch for ch in fold(code or "") if ch.isalnum())


def _profile_of_values(values: dict[str, Any]) -> _Profile:
    first, last = fold(clean_text(values.get("first_name"))), fold(clean_text(values.get("last_name")))
    company = fold(clean_text(values.get("company_name")))
    email = values.get("email_normalized")
    if not email and isinstance(values.get("email"), str) and values["email"].strip():
        try:
            email = normalize_email(values["email"].strip())[1]
        except ValueError:
            email = None
    phones = set()
    region = current_app.config.get("DEFAULT_PHONE_REGION", "GB")
    raw_phones = [values.get("phone_e164") or values.get("phone")]
    for extra in values.get("phones") or ():
        raw_phones.append(extra.get("e164") or extra.get("number") if isinstance(extra, dict) else extra)
    for raw in raw_phones:
        if isinstance(raw, str) and raw.strip():
            try:
                phones.add(raw if raw.startswith("+") and raw[1:].isdigit()
                           else normalize_phone(raw, region)[1])
            except ValueError:
                pass
    postal = {values.get("postal_code")}
    for address in values.get("addresses") or ():
        if isinstance(address, dict):
            postal.add(address.get("postal_code"))
    postal_codes = {_postal_key(p) for p in postal if isinstance(p, str) and _postal_key(p)}
    name = " ".join(p for p in (first, last) if p) or company
    return _Profile(name, first, last, company, email, phones, postal_codes)


def _profile_of_customer(customer: Customer) -> _Profile:
    phones = {p.e164 for p in customer.phones}
    if customer.phone_e164:
        phones.add(customer.phone_e164)
    first, last = fold(customer.first_name or ""), fold(customer.last_name or "")
    company = fold(customer.company_name or "")
    return _Profile(" ".join(p for p in (first, last) if p) or company, first, last, company,
                    customer.email_normalized, phones,
                    {_postal_key(a.postal_code) for a in customer.addresses if _postal_key(a.postal_code)})


# -- finding candidates -------------------------------------------------------------------------


def _prefix(column, value: str):
    # A range, not LIKE: served by the plain b-tree index on both databases.
    return and_(column >= value, column < value + "\U0010ffff")


def _candidate_ids(profile: _Profile, exclude: set[int]) -> set[int]:
    """Ids of customers worth scoring, each found through an index."""
    ids: set[int] = set()

    def probe(stmt, limit=None):
        if limit:
            stmt = stmt.limit(limit)
        ids.update(db.session.execute(stmt).scalars())

    if profile.email:
        probe(select(Customer.id).where(Customer.email_normalized == profile.email))
    if profile.phones:
        probe(select(Customer.id).where(Customer.phone_e164.in_(profile.phones)))
        probe(select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(profile.phones)))
    # Names: the same first name and last initial, or the same last name and first initial
    # (either order as people type them), so a misspelling in one part is still found.
    if profile.first and profile.last:
        probe(select(Customer.id).where(_prefix(Customer.name_key, f"{profile.first} {profile.last[0]}")),
              NAME_PROBE_LIMIT)
        probe(select(Customer.id).where(_prefix(Customer.sort_key, f"{profile.last} {profile.first[0]}")),
              NAME_PROBE_LIMIT)
        probe(select(Customer.id).where(_prefix(Customer.name_key, f"{profile.last} {profile.first[0]}")),
              NAME_PROBE_LIMIT)
    elif profile.name:
        key = profile.name[: max(4, len(profile.name) // 2)]
        probe(select(Customer.id).where(_prefix(Customer.name_key, key)), NAME_PROBE_LIMIT)
        probe(select(Customer.id).where(_prefix(Customer.sort_key, key)), NAME_PROBE_LIMIT)
    if profile.company and profile.company != profile.name:
        key = profile.company[: max(4, len(profile.company) // 2)]
        probe(select(Customer.id).where(_prefix(Customer.sort_key, key)), NAME_PROBE_LIMIT)
    return ids - exclude


def _score(new: _Profile, old: _Profile, threshold: int) -> tuple[int, list[dict]]:
    """(score 0–100, reasons); score 0 when the two are not likely the same person."""
    reasons: list[dict] = []
    same_email = bool(new.email and new.email == old.email)
    same_phone = bool(new.phones & old.phones)
    if same_email:
        reasons.append({"code": "same_email"})
    if same_phone:
        reasons.append({"code": "same_phone"})
    similarity = 0
    if new.name and old.name:
        similarity = int(round(fuzz.token_sort_ratio(new.name, old.name)))
    names_alike = similarity >= threshold
    if names_alike:
        reasons.append({"code": "name_alike", "percent": similarity})

    if same_email or same_phone:
        score = 85 + (10 if same_email and same_phone else 0) + (5 if names_alike else 0)
        return min(score, 100), reasons
    if not names_alike:
        return 0, []
    # A name alone is no proof (two John Smiths are two people): it takes one contact field
    # that nearly matches as well.
    loose = []
    if new.email and old.email:
        new_local, _at, new_domain = new.email.partition("@")
        old_local, _at, old_domain = old.email.partition("@")
        # Digits tell accounts apart (sam1@ and sam12@ are two people), letters may be misspelt.
        if new_domain == old_domain and phone_digits(new_local) == phone_digits(old_local) \
                and fuzz.ratio(new_local, old_local) >= threshold:
            loose.append({"code": "email_alike"})
    new_tails = {phone_digits(p)[-PHONE_TAIL:] for p in new.phones}
    if new_tails & {phone_digits(p)[-PHONE_TAIL:] for p in old.phones}:
        loose.append({"code": "phone_tail"})
    if new.postal_codes & old.postal_codes:
        loose.append({"code": "same_postal_code"})
    if not loose:
        return 0, []
    score = min(84, round(similarity * 0.7) + 10 * len(loose))
    return score, reasons + loose


def _usable():
    """Customers a duplicate can be: not merged away, not erased."""
    return and_(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))


def _matches(profile: _Profile, exclude: set[int], limit: int | None) -> list[Match]:
    ids = _candidate_ids(profile, exclude)
    if not ids:
        return []
    threshold = name_threshold()
    found = []
    customers = db.session.execute(
        select(Customer).where(Customer.id.in_(ids), _usable())).scalars().all()
    for customer in customers:
        score, reasons = _score(profile, _profile_of_customer(customer), threshold)
        if score:
            found.append(Match(customer, score, reasons))
    found.sort(key=lambda m: (-m.score, m.customer.id))
    return found[:limit] if limit else found


def find_for(values: dict[str, Any], exclude_id: int | None = None, limit: int = 5) -> list[Match]:
    """The existing customers that ``values`` (a customer about to be created) likely
    duplicates, best first, at most ``limit``.

    ``values`` uses the customer's field names and may be raw input or already cleaned:
    ``first_name``, ``last_name``, ``company_name``, ``email`` (or ``email_normalized``),
    ``phone`` (or ``phone_e164``), optionally ``phones`` (list of numbers or {"number"/"e164"}),
    ``postal_code`` or ``addresses`` (list of {"postal_code"}). Values that do not parse are
    ignored here (validation reports them elsewhere). Merged and erased customers are never
    returned. Each ``Match`` has ``customer``, ``score`` (0–100), ``reasons`` and
    ``as_json()`` -> {id, number, display_name, score, reasons (texts)}.

    Found through indexes only (email, E.164 phone, bounded name prefixes); safe to call on
    every create, including the till's quick add."""
    profile = _profile_of_values(values)
    return _matches(profile, {exclude_id} if exclude_id else set(), limit)


def find_for_customer(customer: Customer, limit: int | None = None) -> list[Match]:
    """The other customers ``customer`` likely duplicates, best first."""
    return _matches(_profile_of_customer(customer), {customer.id}, limit)


# -- the Duplicates screen ---------------------------------------------------------------------


def _pair(a_id: int, b_id: int) -> tuple[int, int]:
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _remember(a_id: int, b_id: int, score: int, reasons: list[dict]) -> bool:
    """Store or refresh one candidate pair; True when it is new. A dismissed or merged pair
    keeps its verdict."""
    a_id, b_id = _pair(a_id, b_id)
    row = db.session.execute(select(DuplicateCandidate).where(
        DuplicateCandidate.customer_a_id == a_id, DuplicateCandidate.customer_b_id == b_id)).scalar()
    if row is None:
        db.session.add(DuplicateCandidate(customer_a_id=a_id, customer_b_id=b_id, score=score,
                                          reasons=reasons, status=OPEN, found_at=utcnow()))
        return True
    if row.status == OPEN and (int(row.score) != score or row.reasons != reasons):
        row.score, row.reasons = score, reasons
    return False


def scan(customer_ids: Iterable[int] | None = None, batch: int = SCAN_BATCH) -> int:
    """Look for duplicates of every usable customer (or of ``customer_ids``) and remember each
    pair found on the Duplicates screen. Works in batches, one short transaction each, so tills
    are never held up. Returns how many new pairs were found."""
    found = 0
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), batch):
            found += _scan_batch(ids[start:start + batch])
        return found
    last_id = 0
    while True:
        ids = list(db.session.execute(
            select(Customer.id).where(Customer.id > last_id, _usable())
            .order_by(Customer.id).limit(batch)).scalars())
        if not ids:
            return found
        found += _scan_batch(ids)
        last_id = ids[-1]


def _scan_batch(ids: list[int]) -> int:
    try:
        return _scan_batch_once(ids)
    except IntegrityError:
        # Another scan ("Scan now" while the nightly job runs) stored one of these pairs
        # first; its rows are visible now, so the second try only refreshes them.
        return _scan_batch_once(ids)


def _scan_batch_once(ids: list[int]) -> int:
    new = 0
    with write_transaction():
        for customer in db.session.execute(
                select(Customer).where(Customer.id.in_(ids), _usable())).scalars().all():
            for match in find_for_customer(customer):
                new += _remember(customer.id, match.customer.id, match.score, match.reasons)
            db.session.flush()
    return new


def scan_job() -> int:
    """The scheduled scan (registered by the core's default plugin)."""
    return scan()


@dataclasses.dataclass
class CandidatePage:
    rows: list[DuplicateCandidate]
    page: int
    per_page: int
    has_next: bool
    next_cursor = None  # offset paging: the pager macro needs no cursor here
    prev_cursor = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def open_candidates(page: int = 1, per_page: int = 20) -> CandidatePage:
    """Open pairs, most likely first, both customers still usable."""
    page = max(1, page)
    a, b = Customer.__table__.alias("a"), Customer.__table__.alias("b")
    stmt = (select(DuplicateCandidate)
            .join(a, a.c.id == DuplicateCandidate.customer_a_id)
            .join(b, b.c.id == DuplicateCandidate.customer_b_id)
            .where(DuplicateCandidate.status == OPEN,
                   a.c.merged_into_id.is_(None), b.c.merged_into_id.is_(None),
                   a.c.erased_at.is_(None), b.c.erased_at.is_(None))
            .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
            .offset((page - 1) * per_page).limit(per_page + 1))
    rows = list(db.session.execute(stmt).scalars())
    return CandidatePage(rows[:per_page], page, per_page, len(rows) > per_page)


def open_count() -> int:
    return db.session.execute(select(func.count()).select_from(DuplicateCandidate)
                              .where(DuplicateCandidate.status == OPEN)).scalar()


def get_candidate(candidate_id: int) -> DuplicateCandidate:
    row = db.session.get(DuplicateCandidate, candidate_id)
    if row is None:
        raise NotFound(candidate_id)
    return row


def dismiss(candidate: DuplicateCandidate, actor=None) -> None:
    """"Not a duplicate": the pair leaves the screen and later scans leave it alone."""
    with write_transaction():
        candidate.status = DISMISSED
        candidate.resolved_at = utcnow()
        candidate.resolved_by_fk = getattr(actor, "id", None)


def move_candidates(survivor_id: int, merged_id: int, actor_id: int | None) -> None:
    """Inside a merge: the pair itself is resolved as merged; every other pair of the merged
    customer now concerns the survivor (dropped when the survivor already has that pair)."""
    now = utcnow()
    rows = db.session.execute(select(DuplicateCandidate).where(or_(
        DuplicateCandidate.customer_a_id == merged_id,
        DuplicateCandidate.customer_b_id == merged_id))).scalars().all()
    for row in rows:
        other = row.customer_b_id if row.customer_a_id == merged_id else row.customer_a_id
        if other == survivor_id:
            row.status, row.resolved_at, row.resolved_by_fk = MERGED, now, actor_id
            continue
        a_id, b_id = _pair(survivor_id, other)
        existing = db.session.execute(select(DuplicateCandidate.id).where(
            DuplicateCandidate.customer_a_id == a_id,
            DuplicateCandidate.customer_b_id == b_id)).scalar()
        if existing is not None:
            db.session.delete(row)
        else:
            row.customer_a_id, row.customer_b_id = a_id, b_id
    db.session.flush()

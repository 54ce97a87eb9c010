"""Finding customers: the search index and its ranking, one index per dialect.

Every customer has one folded document in ``customer_search`` (names in both orders, company,
email, phone digits, number, tags). SQLite indexes it with an FTS5 trigram table, PostgreSQL
with a pg_trgm GIN index, and typed digits by the document's digit keys (a generated column
with its own GIN index, 0009_search_speed); this module and core/db.py are the only places
that know which.

Ranking, best first:
  0. exact customer number, email or phone (any format) - and what plugins' search providers find
  1. names (first last, last first, company) starting with what was typed
  2. the typed text anywhere in the document (email, phone digits, tags...), word starts first
     (typed digits: word ends first, as a phone's last digits are typed)
  3. close spellings of a name ("Smtih" -> Smith), when the above found little

Each tier reads at most ``limit`` ids through an index, so a keystroke costs the same at a
hundred customers and at millions; and each asks its parts in one statement (tiers 0 and 1
together), since a round trip to the database costs more than an index lookup.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, NamedTuple

import phonenumbers
from flask import current_app, has_app_context
from rapidfuzz import fuzz, process
from sqlalchemy import (String, and_, bindparam, cast, column, delete, event, func, insert, literal,
                        literal_column, select, table, text, union_all)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

from core.db import db, record_id
from core.models import (Customer, CustomerPhone, CustomerSearch, CustomerStatus, Segment, Tag,
                         customer_tag)
from core.models.customer import display_name
from core.services.normalize import clean_text, fold, phone_digits, phone_forms

# Below three characters a trigram index has nothing to go on: names by prefix only.
MIN_CONTAINS = 3
# Close spellings: how many distinct name words to read (index seeks) and how alike they must be.
FUZZY_WORDS = 300
FUZZY_SCORE = 75
FUZZY_BELOW = 5  # look for close spellings only when fewer results than this were found
# Typed digits: how many in a row make one key of PostgreSQL's digits index (0009_search_speed).
DIGIT_KEY = 4
_PHONE_LIKE = re.compile(r"^[\d\s()./+-]+$")
_FTS = table("customer_search_fts", column("rowid"))
# PostgreSQL's digit keys of each document (a generated column, 0009_search_speed)
_DIGIT_KEYS = literal_column("customer_search.digit_keys", TSVECTOR)
_END = "\U0010ffff"


# -- the document ----------------------------------------------------------------------------


def document(first_name: str, last_name: str, company_name: str, email: str | None,
             phones: Iterable[str], number: str, tags: Iterable[str]) -> str:
    """The folded text a customer is found by: accents and case gone, phones as digits in
    every form people dial them (international, national, with trunk prefix)."""
    first, last = fold(first_name), fold(last_name)
    parts = [f"{first} {last}", f"{last} {first}", fold(company_name), (email or "").lower(),
             fold(number)]
    for phone in phones:
        parts.extend(phone_forms(phone))
    parts.extend(fold(t) for t in tags)
    return " | ".join(p.strip() for p in parts if p and p.strip())


def _documents(connection, customer_ids: list[int]) -> list[dict]:
    """Documents for these customers, read with plain SQL (usable from a migration)."""
    if not customer_ids:
        return []
    c = Customer.__table__
    rows = connection.execute(select(c.c.id, c.c.first_name, c.c.last_name, c.c.company_name,
                                     c.c.email_normalized, c.c.phone_e164, c.c.number)
                              .where(c.c.id.in_(customer_ids))).all()
    tags: dict[int, list[str]] = {}
    for cid, name in connection.execute(
            select(customer_tag.c.customer_id, Tag.__table__.c.name)
            .join(Tag.__table__, Tag.__table__.c.id == customer_tag.c.tag_id)
            .where(customer_tag.c.customer_id.in_(customer_ids))):
        tags.setdefault(cid, []).append(name)
    phones: dict[int, list[str]] = {}
    p = CustomerPhone.__table__
    for cid, e164 in connection.execute(select(p.c.customer_id, p.c.e164)
                                        .where(p.c.customer_id.in_(customer_ids))):
        phones.setdefault(cid, []).append(e164)
    docs = []
    for cid, first, last, company, email, phone, number in rows:
        all_phones = ([phone] if phone else []) + [x for x in phones.get(cid, []) if x != phone]
        docs.append({"customer_id": cid, "document": document(
            first, last, company, email, all_phones, number, tags.get(cid, []))})
    return docs


def reindex_customers(connection, customer_ids: list[int]) -> None:
    """Bring these customers' documents up to date from what the database holds now, on
    ``connection`` (in its transaction). For writes that bypass the ORM; ORM changes to a
    customer, its phones or tags are reindexed at flush without asking."""
    _insert_documents(connection, _documents(connection, customer_ids), replace=True)


def index_new_customers(connection, customers: Iterable[dict]) -> None:
    """Index customers just inserted with bulk SQL, from the values written (dicts with
    ``id``, the names, ``email_normalized``, ``phone_e164`` and ``number``, and the E.164
    ``other_phones`` and ``tags`` written with them, if any): no reading back. They must have
    no document yet."""
    docs = [{"customer_id": c["id"], "document": document(
        c.get("first_name") or "", c.get("last_name") or "", c.get("company_name") or "",
        c.get("email_normalized"),
        ([c["phone_e164"]] if c.get("phone_e164") else []) + list(c.get("other_phones", ())),
        c.get("number") or "", c.get("tags", ()))} for c in customers]
    _insert_documents(connection, docs, replace=False)


def _insert_documents(connection, docs: list[dict], replace: bool) -> None:
    search = CustomerSearch.__table__
    sqlite = connection.dialect.name == "sqlite"
    customer_ids = [d["customer_id"] for d in docs]
    if replace and sqlite:
        # The FTS5 table indexes customer_search's text (external content): it forgets a
        # document only when told its old text. (Written here rather than by triggers: FTS5
        # flushes its pending terms at every trigger's savepoint, a hundred times slower.)
        old = connection.execute(select(search.c.customer_id, search.c.document)
                                 .where(search.c.customer_id.in_(customer_ids))).all()
        if old:
            connection.execute(text(
                "INSERT INTO customer_search_fts(customer_search_fts, rowid, document) "
                "VALUES ('delete', :customer_id, :document)"),
                [{"customer_id": cid, "document": doc} for cid, doc in old])
    if replace:
        connection.execute(delete(search).where(search.c.customer_id.in_(customer_ids)))
    if docs:
        connection.execute(insert(search), docs)
        if sqlite:
            connection.execute(text("INSERT INTO customer_search_fts(rowid, document) "
                                    "VALUES (:customer_id, :document)"), docs)


def reindex_customer(customer) -> None:
    """Bring one customer's document up to date (a Customer or its id), in the caller's
    transaction. Services rarely need it: every ORM change to a customer, its phones or tags
    is reindexed at flush; call it after bulk SQL that bypasses the ORM."""
    customer_id = customer if isinstance(customer, int) else customer.id
    db.session.flush()
    reindex_customers(db.session.connection(), [customer_id])


def index_all_customers(connection, progress: Callable[[int, int], None] | None = None,
                        batch: int = 5_000) -> int:
    """(Re)build every customer's document, in batches by id, then the dialect's index;
    ``progress(done, total)``. Returns how many customers were indexed."""
    c = Customer.__table__
    search = CustomerSearch.__table__
    sqlite = connection.dialect.name == "sqlite"
    total = connection.execute(select(text("count(*)")).select_from(c)).scalar() or 0
    connection.execute(delete(search))
    done, last_id = 0, 0
    while True:
        ids = list(connection.execute(select(c.c.id).where(c.c.id > last_id)
                                      .order_by(c.c.id).limit(batch)).scalars())
        if not ids:
            break
        docs = _documents(connection, ids)
        if docs:
            connection.execute(insert(search), docs)
        done += len(ids)
        last_id = ids[-1]
        if progress:
            progress(done, total)
    if sqlite:
        # One pass over the finished documents builds a compact index.
        connection.execute(text("INSERT INTO customer_search_fts(customer_search_fts) VALUES ('rebuild')"))
    return done


def reindex_all(progress: Callable[[int, int], None] | None = None) -> int:
    """``regulars search reindex``: rebuild the whole index in one transaction."""
    from core.db import write_transaction

    with write_transaction() as session:
        return index_all_customers(session.connection(), progress)


# Kept in step by the ORM: whatever service changes a customer, its phones or its tags, the
# document is rewritten in the same flush, so no service can forget it.

@event.listens_for(Session, "before_flush")
def _collect_changed_customers(session, flush_context, instances):
    pending = session.info.setdefault("regulars.search_pending", set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Customer):
            if obj not in session.deleted:
                pending.add(obj)
        elif isinstance(obj, CustomerPhone) and obj.customer_id:
            pending.add(obj.customer_id)
        elif isinstance(obj, Tag) and obj.id and obj in session.dirty:
            pending.update(session.execute(select(customer_tag.c.customer_id)
                                           .where(customer_tag.c.tag_id == obj.id)).scalars())


@event.listens_for(Session, "after_flush_postexec")
def _write_changed_customers(session, flush_context):
    pending = session.info.pop("regulars.search_pending", None)
    if not pending:
        return
    ids = sorted({p if isinstance(p, int) else p.id for p in pending} - {None})
    if ids:
        reindex_customers(session.connection(), ids)


# -- searching -------------------------------------------------------------------------------


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _tokens(key: str) -> list[str]:
    return [t for t in re.split(r"[\s|]+", key) if t]


def _contains_terms(q: str) -> list[str]:
    """What the contains-tier looks for: a phone's digits as one term, else each folded word
    of three characters or more."""
    if _PHONE_LIKE.match(q):
        digits = phone_digits(q)
        return [digits] if len(digits) >= MIN_CONTAINS else []
    return [t for t in _tokens(fold(q)) if len(t) >= MIN_CONTAINS]


def _typed_phones(q: str) -> set[str]:
    """The E.164 numbers a typed phone can be: as dialled in the shop's region, or international."""
    digits = phone_digits(q)
    if not _PHONE_LIKE.match(q) or len(digits) < 6:
        return set()
    found = set()
    for text_, region in ((q, current_app.config.get("DEFAULT_PHONE_REGION")), ("+" + digits, None)):
        try:
            number = phonenumbers.parse(text_, region)
        except phonenumbers.NumberParseException:
            continue
        found.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return found


def _ids(stmt) -> list[int]:
    return list(db.session.execute(stmt).scalars())


def _exact_values(q: str) -> tuple[list[str], str | None, list[str] | None]:
    """What the text would be if it were exactly someone's number, email or phones."""
    phones = sorted(_typed_phones(q))
    return sorted({q, q.upper()}), (q.lower() if "@" in q else None), (phones or None)


def _exact_conditions(numbers, email, phones) -> list:
    """One condition per way the text can be exactly someone: number, email, phone (the
    customer's main phone, then their other phones), each an indexed equality. The values may
    be bound parameters (the till's statement is built once)."""
    wanted = [Customer.number.in_(numbers)]
    if email is not None:
        wanted.append(Customer.email_normalized == email)
    if phones is not None:
        wanted.append(Customer.phone_e164.in_(phones))
        wanted.append(Customer.id.in_(select(CustomerPhone.customer_id)
                                      .where(CustomerPhone.e164.in_(phones))))
    return wanted


def _prefix(column_, value):
    return and_(column_ >= value, column_ < value + _END)


def _in_one_statement(parts: list):
    """SELECTs that each read their own index range (ORDER BY ... LIMIT inside), asked as one
    UNION ALL: one round trip to the database instead of one per part."""
    if len(parts) == 1:
        return parts[0]
    subqueries = [part.subquery() for part in parts]
    return union_all(*(select(*sub.c) for sub in subqueries))


def _name_prefix_parts(q, conditions, limit) -> list:
    """SELECTs of (id, sort_key) of the names starting with the folded text, by the name
    indexes (both orders), and of the customer numbers starting with it."""
    key = fold(q)
    if not key:
        return []
    ranges = [(Customer.name_key, key), (Customer.sort_key, key)]
    upper = q.upper()
    if len(upper) >= 2:
        ranges.append((Customer.number, upper))
    return [select(Customer.id.label("id"), Customer.sort_key.label("sort_key"))
            .where(_prefix(col, value), *conditions).order_by(col).limit(limit)
            for col, value in ranges]


def _by_name(rows, limit) -> list[int]:
    """Ids of (id, sort_key) rows, once each, sorted by name."""
    found = {row.id: row.sort_key for row in rows}
    return [cid for cid, _ in sorted(found.items(), key=lambda kv: (kv[1], kv[0]))][:limit]


def _name_prefix(q, conditions, limit):
    """Names (or customer numbers) starting with the text, sorted by name: one statement."""
    parts = _name_prefix_parts(q, conditions, limit)
    return _by_name(db.session.execute(_in_one_statement(parts)), limit) if parts else []


def _exact_and_name_prefix(q, conditions, limit) -> tuple[list[int], list[int]]:
    """Tier 0 (exactly this customer number, email or phone) and tier 1 (names or numbers
    starting with the text), asked in one statement: a keystroke needs both nearly always,
    and a round trip to PostgreSQL costs more than the lookups. UNION ALL rather than OR:
    each part keeps its own index."""
    exact = [select(Customer.id.label("id"), Customer.sort_key.label("sort_key"),
                    literal(0).label("tier"), literal(n).label("part")).where(cond, *conditions)
             for n, cond in enumerate(_exact_conditions(*_exact_values(q)))]
    prefix = [part.add_columns(literal(1).label("tier"), literal(0).label("part"))
              for part in _name_prefix_parts(q, conditions, limit)]
    rows = db.session.execute(_in_one_statement(exact + prefix)).all()
    by_part = sorted((row for row in rows if row.tier == 0), key=lambda row: row.part)
    return (list(dict.fromkeys(row.id for row in by_part))[:limit],
            _by_name([row for row in rows if row.tier == 1], limit))


def _contains(q, conditions, limit):
    """The typed text anywhere in the document, by the dialect's trigram index (typed digits,
    on PostgreSQL, by the digit keys' index). Where the text starts (or, for phone digits,
    ends) a word ranks first."""
    terms = _contains_terms(q)
    if not terms:
        return []
    digits_only = len(terms) == 1 and terms[0].isdigit()
    sqlite = _is_sqlite()
    if digits_only and len(terms[0]) >= DIGIT_KEY and terms[0].isascii() and not sqlite:
        return _digits(terms[0], conditions, limit)
    stmt = select(Customer.id, Customer.sort_key, CustomerSearch.document).join(
        CustomerSearch, CustomerSearch.customer_id == Customer.id)
    if sqlite:
        indexed = stmt.join(_FTS, _FTS.c.rowid == CustomerSearch.customer_id)

        def fts(match, name):
            return indexed.where(text(f"customer_search_fts MATCH :{name}").bindparams(
                **{name: match}), *conditions).limit(limit)

        anywhere = fts(" AND ".join('"' + t.replace('"', '""') + '"' for t in terms), "fts_query")
        # typed digits: the words ending with them first (their trigrams and the space after
        # them), so those rank first however many merely contain them
        stmt = _in_one_statement([fts(f'"{terms[0]} "', "fts_ending"), anywhere]) \
            if digits_only else anywhere
    else:
        stmt = stmt.where(*[CustomerSearch.document.like(
            "%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", escape="\\")
            for t in terms], *conditions).limit(limit)
    # a customer both parts found counts once
    rows = list({row.id: row for row in db.session.execute(stmt)}.values())

    def rank(row):
        if digits_only:
            best = 0 if _ends_a_word(row.document, terms[0]) else 1
        else:
            words = _tokens(row.document)
            best = 0 if all(any(w.startswith(t) for w in words) for t in terms) else 1
        return best, row.sort_key, row.id

    return [row.id for row in sorted(rows, key=rank)][:limit]


def _ends_a_word(document: str, digits: str) -> bool:
    """Whether a word of the document ends with the digits: a space, a bar or the end follows
    them (a document's only whitespace is the space)."""
    return digits + " " in document or digits + "|" in document or document.endswith(digits)


def _digits(digits: str, conditions, limit):
    """Typed digits on PostgreSQL, by the documents' digit keys (migration 0009_search_speed):
    four digits in a row are a key, and "e" and the last four digits of a word ending in
    digits another. One statement, two parts of at most ``limit`` each: the customers with a
    word (a phone, a number) ending in the digits, then any with the digits anywhere; so
    those ending with them rank first however many merely contain them. For more than four
    digits the keys narrow the search and the text itself decides (with functions, not
    operators: the trigram index must not be asked too).

    The digits are written into the SQL (``literal_execute``; they are digits only): each
    text typed is planned for its own keys, a rare key by the index and a key most customers
    share by reading rows in order, never by one plan made for every key."""
    starts = sorted({*range(0, len(digits) - DIGIT_KEY + 1, DIGIT_KEY), len(digits) - DIGIT_KEY})
    keys = [digits[i:i + DIGIT_KEY] for i in starts]

    def keyed(*wanted):
        return _DIGIT_KEYS.op("@@")(cast(literal(" & ".join(wanted), literal_execute=True),
                                         TSQUERY))

    def typed(value):
        return literal(value, literal_execute=True)

    stmt = select(Customer.id, Customer.sort_key).join(
        CustomerSearch, CustomerSearch.customer_id == Customer.id)
    ending = stmt.add_columns(literal(0).label("part")).where(
        keyed("e" + keys[-1], *keys),
        # a word ends with the digits where a space, a bar or the end follows them
        func.strpos(func.replace(CustomerSearch.document, "|", " ") + " ", typed(digits + " ")) > 0,
        *conditions).limit(limit)
    anywhere = stmt.add_columns(literal(1).label("part")).where(
        keyed(*keys), func.strpos(CustomerSearch.document, typed(digits)) > 0,
        *conditions).limit(limit)
    found: dict[int, tuple] = {}
    for cid, sort_key, part in db.session.execute(_in_one_statement([ending, anywhere])):
        found[cid] = min(found.get(cid, (2,)), (part, sort_key))
    return [cid for cid, _ in sorted(found.items(), key=lambda kv: (kv[1], kv[0]))][:limit]


def _first_word(expr, sqlite: bool):
    """The text before the first space (all of it when there is none), in SQL."""
    if sqlite:
        return func.substr(expr, 1, func.instr(expr + " ", " ") - 1, type_=String)
    return func.split_part(expr, " ", 1, type_=String)


@functools.lru_cache(maxsize=8)
def _name_words_statement(letters: int, sqlite: bool):
    """The distinct first words of the two name indexes that start with each of ``letters``
    letters (bound as ``letter_<i>``), at most FUZZY_WORDS each: rows of (column, letter
    index, word). Index seeks, one per distinct word (each skips every key that starts with
    the word before), chained in recursive queries: one round trip for them all. Built once
    per process."""
    parts = []
    for i in range(letters):
        letter = bindparam(f"letter_{i}", type_=String)
        for col in (Customer.sort_key, Customer.name_key):
            def next_word(after, col=col, letter=letter):
                return select(_first_word(col, sqlite)).where(col >= after, col < letter + _END) \
                    .order_by(col).limit(1).scalar_subquery()

            words = select(next_word(letter).label("word"), literal(1).label("n")) \
                .cte(f"words_{i}_{col.key}", recursive=True)
            words = words.union_all(select(next_word(words.c.word + " " + _END), words.c.n + 1)
                                    .where(words.c.word.is_not(None), words.c.n < FUZZY_WORDS))
            parts.append(select(literal(col.key).label("col"), literal(i).label("letter"),
                                words.c.word).where(words.c.word.is_not(None)))
    return union_all(*parts)


def _fuzzy(q, conditions, limit):
    """Close spellings of a first or last name ("Smtih", "Jonse"): the names' distinct first
    words (both orders) starting with the same letter, scored by rapidfuzz, then the customers
    of the closest few. Two statements whatever the number of words."""
    tokens = [t for t in _tokens(fold(q)) if len(t) >= 4 and t.isalpha()][:2]
    if not tokens or _PHONE_LIKE.match(q):
        return []
    cols = {col.key: col for col in (Customer.sort_key, Customer.name_key)}
    letters = sorted({t[0] for t in tokens})
    words: dict[tuple[str, str], list[str]] = {}
    for col_key, i, word in db.session.execute(
            _name_words_statement(len(letters), _is_sqlite()),
            {f"letter_{i}": letter for i, letter in enumerate(letters)}):
        words.setdefault((col_key, letters[i]), []).append(word)
    near = []  # (column, word, score)
    for token in tokens:
        for col_key in cols:
            near.extend((col_key, word, score) for word, score, _i in process.extract(
                token, words.get((col_key, token[0]), []), scorer=fuzz.ratio,
                score_cutoff=FUZZY_SCORE, limit=5))
    if not near:
        return []
    found: dict[int, tuple] = {}
    for part, cid, sort_key in db.session.execute(_in_one_statement([
            select(literal(part).label("part"), Customer.id, Customer.sort_key)
            # the word alone, or followed by the other name
            .where(cols[col_key] >= word, cols[col_key] < word + " " + _END, *conditions)
            .order_by(cols[col_key]).limit(limit)
            for part, (col_key, word, _score) in enumerate(near)])):
        score = near[part][2]
        found[cid] = min(found.get(cid, (101,)), (-score, sort_key))
    return [cid for cid, _ in sorted(found.items(), key=lambda kv: (kv[1], kv[0]))][:limit]


def _provided(q, conditions, limit):
    """Ids plugins' search providers find (a loyalty card number...), kept to the filters."""
    if not has_app_context():
        return []
    host = current_app.extensions["regulars.plugins"]
    ids: list[int] = []
    for provider in host.collect("search_providers"):
        if len(q) < getattr(provider, "min_length", MIN_CONTAINS):
            continue
        try:
            ids.extend(record_id(i) for i in provider.lookup(q, limit) or ())
        except Exception:  # a broken plugin must not break the search box
            current_app.logger.exception("Search provider %r failed", getattr(provider, "label", provider))
    ids = [i for i in ids if i is not None]  # a plugin's answer is checked like any input
    if not ids:
        return []
    allowed = set(_ids(select(Customer.id).where(Customer.id.in_(ids), *conditions)))
    return [i for i in dict.fromkeys(ids) if i in allowed]


def ranked_ids(q: str, conditions: Iterable = (), limit: int = 50,
               exact_wins: bool = False) -> list[int]:
    """Customer ids matching ``q`` best first (see the module's docstring), at most ``limit``,
    among customers meeting ``conditions`` (SQLAlchemy clauses on Customer).

    ``exact_wins``: when the text is exactly someone's number, email or phone, answer only
    those customers (a till scanning a card or typing a phone means that person)."""
    q = clean_text(q)[:200]
    conditions = list(conditions)
    if not q:
        return []
    exact, name_prefix = _exact_and_name_prefix(q, conditions, limit)
    first = _first_tier(exact, _provided(q, conditions, limit), limit)
    if exact_wins and first:
        return first
    return _beyond_first_tier(q, conditions, limit, first, name_prefix)


def _first_tier(exact: list[int], provided: list[int], limit: int) -> list[int]:
    """Exact matches, then what plugins' providers found, without repeats, at most ``limit``."""
    return list(dict.fromkeys(exact[:limit] + provided))[:limit]


def _beyond_first_tier(q: str, conditions: list, limit: int, first: list[int],
                       name_prefix: list[int] | None = None) -> list[int]:
    """Tiers 1-3 after ``first``, until ``limit`` ids are found (tier 1 read already when
    ``name_prefix`` is given)."""
    result = dict.fromkeys(first)

    def add(ids):
        for i in ids:
            if len(result) >= limit:
                return
            result.setdefault(i)

    for tier in (_name_prefix, _contains):
        if len(result) >= limit:
            break
        add(name_prefix if tier is _name_prefix and name_prefix is not None
            else tier(q, conditions, limit))
    if len(result) < min(FUZZY_BELOW, limit):
        add(_fuzzy(q, conditions, limit))
    return list(result)


class TillSegment(NamedTuple):
    name: str
    discount_percent: Decimal
    price_level: str


@dataclass(frozen=True)
class TillMatch:
    """What the till is told of a customer it looked up (core/api/lookup.py)."""

    id: int
    number: str
    kind: str
    first_name: str
    last_name: str
    company_name: str
    email: str | None
    phone: str | None
    segment: TillSegment | None

    @property
    def display_name(self) -> str:
        return display_name(self.kind, self.first_name, self.last_name, self.company_name,
                            self.email, self.number)


# The most rows the till's exact statement reads: a phone a family shares can be several
# customers', and one customer can match by several parts.
_TILL_ROWS = 200


def lookup(q: str, limit: int = 10) -> list[TillMatch]:
    """The till's customer lookup: the best matches among active customers only (an inactive,
    merged or erased customer cannot be picked at the till).

    Ranked as ``ranked_ids(q, active, limit, exact_wins=True)``. The till's usual question (a
    scanned number, a typed phone or email) is answered by one indexed statement, built once
    per process, that returns the customers and their segments as plain rows: the lookup
    costs little more than the SELECT itself."""
    q = clean_text(q)[:200]
    if not q:
        return []
    numbers, email, phones = _exact_values(q)
    params = {"numbers": numbers}
    if email is not None:
        params["email"] = email
    if phones is not None:
        params["phones"] = phones
    rows = db.session.execute(_till_exact_statement(email is not None, phones is not None),
                              params)
    exact: dict[int, TillMatch] = {}
    for row in rows:  # best part first; a customer found by several parts counts once
        if row.id not in exact:
            exact[row.id] = _till_match(row)
    exact_ids = list(exact)[:limit]
    active = _till_active()
    provided = _provided(q, active, limit)
    if not exact_ids and not provided:
        return _till_matches(_beyond_first_tier(q, active, limit, []))
    ids = _first_tier(exact_ids, provided, limit)
    missing = [i for i in ids if i not in exact]
    if missing:
        exact.update((m.id, m) for m in _till_matches(missing))
    return [exact[i] for i in ids if i in exact]


@functools.lru_cache(maxsize=1)
def _till_active() -> tuple:
    """Who can be picked at the till (SQL expressions are immutable: built once)."""
    return (Customer.status == CustomerStatus.active.value, Customer.merged_into_id.is_(None),
            Customer.erased_at.is_(None))


def _till_columns() -> tuple:
    return (Customer.id, Customer.number, Customer.kind, Customer.first_name, Customer.last_name,
            Customer.company_name, Customer.email, Customer.phone,
            Segment.name.label("segment_name"), Segment.discount_percent, Segment.price_level)


@functools.lru_cache(maxsize=4)
def _till_exact_statement(with_email: bool, with_phones: bool):
    """The exact tier for the till as one statement with bound parameters: the parts of
    ``_exact_conditions`` as UNION ALL (each keeps its index), joined to the customers and
    their segments, best part first."""
    wanted = _exact_conditions(bindparam("numbers", expanding=True),
                               bindparam("email") if with_email else None,
                               bindparam("phones", expanding=True) if with_phones else None)
    parts = [select(Customer.id.label("id"), literal(part).label("part")).where(cond, *_till_active())
             for part, cond in enumerate(wanted)]
    hits = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return (select(*_till_columns()).join(hits, hits.c.id == Customer.id)
            .outerjoin(Segment, Segment.id == Customer.segment_id)
            .order_by(hits.c.part, Customer.id).limit(_TILL_ROWS))


@functools.lru_cache(maxsize=1)
def _till_by_id_statement():
    return (select(*_till_columns()).outerjoin(Segment, Segment.id == Customer.segment_id)
            .where(Customer.id.in_(bindparam("ids", expanding=True))))


def _till_match(row) -> TillMatch:
    segment = None if row.segment_name is None else TillSegment(
        row.segment_name, row.discount_percent, row.price_level)
    return TillMatch(row.id, row.number, row.kind, row.first_name, row.last_name,
                     row.company_name, row.email, row.phone, segment)


def _till_matches(ids: list[int]) -> list[TillMatch]:
    if not ids:
        return []
    by_id = {row.id: _till_match(row)
             for row in db.session.execute(_till_by_id_statement(), {"ids": list(ids)})}
    return [by_id[i] for i in ids if i in by_id]

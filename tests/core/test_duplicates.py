"""Likely duplicates, as staff meet them: a warning before saving a customer who is already on
file (form and API), and the Duplicates screen with its nightly scan, "Scan now" and
"Not a duplicate"."""

from __future__ import annotations

import pytest

from core.models import Customer, DuplicateCandidate


def form(**fields):
    data = {"kind": "individual", "number": "", "first_name": "Maya", "last_name": "Okafor",
            "company_name": "", "email": "maya.okafor@example.com", "phone": "",
            "status": "active"}
    data.update(fields)
    return data


def matches_for(app, **values):
    from core.services import duplicates

    with app.app_context():
        return [(m.customer.id, m.score, m.reason_texts) for m in duplicates.find_for(values)]


# -- detection -------------------------------------------------------------------------------


def test_same_email_in_another_case_is_a_likely_duplicate(app, make_customer):
    maya = make_customer(first_name="Maya", last_name="Okafor", email="Maya@Example.com")

    found = matches_for(app, first_name="M.", last_name="Stone", email="maya@example.COM")

    assert found and found[0][0] == maya
    assert "same email" in found[0][2]


def test_same_phone_typed_another_way_is_a_likely_duplicate(app, make_customer):
    sam = make_customer(first_name="Sam", last_name="Reed", phone="07400 123456")

    found = matches_for(app, first_name="Samuel", last_name="Reed", phone="+44 7400 123456",
                        email="other@example.com")

    assert found[0][0] == sam
    assert "same phone" in found[0][2]


def test_an_extra_phone_on_file_counts_as_the_same_phone(app, make_customer):
    from core.db import db, write_transaction
    from core.models import CustomerPhone

    sam = make_customer(first_name="Sam", last_name="Reed")
    with app.app_context(), write_transaction():
        db.session.add(CustomerPhone(customer_id=sam, label="work", number="+44 20 7946 0958",
                                     e164="+442079460958"))

    found = matches_for(app, first_name="Pat", last_name="Lee", phone="020 7946 0958")

    assert [f[0] for f in found] == [sam]


def test_close_name_with_a_nearly_same_email_is_explained_with_its_score(app, make_customer):
    jon = make_customer(first_name="Jonathan", last_name="Smith", email="jonathan.smith@example.com")

    found = matches_for(app, first_name="Jonathon", last_name="Smith",
                        email="jonathon.smith@example.com")

    assert found[0][0] == jon
    reasons = found[0][2]
    assert any(r.startswith("name ") and r.endswith("% alike") for r in reasons)
    assert "email nearly the same" in reasons
    assert 0 < found[0][1] < 85


def test_same_name_and_phone_scores_higher_than_phone_alone(app, make_customer):
    make_customer(first_name="Ana", last_name="Silva", phone="07400 111222")
    make_customer(first_name="Bruno", last_name="Costa", phone="07400 111222")

    found = matches_for(app, first_name="Ana", last_name="Silva", phone="07400111222")

    assert [f[1] for f in found] == sorted([f[1] for f in found], reverse=True)
    assert found[0][1] > found[1][1]
    assert "name 100% alike" in found[0][2]


def test_two_people_with_the_same_name_and_nothing_else_in_common_are_not_duplicates(
        app, make_customer):
    make_customer(first_name="John", last_name="Smith", email="john@one.example")

    assert matches_for(app, first_name="John", last_name="Smith", email="js@two.example") == []


def test_the_name_threshold_comes_from_config(make_app, make_customer):
    app = make_app(DUPLICATE_NAME_THRESHOLD=99)
    make_customer(first_name="Jonathan", last_name="Smith", email="jonathan.smith@example.com")

    assert matches_for(app, first_name="Jonathon", last_name="Smith",
                       email="jonathon.smith@example.com") == []


def test_a_merged_customer_is_never_offered_as_a_duplicate(app, make_customer):
    from core.services import customers, merge

    keep = make_customer(first_name="Ida", last_name="Wells", email="ida@example.com",
                         phone="07400 111000")
    gone = make_customer(first_name="Ida", last_name="Wells", email="ida.w@example.com",
                         phone="07400 333444")
    with app.app_context():
        merge.merge(customers.get(keep), customers.get(gone))

    assert matches_for(app, first_name="Ida", last_name="Wells", phone="07400 333444") == []


# -- warning before saving: the form -------------------------------------------------------


def test_form_warns_of_a_likely_duplicate_and_saves_nothing(admin_client, make_customer, page,
                                                           count_rows):
    maya = make_customer(first_name="Maya", last_name="Okafor", email="maya.okafor@example.com")

    response = admin_client.post("/customers/add", data=form())

    assert response.status_code == 200
    warning = page(response).find(cls="likely-duplicates")
    assert warning is not None
    assert f"/customers/{maya}" in {a.attrs.get("href") for a in warning.find_all("a")}
    assert "same email" in warning.text
    assert count_rows(Customer) == 1


def test_create_anyway_saves_the_customer_after_the_warning(admin_client, make_customer,
                                                           count_rows):
    make_customer(first_name="Maya", last_name="Okafor", email="maya.okafor@example.com")

    response = admin_client.post("/customers/add", data=form(confirm_duplicate="1"))

    assert response.status_code == 302
    assert count_rows(Customer) == 2


def test_form_without_duplicates_saves_at_once(admin_client, make_customer, count_rows):
    make_customer(first_name="Lee", last_name="Park", email="lee@example.com")

    response = admin_client.post("/customers/add", data=form())

    assert response.status_code == 302
    assert count_rows(Customer) == 2


def test_warning_shows_a_hostile_name_as_text(admin_client, make_customer):
    make_customer(first_name="<script>alert(1)</script>", last_name="Okafor",
                  email="maya.okafor@example.com")

    body = admin_client.post("/customers/add", data=form()).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# -- warning before saving: the API --------------------------------------------------------


def test_api_answers_409_with_the_candidates_and_saves_nothing(app, api_token, make_customer,
                                                              count_rows):
    maya = make_customer(first_name="Maya", last_name="Okafor", email="maya.okafor@example.com")
    token = api_token("Admin")

    response = app.test_client().post("/api/v1/customers/", json={
        "first_name": "Maya", "last_name": "Okafor", "email": "MAYA.okafor@example.com"},
        headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 409
    body = response.get_json()
    assert body["message"]
    assert body["duplicates"][0]["id"] == maya
    assert set(body["duplicates"][0]) == {"id", "number", "display_name", "score", "reasons"}
    assert "same email" in body["duplicates"][0]["reasons"]
    assert count_rows(Customer) == 1


@pytest.mark.parametrize("how", ["body", "header"])
def test_api_creates_the_customer_when_the_caller_confirms(app, api_token, make_customer,
                                                          count_rows, how):
    make_customer(first_name="Maya", last_name="Okafor", email="maya.okafor@example.com")
    body = {"first_name": "Maya", "last_name": "Okafor", "email": "maya.okafor@example.com"}
    headers = {"Authorization": f"Bearer {api_token('Admin')}"}
    if how == "body":
        body["confirm_duplicate"] = True
    else:
        headers["X-Confirm-Duplicate"] = "true"

    response = app.test_client().post("/api/v1/customers/", json=body, headers=headers)

    assert response.status_code == 201
    assert count_rows(Customer) == 2


def test_service_create_skips_the_check_unless_asked(app, make_customer, count_rows):
    from core.services import customers, duplicates

    make_customer(first_name="Maya", last_name="Okafor", email="maya.okafor@example.com")
    data = {"first_name": "Maya", "last_name": "Okafor", "email": "maya.okafor@example.com"}
    with app.app_context():
        with pytest.raises(duplicates.LikelyDuplicates):
            customers.create(dict(data), check_duplicates=True)
        customers.create(dict(data))  # the importer and the demo loader

    assert count_rows(Customer) == 2


# -- the Duplicates screen -----------------------------------------------------------------


def _pair(app, make_customer):
    a = make_customer(first_name="Ola", last_name="Nordmann", phone="07400 555666")
    b = make_customer(first_name="Ola", last_name="Nordman", phone="+447400555666")
    return a, b


def test_scan_now_finds_the_pair_and_the_screen_explains_it(admin_client, app, make_customer,
                                                            page):
    a, b = _pair(app, make_customer)

    response = admin_client.post("/duplicates/scan")
    doc = page(admin_client.get("/duplicates/"))

    assert response.status_code == 302
    rows = doc.find_all("tr", cls="duplicate-pair")
    assert len(rows) == 1
    assert "same phone" in rows[0].find(cls="duplicate-reasons").text
    assert "name 96% alike" in rows[0].find(cls="duplicate-reasons").text
    links = {x.attrs.get("href") for x in rows[0].find_all("a")}
    assert {f"/customers/{a}", f"/customers/{b}", f"/duplicates/merge/{a}/{b}"} <= links


def test_scanning_twice_remembers_each_pair_once(app, make_customer, count_rows):
    from core.services import duplicates

    _pair(app, make_customer)
    with app.app_context():
        first = duplicates.scan()
        second = duplicates.scan()

    assert (first, second) == (1, 0)
    assert count_rows(DuplicateCandidate) == 1


def test_the_scan_is_a_scheduled_job_of_the_core(app):
    from core import scheduler

    jobs = scheduler.build(app).get_jobs()

    assert "core.scan_duplicates" in {j.id for j in jobs}


def test_the_scheduled_job_finds_pairs(app, make_customer, count_rows):
    from core import scheduler

    _pair(app, make_customer)
    job = next(j for j in scheduler.build(app).get_jobs() if j.id == "core.scan_duplicates")

    job.func()

    assert count_rows(DuplicateCandidate) == 1


def test_not_a_duplicate_is_remembered_by_later_scans(admin_client, app, make_customer, page):
    from core.services import duplicates

    _pair(app, make_customer)
    with app.app_context():
        duplicates.scan()
        candidate_id = duplicates.open_candidates().rows[0].id

    response = admin_client.post(f"/duplicates/{candidate_id}/dismiss")
    with app.app_context():
        duplicates.scan()
    doc = page(admin_client.get("/duplicates/"))

    assert response.status_code == 302
    assert doc.find_all("tr", cls="duplicate-pair") == []


def test_the_screen_pages_its_pairs(admin_client, app, make_customer, page):
    from core.services import duplicates

    for n in range(23):
        make_customer(first_name="Kim", last_name=f"Person{n}", phone=f"07400 9000{n:02d}")
        make_customer(first_name="Kim", last_name=f"Person{n}", phone=f"+4474009000{n:02d}",
                      email=f"kim{n}@other.example")
    with app.app_context():
        duplicates.scan()

    first = page(admin_client.get("/duplicates/"))
    second = page(admin_client.get("/duplicates/?page=2"))

    assert len(first.find_all("tr", cls="duplicate-pair")) == 20
    assert len(second.find_all("tr", cls="duplicate-pair")) == 3


@pytest.mark.parametrize("role", ["ReadOnly", "Cashier"])
def test_readonly_and_cashier_see_pairs_but_cannot_scan_or_dismiss(client_for, app, make_customer,
                                                                  role, count_rows):
    from core.services import duplicates

    _pair(app, make_customer)
    with app.app_context():
        duplicates.scan()
        candidate_id = duplicates.open_candidates().rows[0].id
    client = client_for(role)

    assert client.get("/duplicates/").status_code == 200
    assert client.post("/duplicates/scan").status_code == 403
    assert client.post(f"/duplicates/{candidate_id}/dismiss").status_code == 403
    with app.app_context():
        assert duplicates.open_candidates().rows[0].id == candidate_id


def test_duplicates_is_in_the_menu(admin_client, page):
    doc = page(admin_client.get("/customers/"))

    assert "/duplicates/" in {a.attrs.get("href") for a in doc.find_all("a")}

"""The Hello plugin on the Regulars test kit: each test gets an app on a freshly migrated
database with the plugin installed (the fixtures come with Regulars; no conftest.py)."""

from core.sdk import db, shop_today
from regulars_hello.models import Greeting


def stored(app, customer_id):
    with app.app_context():
        row = db.session.get(Greeting, customer_id)
        return row.text if row else None


def test_the_greeting_is_a_customer_field(app, admin_client, api_token, make_customer):
    sam = make_customer()
    response = app.test_client().put(f"/api/v1/customers/{sam}", json={
        "hello_greeting": "Morning, Sam!"}, headers={"Authorization": f"Bearer {api_token()}"})
    assert response.status_code == 200 and stored(app, sam) == "Morning, Sam!"
    assert 'value="Morning, Sam!"' in admin_client.get(f"/customers/{sam}/edit").get_data(True)


def test_the_tab_the_badge_and_the_list_column_and_filter(admin_client, make_customer):
    sam, kim = make_customer(hello_greeting="Morning, Sam!"), make_customer()
    overview = admin_client.get(f"/customers/{sam}").get_data(as_text=True)
    assert f'data-url="/hello/customers/{sam}/tab"' in overview
    assert 'title="Preferred greeting">Morning, Sam!</span>' in overview
    assert "Morning, Sam!" in admin_client.get(f"/hello/customers/{sam}/tab").get_data(True)
    listed = admin_client.get("/customers/?hello_greeted=yes").get_data(as_text=True)
    assert f'href="/customers/{sam}"' in listed and f'href="/customers/{kim}"' not in listed


def test_the_cashier_may_say_hello_and_it_is_on_the_timeline(client_for, make_customer):
    sam = make_customer(first_name="Sam", last_name="Smith")
    page = client_for("Cashier").post(f"/hello/customers/{sam}/say", follow_redirects=True)
    assert "Hello, Sam Smith!" in page.get_data(as_text=True)  # flashed
    timeline = client_for("Cashier").get(f"/customers/{sam}/tabs/activity").get_data(True)
    assert "Said hello" in timeline and "via hello" in timeline
    assert client_for("ReadOnly").post(f"/hello/customers/{sam}/say").status_code == 403


def test_the_daily_job_notes_todays_birthdays(app, admin_client, make_customer, run_job):
    with app.app_context():
        born = shop_today().replace(year=1992).isoformat()  # 1992: 29 February too
    sam, kim = make_customer(last_name="Birthday", date_of_birth=born), make_customer()
    assert run_job("hello.birthdays") == 1
    assert "Birthday greeting due" in admin_client.get(f"/customers/{sam}/tabs/activity").text
    assert "Birthday greeting due" not in admin_client.get(f"/customers/{kim}/tabs/activity").text
    assert "Alex Birthday" in admin_client.get("/hello/").get_data(as_text=True)


def test_merge_export_and_erasure_take_the_greeting_while_disabled_too(
        app, admin_client, make_customer, disable_plugin):
    keep, gone = make_customer(), make_customer(hello_greeting="Morning, Maia!")
    disable_plugin("hello")
    assert admin_client.post(f"/duplicates/merge/{keep}/{gone}").status_code == 302
    assert (stored(app, keep), stored(app, gone)) == ("Morning, Maia!", None)
    exported = admin_client.get(f"/customers/{keep}/export.json").get_json()
    assert exported["customer"]["hello_greeting"] == "Morning, Maia!"
    number = admin_client.get(f"/api/v1/customers/{keep}").get_json()["result"]["number"]
    admin_client.post(f"/customers/{keep}/erase", data={"confirm_number": number})
    assert stored(app, keep) is None

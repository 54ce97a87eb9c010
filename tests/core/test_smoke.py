def test_admin_sees_customer_list(admin_client, make_customer):
    make_customer(first_name="Zoë", last_name="Ångström")
    page = admin_client.get("/customers/").get_data(as_text=True)
    assert "Zoë Ångström" in page

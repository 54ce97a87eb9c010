"""The customer exports of the systems shops move in from, recognised by their headers.

Each system is one declarative ``Format``: the headers that identify its export (enough of them
present, and it is that system's file), the column each of its headers fills in Regulars, and,
for the columns Regulars does not import, why not. Two kinds of those:

* kept for later: data a plugin will own (tax exemption, marketing consent, loyalty points,
  store credit...) but which no plugin takes from an import yet. The import counts how many rows
  fill each such column and keeps that list with the run, so nothing goes missing unnoticed;
* left out: what the old system worked out for itself (totals, visit dates), its own ids and
  sign-in details, and the few things Regulars has no field for.

The column lists follow each system's documented export: Shopify's customers export (the
current "Default Address ..." headers and the older "Address1 / Province Code" ones), Square's
customer directory export, WooCommerce's "Customer / Order CSV Export" customers file and its
Analytics customers download, Lightspeed Retail (R-Series), Odoo contacts (res.partner, by field
label or, in an import-compatible export, by field name), ERPNext's Customer (Data Export / Data
Import template, by label or field name) and Vend / Lightspeed Retail (X-Series). A header is
compared folded (case, accents, spaces and punctuation ignored), so "Zip", "ZIP" and "zip" are
one header.

Targets besides the customer's own fields (see ``importer.EXTRA_TARGETS``): ``name`` (one name,
split into first and last name, or a company's name), ``is_company`` (yes/no: a business),
``address.*`` and ``shipping.*`` (the default and the shipping address), ``phone.<label>`` (more
phone numbers), ``tags`` and ``notes``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l

from core.services.normalize import fold


def header_key(header: str) -> str:
    """A header as compared: folded, letters and digits only ("E-mail" -> "email")."""
    return "".join(c for c in fold(header or "") if c.isalnum())


@dataclasses.dataclass
class Format:
    key: str
    label: Any  # "Shopify customers export", as the report names it
    # (header, target) in order of preference: a later header for a target already filled by
    # an earlier one is another system version's name for it, used only when the first is absent.
    columns: tuple[tuple[str, str], ...]
    identify: tuple[str, ...]  # headers only this system writes
    needed: int = 3  # how many of ``identify`` make a file this system's
    kept: tuple[tuple[str, Any], ...] = ()  # (header, what it is kept for)
    left_out: tuple[tuple[str, Any], ...] = ()  # (header, why it is not imported)
    ignored_tags: frozenset[str] = frozenset()  # folded values that are the system's default group

    def __post_init__(self):
        self.identify_keys = frozenset(header_key(h) for h in self.identify)
        self.kept_by_key = {header_key(h): purpose for h, purpose in self.kept}
        self.left_out_by_key = {header_key(h): why for h, why in self.left_out}
        self.targets_by_key: dict[str, str] = {}
        for header, target in self.columns:
            self.targets_by_key.setdefault(header_key(header), target)

    def score(self, keys: set[str]) -> int:
        return len(self.identify_keys & keys)

    def mapping_for(self, headers: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
        """({file column: target}, {file column: the column that already fills its target}) for
        the file's headers this format knows."""
        present: dict[str, str] = {}
        for header in headers:
            present.setdefault(header_key(header), header)
        mapping: dict[str, str] = {}
        filled_by: dict[str, str] = {}
        for source, target in self.columns:
            header = present.get(header_key(source))
            if header is None or header in mapping or header in filled_by:
                continue
            owner = next((h for h, t in mapping.items() if t == target), None)
            if owner is not None:
                filled_by[header] = owner
            else:
                mapping[header] = target
        return mapping, filled_by


@dataclasses.dataclass
class Recognition:
    format: Format
    score: int

    @property
    def label(self):
        return self.format.label


# -- why a column is not imported -----------------------------------------------------------

FIGURES = _l("A figure the old system worked out from its own sales; Regulars works out its "
             "own from the sales it records.")
SYSTEM_ID = _l("The old system's internal id; Regulars numbers these customers itself.")
SYSTEM_DATE = _l("A date the old system kept for its own records.")
SIGN_IN = _l("A sign-in name or password of the old shop: never imported.")
BIRTHDAY = _l("Systems write birthdays in different ways: choose “Date of birth” for this column "
              "if its dates read YYYY-MM-DD.")
NO_FIELD = _l("Regulars has no field for it.")
PARCEL_NAME = _l("The name on parcels; the customer's own name is imported.")
ONE_EMAIL = _l("Regulars keeps one email address per customer.")
CUSTOM_FIELD = _l("A custom field of the old system: choose the field it holds to import it.")
SETTING = _l("A setting of the old system with no counterpart here.")
ORIGIN = _l("How the old system came to know the customer, for its own records.")

# -- what a kept column is kept for ---------------------------------------------------------

EMAIL_CONSENT = _l("consent to marketing by email")
SMS_CONSENT = _l("consent to marketing by SMS")
TAX_EXEMPTION = _l("tax exemption")
TAX_CATEGORY = _l("tax category")
LOYALTY = _l("loyalty points")
STORE_CREDIT = _l("store credit")
CREDIT_LIMIT = _l("credit limit")
DISCOUNT = _l("customer discount")


def _address(prefix: str, line1: str, line2: str, city: str, region: str, postal_code: str,
             country: str) -> tuple[tuple[str, str], ...]:
    return tuple((header, f"{prefix}.{part}") for header, part in (
        (line1, "line1"), (line2, "line2"), (city, "city"), (region, "region"),
        (postal_code, "postal_code"), (country, "country")) if header)


SHOPIFY = Format(
    key="shopify",
    label=_l("Shopify customers export"),
    columns=(
        ("Customer ID", "number"),
        ("First Name", "first_name"), ("Last Name", "last_name"), ("Email", "email"),
        ("Phone", "phone"),
        ("Default Address Company", "company_name"), ("Company", "company_name"),
        *_address("address", "Default Address Address1", "Default Address Address2",
                  "Default Address City", "Default Address Province Code",
                  "Default Address Zip", "Default Address Country Code"),
        # The export before 2023: the same fields without "Default Address".
        *_address("address", "Address1", "Address2", "City", "Province Code", "Zip",
                  "Country Code"),
        ("Province", "address.region"), ("Country", "address.country"),
        ("Default Address Phone", "phone.other"),
        ("Tags", "tags"), ("Note", "notes"),
    ),
    identify=("Accepts Email Marketing", "Accepts Marketing", "Accepts SMS Marketing",
              "Tax Exempt", "Total Spent", "Total Orders", "Default Address Address1",
              "Default Address Province Code", "Default Address Country Code",
              "Default Address Zip", "Province Code", "Country Code"),
    kept=(("Accepts Email Marketing", EMAIL_CONSENT), ("Accepts Marketing", EMAIL_CONSENT),
          ("Accepts SMS Marketing", SMS_CONSENT), ("Tax Exempt", TAX_EXEMPTION)),
    left_out=(("Total Spent", FIGURES), ("Total Orders", FIGURES)),
)

SQUARE = Format(
    key="square",
    label=_l("Square customer directory export"),
    columns=(
        ("Reference ID", "number"),
        ("First Name", "first_name"), ("Last Name", "last_name"),
        ("Email Address", "email"), ("Phone Number", "phone"), ("Company Name", "company_name"),
        *_address("address", "Street Address 1", "Street Address 2", "City", "State",
                  "Postal Code", ""),
        ("Memo", "notes"),
    ),
    identify=("Square Customer ID", "Reference ID", "Email Subscription Status",
              "Creation Source", "First Visit", "Last Visit", "Transaction Count",
              "Lifetime Spend", "Instant Profile", "Street Address 1", "Memo"),
    kept=(("Email Subscription Status", EMAIL_CONSENT),),
    left_out=(("Square Customer ID", SYSTEM_ID), ("Nickname", NO_FIELD),
              ("Birthday", BIRTHDAY), ("Creation Source", ORIGIN),
              ("First Visit", SYSTEM_DATE), ("Last Visit", SYSTEM_DATE),
              ("Transaction Count", FIGURES), ("Lifetime Spend", FIGURES),
              ("Instant Profile", SETTING), ("Blocked from online booking", SETTING)),
)

WOOCOMMERCE = Format(
    key="woocommerce",
    label=_l("WooCommerce customers export"),
    columns=(
        ("customer_id", "number"),
        ("first_name", "first_name"), ("billing_first_name", "first_name"),
        ("last_name", "last_name"), ("billing_last_name", "last_name"),
        ("email", "email"), ("billing_email", "email"),
        ("billing_company", "company_name"), ("billing_phone", "phone"),
        *_address("address", "billing_address_1", "billing_address_2", "billing_city",
                  "billing_state", "billing_postcode", "billing_country"),
        *_address("shipping", "shipping_address_1", "shipping_address_2", "shipping_city",
                  "shipping_state", "shipping_postcode", "shipping_country"),
        ("shipping_phone", "phone.other"),
    ),
    identify=("billing_address_1", "billing_postcode", "billing_country", "billing_phone",
              "billing_email", "shipping_address_1", "shipping_postcode", "user_login",
              "date_registered", "total_spent", "order_count"),
    left_out=(("user_login", SIGN_IN), ("user_pass", SIGN_IN),
              ("date_registered", SYSTEM_DATE), ("total_spent", FIGURES),
              ("order_count", FIGURES), ("shipping_first_name", PARCEL_NAME),
              ("shipping_last_name", PARCEL_NAME), ("shipping_company", PARCEL_NAME)),
)

NO_STREET = _l("WooCommerce's customers report has no street address, and an address needs "
               "one: export the customers with Customer / Order CSV Export to bring addresses.")

WOOCOMMERCE_REPORT = Format(
    key="woocommerce_report",
    label=_l("WooCommerce Analytics customers download"),
    columns=(("Name", "name"), ("Email", "email")),
    identify=("Username", "Last active", "Date registered", "Orders", "Total spend", "AOV",
              "Country / Region"),
    needed=4,
    left_out=(("Username", SIGN_IN), ("Last active", SYSTEM_DATE),
              ("Date registered", SYSTEM_DATE), ("Orders", FIGURES), ("Total spend", FIGURES),
              ("AOV", FIGURES), ("Country / Region", NO_STREET), ("City", NO_STREET),
              ("Region", NO_STREET), ("Postal code", NO_STREET)),
)

LIGHTSPEED_R = Format(
    key="lightspeed_r",
    label=_l("Lightspeed Retail (R-Series) customers export"),
    columns=(
        ("Customer ID", "number"),
        ("First Name", "first_name"), ("Last Name", "last_name"), ("Company", "company_name"),
        ("Customer Type", "tags"),
        ("Mobile", "phone"), ("Mobile Phone", "phone"),
        ("Home", "phone.home"), ("Home Phone", "phone.home"),
        ("Work", "phone.work"), ("Work Phone", "phone.work"),
        ("Email", "email"),
        *_address("address", "Address 1", "Address 2", "City", "State", "Zip", "Country"),
        ("Address", "address.line1"),
        ("Note", "notes"), ("Notes", "notes"),
    ),
    identify=("Customer Type", "Tax Category", "Discount", "Home", "Work", "Pager",
              "Email 2", "Title", "Home Phone", "Work Phone", "Mobile Phone", "Credit Account"),
    kept=(("Tax Category", TAX_CATEGORY), ("Discount", DISCOUNT),
          ("Credit Account", STORE_CREDIT), ("Credit Limit", CREDIT_LIMIT)),
    left_out=(("Title", NO_FIELD), ("Fax", NO_FIELD), ("Pager", NO_FIELD),
              ("Email 2", ONE_EMAIL), ("Website", NO_FIELD), ("Birthday", BIRTHDAY),
              ("DOB", BIRTHDAY), ("Created", SYSTEM_DATE)),
)

ODOO = Format(
    key="odoo",
    label=_l("Odoo contacts export"),
    columns=(
        ("Internal Reference", "number"), ("Reference", "number"), ("ref", "number"),
        ("Name", "name"), ("Is a Company", "is_company"), ("Company Type", "kind"),
        ("Related Company", "company_name"), ("parent_id", "company_name"),
        ("Company Name", "company_name"),
        ("Email", "email"), ("Phone", "phone"), ("Mobile", "phone.mobile"),
        *_address("address", "Street", "Street2", "City", "State", "Zip", "Country"),
        ("state_id", "address.region"), ("country_id", "address.country"),
        ("country_id/code", "address.country"),
        ("Tax ID", "tax_id"), ("vat", "tax_id"),
        ("Tags", "tags"), ("category_id", "tags"),
        ("Notes", "notes"), ("comment", "notes"),
    ),
    identify=("Is a Company", "is_company", "Related Company", "parent_id", "Street2",
              "state_id", "country_id", "category_id", "comment", "vat", "Company Type",
              "company_type", "Job Position", "function", "Website Link"),
    kept=(("Credit Limit", CREDIT_LIMIT), ("credit_limit", CREDIT_LIMIT)),
    left_out=(("id", SYSTEM_ID), ("Job Position", NO_FIELD), ("function", NO_FIELD),
              ("Title", NO_FIELD), ("title", NO_FIELD), ("Website Link", NO_FIELD),
              ("Website", NO_FIELD), ("website", NO_FIELD), ("Salesperson", SETTING),
              ("user_id", SETTING), ("Address Type", SETTING), ("type", SETTING),
              ("Language", SETTING), ("lang", SETTING), ("Active", SETTING),
              ("active", SETTING), ("Customer Payment Terms", SETTING),
              ("property_payment_term_id", SETTING)),
)

ERPNEXT = Format(
    key="erpnext",
    label=_l("ERPNext customers export"),
    columns=(
        ("ID", "number"), ("name", "number"),  # by label, or by field name
        ("Customer Name", "name"), ("customer_name", "name"),
        ("Customer Type", "kind"), ("customer_type", "kind"),
        ("Customer Group", "tags"), ("customer_group", "tags"),
        ("Email Id", "email"), ("email_id", "email"),
        ("Mobile No", "phone"), ("mobile_no", "phone"),
        ("Tax ID", "tax_id"), ("tax_id", "tax_id"),
        ("Billing Currency", "currency"), ("default_currency", "currency"),
        ("Industry", "industry"), ("industry", "industry"),
        ("Customer Details", "notes"), ("customer_details", "notes"),
    ),
    identify=("Customer Name", "customer_name", "Customer Group", "customer_group",
              "Territory", "Mobile No", "mobile_no", "Email Id", "email_id",
              "Customer Primary Address", "Customer Primary Contact", "Primary Address",
              "Customer Details", "Series", "naming_series", "Default Payment Terms Template",
              "Billing Currency"),
    kept=(("Tax Category", TAX_CATEGORY), ("tax_category", TAX_CATEGORY),
          ("Loyalty Program", LOYALTY), ("loyalty_program", LOYALTY)),
    left_out=(("Series", SETTING), ("naming_series", SETTING), ("Salutation", NO_FIELD),
              ("Gender", NO_FIELD), ("Territory", _l("A sales territory, not an address.")),
              ("Website", NO_FIELD), ("Market Segment", NO_FIELD),
              ("Print Language", SETTING), ("Default Price List", SETTING),
              ("Default Payment Terms Template", SETTING), ("Disabled", SETTING),
              ("Is Frozen", SETTING), ("Is Internal Customer", SETTING),
              ("Customer Primary Contact", _l("A link to an ERPNext contact record.")),
              ("Customer Primary Address", _l("A link to an ERPNext address record.")),
              ("Primary Address", _l("ERPNext's printed form of the address (its parts are in "
                                     "ERPNext's own Address export)."))),
    ignored_tags=frozenset({"all customer groups"}),
)

VEND = Format(
    key="vend",
    label=_l("Vend / Lightspeed Retail (X-Series) customers export"),
    columns=(
        ("customer_code", "number"),
        ("first_name", "first_name"), ("last_name", "last_name"),
        ("company_name", "company_name"), ("email", "email"),
        ("phone", "phone"), ("mobile", "phone.mobile"),
        ("customer_group_name", "tags"),
        # X-Series calls the postal address the billing address, the physical one shipping.
        *_address("address", "postal_address1", "postal_address2", "postal_city",
                  "postal_state", "postal_postcode", "postal_country_id"),
        ("postal_suburb", "address.suburb"),
        *_address("shipping", "physical_address1", "physical_address2", "physical_city",
                  "physical_state", "physical_postcode", "physical_country_id"),
        ("physical_suburb", "shipping.suburb"),
        ("note", "notes"),
    ),
    identify=("customer_code", "customer_group_name", "postal_address1", "physical_address1",
              "postal_postcode", "physical_postcode", "postal_country_id",
              "physical_country_id", "do_not_email", "loyalty_balance", "year_to_date",
              "enable_loyalty"),
    kept=(("do_not_email", EMAIL_CONSENT), ("loyalty_balance", LOYALTY),
          ("enable_loyalty", LOYALTY), ("store_credit_balance", STORE_CREDIT)),
    left_out=(("id", SYSTEM_ID), ("customer_group_id", SYSTEM_ID),
              ("date_of_birth", BIRTHDAY), ("sex", NO_FIELD), ("fax", NO_FIELD),
              ("website", NO_FIELD), ("twitter", NO_FIELD), ("year_to_date", FIGURES),
              ("balance", FIGURES), ("created_at", SYSTEM_DATE), ("updated_at", SYSTEM_DATE),
              ("custom_field_1", CUSTOM_FIELD), ("custom_field_2", CUSTOM_FIELD),
              ("custom_field_3", CUSTOM_FIELD), ("custom_field_4", CUSTOM_FIELD)),
    ignored_tags=frozenset({"all customers"}),
)

FORMATS: tuple[Format, ...] = (SHOPIFY, SQUARE, WOOCOMMERCE, WOOCOMMERCE_REPORT, LIGHTSPEED_R,
                               ODOO, ERPNEXT, VEND)


def detect(headers: Iterable[str]) -> Recognition | None:
    """The system whose export these headers are, or None: the format with the most of its
    identifying headers present, once it has at least ``needed`` of them (the first listed
    wins a tie)."""
    keys = {header_key(h) for h in headers if h}
    best: Recognition | None = None
    for fmt in FORMATS:
        score = fmt.score(keys)
        if score >= fmt.needed and (best is None or score > best.score):
            best = Recognition(fmt, score)
    return best


def by_key(key: str) -> Format | None:
    return next((f for f in FORMATS if f.key == key), None)

"""The hooks the sales plugin calls, for other plugins (loyalty earns and reverses points with
them). Published through ``addhooks``; implement them with ``core.sdk.hookimpl``.

Every ``sale`` is a ``plugins.sales.models.Sale``: read ``id``, ``receipt_number``, ``kind``
("sale" or "refund"), ``customer_id`` (None for a walk-in), ``sold_at`` (UTC), ``currency``,
``subtotal``, ``discount_total``, ``tax_total``, ``total`` (Decimals; negative on a refund),
``item_count``, ``location``, ``payment_type``, ``source`` and ``lines`` (each ``sku``,
``product_name``, ``quantity``, ``unit_price``, ``discount``, ``tax``, ``line_total``)."""

from core.sdk import hookspec


@hookspec
def sale_recorded(sale):
    """A sale (not a refund) was recorded and committed: from the till's API, or attached to
    a customer later (``sale_attached``) . Called after the commit; an exception is logged
    and isolated. Imported history (``source`` "import:…") does not call it."""


@hookspec
def sale_refunded(sale, refund):
    """A refund or return of ``sale`` (the original) was recorded and committed as ``refund``
    (negative totals). Called after the commit; an exception is logged and isolated."""


@hookspec
def sale_attached(sale, customer):
    """A walk-in's receipt was given to ``customer`` after the sale (committed). Called
    after the commit; an exception is logged and isolated."""


@hookspec
def sale_receipt_lines(sale):
    """Lines to add under the totals of ``sale``'s emailed receipt: return ``(label, value)``
    pairs of text (loyalty: "Points earned", "120"). Called when the receipt is written,
    after ``sale_recorded`` ran."""

"""REST API under /api/v1/fxrates/: list, read, add, change and delete rates, and ask which rate
applies. Rates travel as decimal strings ("1.1675"), never as JSON floats.

Errors: 400 for a body that is not a JSON object, 404 JSON for an unknown id,
422 ``{"message": ..., "errors": {field: message}}`` for bad fields."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from core.sdk import JsonApi, NotFound, ValidationError, plugin_host
from plugins.fxrates import services


def rate_json(rate) -> dict:
    return {
        "id": rate.id,
        "customer_id": rate.customer_id,
        "base": rate.base,
        "quote": rate.quote,
        "rate": services.rate_text(rate.rate),
        "valid_from": rate.valid_from.isoformat(),
        "valid_to": rate.valid_to.isoformat() if rate.valid_to else None,
        "created_at": rate.created_at.isoformat() + "Z",
        "updated_at": rate.updated_at.isoformat() + "Z",
    }


class FxRatesApi(JsonApi):
    resource_name = "fxrates"
    class_permission_name = "FxRatesApi"
    openapi_spec_tag = "FX rates"
    method_permission_name = {"get_list": "get", "get": "get", "rate": "get", "post": "post",
                              "put": "put", "delete": "delete"}

    # -- input (JsonApi reads the body and answers errors) -----------------------------------

    @staticmethod
    def customer_id_param(raw, field: str = "customer_id"):
        """A customer id from a query string or body value; None when absent."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, str) and raw.isdigit():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValidationError({field: _("Must be a customer's id, a whole number.")})
        return raw

    # -- endpoints ---------------------------------------------------------------------------

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get_list(self):
        """List the shop's rates, or one customer's agreed rates.
        ---
        get:
          summary: List rates
          parameters:
          - {in: query, name: customer_id, schema: {type: integer},
             description: this customer's agreed rates instead of the shop's}
          responses:
            200: {description: 'Rates, by pair, newest period first'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            customer_id = self.customer_id_param(request.args.get("customer_id"))
        except ValidationError as exc:
            return self.invalid(exc.errors)
        if customer_id is None:
            rates = services.shop_rates()
        else:
            try:
                rates = services.customer_rates(services.find_customer(customer_id))
            except NotFound:
                return self.response_404()
        return self.response(200, result=[rate_json(r) for r in rates], count=len(rates))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self, pk):
        """Get one rate.
        ---
        get:
          summary: Get a rate
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: The rate}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            return self.response(200, result=rate_json(services.get(pk)))
        except NotFound:
            return self.response_404()

    @expose("/rate", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def rate(self):
        """The rate that applies, as the fx_rate hook answers it: the customer's agreed rate,
        else the shop's; the opposite pair inverted when only that one exists.
        ---
        get:
          summary: Which rate applies
          parameters:
          - {in: query, name: base, required: true, schema: {type: string}, example: EUR}
          - {in: query, name: quote, required: true, schema: {type: string}, example: GBP}
          - {in: query, name: 'on', schema: {type: string, format: date}, description: default today}
          - {in: query, name: customer_id, schema: {type: integer}}
          responses:
            200: {description: 'The rate as a decimal string'}
            404: {description: No such customer, or no rate for that pair on that day}
            422: {$ref: '#/components/responses/422'}
        """
        errors: dict = {}
        args = request.args
        base = services.currency_code(args.get("base"), "base", errors)
        quote = services.currency_code(args.get("quote"), "quote", errors)
        on = services.parse_date(args.get("on"), "on", errors, required=False) or date.today()
        try:
            customer_id = self.customer_id_param(args.get("customer_id"))
        except ValidationError as exc:
            errors.update(exc.errors)
            customer_id = None
        if errors:
            return self.invalid(errors)
        customer = None
        if customer_id is not None:
            try:
                customer = services.find_customer(customer_id)
            except NotFound:
                return self.response_404()
        value = plugin_host().hook.fx_rate(base=base, quote=quote, on=on, customer=customer)
        if value is None:
            return self.response(404, message=_("No %(base)s → %(quote)s rate on %(on)s.",
                                                base=base, quote=quote, on=on.isoformat()))
        return self.response(200, base=base, quote=quote, on=on.isoformat(),
                             customer_id=customer_id, rate=services.rate_text(value))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Add a rate: the shop's, or one customer's when customer_id is given.
        ---
        post:
          summary: Add a rate
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [base, quote, rate, valid_from]
                  properties:
                    base: {type: string, example: GBP}
                    quote: {type: string, example: EUR}
                    rate: {type: string, example: '1.1675'}
                    valid_from: {type: string, format: date}
                    valid_to: {type: string, format: date, nullable: true}
                    customer_id: {type: integer, nullable: true}
          responses:
            201: {description: Added}
            400: {$ref: '#/components/responses/400'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            body = self.json_body()
            customer_id = self.customer_id_param(body.get("customer_id"))
            customer = None
            if customer_id is not None:
                try:
                    customer = services.find_customer(customer_id)
                except NotFound:
                    raise ValidationError({"customer_id": _("No customer has id %(id)s.",
                                                            id=customer_id)}) from None
            rate = services.create(body, customer=customer, actor=self.actor())
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(201, id=rate.id, result=rate_json(rate))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        """Change a rate's fields (only those sent; its owner stays).
        ---
        put:
          summary: Change a rate
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    base: {type: string, example: GBP}
                    quote: {type: string, example: EUR}
                    rate: {type: string, example: '1.1675'}
                    valid_from: {type: string, format: date}
                    valid_to: {type: string, format: date, nullable: true}
          responses:
            200: {description: Changed}
            400: {$ref: '#/components/responses/400'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            rate = services.get(pk)
        except NotFound:
            return self.response_404()
        try:
            services.update(rate, self.json_body(), actor=self.actor())
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(200, result=rate_json(rate))

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk):
        """Delete a rate.
        ---
        delete:
          summary: Delete a rate
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: Deleted}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            rate = services.get(pk)
        except NotFound:
            return self.response_404()
        services.delete(rate)
        return self.response(200, message=_("Rate deleted."))

"""OpenAPI: a subscription's ``filter`` takes the measures list's query parameters, so its
schema is theirs, copied from that operation once the schema is built (one source)."""

from changelog.filters import MEASURE_FILTERS

REQUEST_COMPONENTS = ("NewSubscriptionRequest", "SubscriptionRequest", "PatchedSubscriptionRequest")
RESPONSE_COMPONENTS = ("Subscription", "NewSubscription")


def describe_subscription_filter(result, generator, request, public):
    parameters = result["paths"]["/api/v1/measures/"]["get"]["parameters"]
    properties = {
        parameter["name"]: {**parameter["schema"], "description": parameter.get("description", "")}
        for parameter in parameters
        if parameter["in"] == "query" and parameter["name"] in MEASURE_FILTERS
    }
    schemas = result["components"]["schemas"]
    for name in REQUEST_COMPONENTS:
        if name not in schemas:
            continue
        fields = schemas[name]["properties"]
        fields["filter"] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "description": fields["filter"].get("description", ""),
        }
        fields["kinds"]["minItems"] = 1
    # A filter's errors are the measures list's parameter errors, reported at `filter`.
    codes = {"invalid", "null", "unknown_parameter", "repeated_parameter", "empty_value"}
    for name, component in schemas.items():
        if name.startswith("MeasuresList") and name.endswith("ErrorComponent"):
            codes.update(component["properties"]["code"].get("enum", []))
    for name in (
        "SubscriptionsCreateFilterErrorComponent",
        "SubscriptionsPartialUpdateFilterErrorComponent",
    ):
        if name in schemas:
            code = schemas[name]["properties"]["code"]
            code["enum"] = sorted(codes)
            code["description"] = "\n".join(f"* `{value}` - {value}" for value in sorted(codes))
    for name in RESPONSE_COMPONENTS:
        if name not in schemas:
            continue
        fields = schemas[name]["properties"]
        fields["filter"] = {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "The filter as kept: each parameter's values joined by commas.",
        }
    return result

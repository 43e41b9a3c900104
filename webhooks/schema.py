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
